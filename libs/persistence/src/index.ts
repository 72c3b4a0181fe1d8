// Persistence: the Prisma client and the types generated from prisma/schema.prisma.
export * from './prisma.service.js';
export * from './persistence.module.js';
export * from './sql.js';
export { Prisma } from '#prisma-client';
export type { Referral, Patient, TimelineEvent, Offer, Booking, Notification, ReferralStatus as DbReferralStatus } from '#prisma-client';
export * from './group-writer.js';
