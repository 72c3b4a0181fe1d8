// Pure domain rules of crosstrust: no Nest, no Prisma, no I/O.
export * from './referral-status.js';
export * from './referral-state-machine.js';
export * from './errors.js';
export * from './referral-input.js';
export * from './state-diagram.js';
export * from './rtt-clock.js';
export * from './nhs-number.js';
export * from './ods-code.js';
export * from './eligibility-rules.js';
export * from './travel-distance.js';
export * from './waiting-list-row.js';
export * from './uuid.js';
export * from './uk-date.js';
export * from './reason-codes.js';
export * from './service-rules.js';
