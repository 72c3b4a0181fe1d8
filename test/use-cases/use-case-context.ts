// The middle tier of tests: libs/workflow's use cases called as functions against the real
// Postgres `npm test` started, with no HTTP, no Redis and no worker. Automated steps are called
// directly where the worker would run them, so each file runs in a second or two.
import { afterAll, beforeAll } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule } from '#config';
import { PersistenceModule, PrismaService } from '#persistence';
import type { Caller, Role } from '#auth';
import type { NewReferral } from '#domain';
import { WorkflowModule } from '#workflow';
import { seed } from '../../prisma/seed.mjs';
import { readyLater, requireServices, referralBody } from '../support/stack.js';

@Module({ imports: [ConfigModule, PersistenceModule, WorkflowModule] })
class UseCaseModule {}

let seeded = false;

async function useCaseContext(): Promise<{ app: INestApplicationContext; prisma: PrismaService }> {
  requireServices();
  if (!seeded) {
    await seed(process.env.DATABASE_URL!, { demoReferrals: false });
    seeded = true;
  }
  const app = await NestFactory.createApplicationContext(UseCaseModule, { logger: false });
  return { app, prisma: app.get(PrismaService) };
}

/**
 * The one way to set up a use-case suite: the context made before the suite's tests and closed
 * after them (as useStack is for the e2e suites): `const { app, db } = useUseCaseContext()`.
 */
export function useUseCaseContext(): { readonly app: INestApplicationContext; readonly db: PrismaService } {
  let ctx: { app: INestApplicationContext; prisma: PrismaService } | undefined;
  beforeAll(async () => {
    ctx = await useCaseContext();
  });
  afterAll(async () => {
    await ctx?.app.close();
  });
  return { app: readyLater('the use-case context', () => ctx?.app), db: readyLater('the database', () => ctx?.prisma) };
}

export function staff(role: Role, ods: string, sub = `${role}-${ods.toLowerCase()}`): Caller {
  return { sub, roles: [role], role, ods, nhsNumber: null };
}

export function patientCaller(nhsNumber: string): Caller {
  return { sub: `patient-${nhsNumber}`, roles: ['patient'], role: 'patient', ods: null, nhsNumber };
}

/** A referral as the workflow takes it (dates as Dates), from the same defaults as referralBody. */
export function newReferral(over: Parameters<typeof referralBody>[0] = {}): NewReferral {
  const b = referralBody(over);
  const day = (s: string) => new Date(`${s}T00:00:00Z`);
  return { ...b, patient: { ...b.patient, dateOfBirth: day(b.patient.dateOfBirth) }, rttClockStart: day(b.rttClockStart), nextAppointmentDate: null };
}
