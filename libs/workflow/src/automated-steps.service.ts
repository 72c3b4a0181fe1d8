// The automated steps of the workflow, run by worker jobs. Each is idempotent: guard clauses
// first (referral gone, status moved on, already done) return "skipped" instead of throwing.
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { screen, isoDate, type ReferralStatus } from '#domain';
import { PrismaService } from '#persistence';
import { SYSTEM_ACTOR } from '#auth';
import type { Prisma } from '#prisma-client';
import { appendEvent, applyTransition, createNotification, writeOutbox } from './referral-transition.js';
import { OfferMatcher } from './offer-matcher.js';

export type StepOutcome = { readonly outcome: 'done' | 'skipped'; readonly reason?: string };

const done = (reason?: string): StepOutcome => ({ outcome: 'done', reason });
const skipped = (reason: string): StepOutcome => ({ outcome: 'skipped', reason });

@Injectable()
export class AutomatedSteps {
  constructor(
    private readonly prisma: PrismaService,
    private readonly offers: OfferMatcher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Stage 2, rules: eligible referrals go to a clinician with offers ready; others close as NOT_ELIGIBLE. */
  async screen(referralId: string, today = new Date()): Promise<StepOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const ref = await tx.referral.findUnique({ where: { id: referralId }, include: { patient: true } });
      if (!ref) return skipped('referral gone');
      if (ref.status !== 'IDENTIFIED') return skipped(`already screened (${ref.status})`);
      const trusts = await this.offers.trustsWithCapacity(tx, ref.originOds, ref.specialtyCode, today);
      const result = screen({
        rttClockStart: ref.rttClockStart,
        dateOfBirth: ref.patient.dateOfBirth,
        tertiary: ref.tertiary,
        nextAppointmentDate: ref.nextAppointmentDate,
        trustsWithCapacity: trusts,
        thresholdWeeks: this.config.screeningThresholdWeeks,
        today,
      });
      const base = { ...ref, status: ref.status as ReferralStatus };
      if (!result.eligible) {
        await applyTransition(tx, base, {
          action: 'screening_failed',
          actor: SYSTEM_ACTOR,
          detail: {
            weeksWaited: result.weeksWaited,
            reasons: result.reasons.map((r) => ({ ...r })),
            placeOnOriginList: 'kept on the origin trust waiting list unchanged; weeks waited keep counting',
          },
        });
        return done('not eligible');
      }
      const matched = await this.offers.match(tx, { originOds: ref.originOds, specialtyCode: ref.specialtyCode, postcode: ref.patient.postcode, travelRadiusMiles: ref.travelRadiusMiles }, today);
      await applyTransition(tx, base, {
        action: 'screening_passed',
        actor: SYSTEM_ACTOR,
        detail: { weeksWaited: result.weeksWaited, thresholdWeeks: this.config.screeningThresholdWeeks, trustsWithCapacity: trusts, offers: matched.length },
      });
      await this.offers.storeOffers(tx, referralId, matched);
      return done('eligible');
    });
  }

  /** Stage 3: refreshes offers against today's capacity and tells the patient, once. */
  async makeOffers(referralId: string, today = new Date()): Promise<StepOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const ref = await tx.referral.findUnique({ where: { id: referralId }, include: { patient: true } });
      if (!ref) return skipped('referral gone');
      if (ref.status !== 'AWAITING_PATIENT_CONSENT') return skipped(`status moved on (${ref.status})`);
      const already = await tx.notification.findFirst({ where: { referralId, event: 'offer' }, select: { id: true } });
      if (already) return skipped('offer already sent');
      const matched = await this.offers.match(tx, { originOds: ref.originOds, specialtyCode: ref.specialtyCode, postcode: ref.patient.postcode, travelRadiusMiles: ref.travelRadiusMiles }, today);
      if (matched.length > 0) await this.offers.storeOffers(tx, referralId, matched);
      const open = await tx.offer.count({ where: { referralId, status: 'OPEN' } });
      const status = ref.status as ReferralStatus;
      const eventId = await appendEvent(tx, referralId, status, 'offers_made', SYSTEM_ACTOR, { offers: open });
      const job = await createNotification(tx, { ...ref, status }, 'offer', eventId);
      await writeOutbox(tx, referralId, [job]);
      return done(`${open} offers`);
    });
  }

  /** Stage 4: sends the inter-provider transfer data set to the receiving trust. */
  async dispatchTransfer(referralId: string): Promise<StepOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const ref = await tx.referral.findUnique({ where: { id: referralId }, include: { patient: true, events: { orderBy: { id: 'asc' } } } });
      if (!ref) return skipped('referral gone');
      if (!ref.receivingOds) return skipped('no receiving trust');
      const exists = await tx.dispatch.findUnique({ where: { referralId_kind: { referralId, kind: 'TRANSFER' } }, select: { id: true } });
      if (exists) return skipped('already dispatched');
      // The inter-provider transfer administrative minimum data set.
      const payload = {
        nhsNumber: ref.patient.nhsNumber,
        familyName: ref.patient.familyName,
        givenName: ref.patient.givenName,
        dateOfBirth: isoDate(ref.patient.dateOfBirth),
        postcode: ref.patient.postcode,
        gpPracticeOds: ref.patient.gpPracticeOds,
        referringOds: ref.originOds,
        receivingOds: ref.receivingOds,
        pathwayId: ref.pathwayId,
        rttClockStart: isoDate(ref.rttClockStart),
        rttStatus: '21',
        specialtyCode: ref.specialtyCode,
        procedureCode: ref.procedureCode,
        priority: ref.priority,
        pathwayHistory: ref.events.map((e) => ({ type: e.type, toStatus: e.toStatus, at: e.at.toISOString() })),
      };
      const now = new Date();
      await tx.dispatch.create({
        data: { referralId, kind: 'TRANSFER', recipientOds: ref.receivingOds, payload: payload as Prisma.InputJsonValue, status: 'ACKNOWLEDGED', acknowledgedAt: now },
      });
      const status = ref.status as ReferralStatus;
      await appendEvent(tx, referralId, status, 'transfer_dispatched', SYSTEM_ACTOR, { recipientOds: ref.receivingOds, rttStatus: '21' });
      await appendEvent(tx, referralId, status, 'transfer_acknowledged', SYSTEM_ACTOR, { recipientOds: ref.receivingOds });
      return done();
    });
  }

  /** Stage 7: sends the discharge summary to the patient's registered GP practice. */
  async dispatchDischarge(referralId: string): Promise<StepOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const ref = await tx.referral.findUnique({ where: { id: referralId }, include: { patient: true } });
      if (!ref) return skipped('referral gone');
      if (ref.status !== 'DISCHARGED') return skipped(`not discharged (${ref.status})`);
      const exists = await tx.dispatch.findUnique({ where: { referralId_kind: { referralId, kind: 'DISCHARGE_SUMMARY' } }, select: { id: true } });
      if (exists) return skipped('already dispatched');
      const summary = await tx.clinicalNote.findFirst({ where: { referralId, kind: 'discharge_summary' }, orderBy: { createdAt: 'desc' } });
      const now = new Date();
      await tx.dispatch.create({
        data: {
          referralId,
          kind: 'DISCHARGE_SUMMARY',
          recipientOds: ref.patient.gpPracticeOds,
          payload: {
            nhsNumber: ref.patient.nhsNumber,
            treatingOds: ref.receivingOds,
            procedureCode: ref.procedureCode,
            rttClockStop: ref.rttClockStop ? isoDate(ref.rttClockStop) : null,
            summary: summary?.text ?? null,
          } as Prisma.InputJsonValue,
          status: 'ACKNOWLEDGED',
          acknowledgedAt: now,
        },
      });
      await appendEvent(tx, referralId, 'DISCHARGED', 'discharge_summary_sent', SYSTEM_ACTOR, { gpPracticeOds: ref.patient.gpPracticeOds });
      await appendEvent(tx, referralId, 'DISCHARGED', 'discharge_summary_acknowledged', SYSTEM_ACTOR, { gpPracticeOds: ref.patient.gpPracticeOds });
      return done();
    });
  }

  async markStepCompleted(jobId: string): Promise<void> {
    await this.prisma.outboxMessage.updateMany({ where: { jobId, completedAt: null }, data: { completedAt: new Date() } });
  }

  /** A job exhausted its retries: a person must see it on a worklist. Once per job id. */
  async flagNeedsAttention(referralId: string, jobName: string, jobId: string, reason: string): Promise<StepOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const ref = await tx.referral.findUnique({ where: { id: referralId }, select: { status: true } });
      if (!ref) return skipped('referral gone');
      const seen = await tx.timelineEvent.findFirst({ where: { referralId, type: 'needs_attention', detail: { path: ['jobId'], equals: jobId } }, select: { id: true } });
      if (seen) return skipped('already flagged');
      await tx.referral.update({ where: { id: referralId }, data: { needsAttention: true, version: { increment: 1 } } });
      // Finished, though not well: a person retries it, the reconciler leaves it alone.
      await tx.outboxMessage.updateMany({ where: { jobId, completedAt: null }, data: { completedAt: new Date() } });
      await appendEvent(tx, referralId, ref.status as ReferralStatus, 'needs_attention', SYSTEM_ACTOR, { jobName, jobId, reason: reason.slice(0, 500) });
      return done();
    });
  }
}
