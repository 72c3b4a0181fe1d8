// The automated steps of the workflow, run by worker jobs. Each is idempotent: guard clauses
// first (referral gone, status moved on, already done) return "skipped" instead of throwing.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { AWAITING_ANSWER, isFinal, isoDate, originListOutcome, screen, transition } from '#domain';
import { PrismaService } from '#persistence';
import { SYSTEM_ACTOR } from '#auth';
import { OnJob, type JobOutcome, type JobPayloads } from '#queue';
import { appendEvent, applyTransition, createNotification, type Tx } from './referral-transition.js';
import { loadReferral } from './referral-load.js';
import { OfferMatcher } from './offer-matcher.js';
import { loadRequirements } from './referral/additional-requirements.js';

/** What running a step came to (the job catalogue's JobOutcome). */
export type StepOutcome = JobOutcome;

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
  @OnJob('referral.screen')
  async screen({ referralId }: JobPayloads['referral.screen'], today = new Date()): Promise<StepOutcome> {
    return this.prisma.sqlTransaction(async (tx) => {
      // Locked: a person's step on the referral commits before this read (and is seen) or after this
      // step, never in between (a phone consent landing while offers were being made was followed on
      // the timeline by an offers_made it had made stale).
      const ref = await loadReferral(tx, referralId, undefined, { lock: true });
      if (!ref) return skipped('referral gone');
      if (!transition(ref.status, 'screening_passed').allowed) return skipped(`already screened (${ref.status})`);
      const trusts = await this.offers.trustsWithCapacity(tx, ref.originOds, ref.specialtyCode, today);
      const result = screen({
        rttClockStart: ref.rttClockStart,
        dateOfBirth: ref.patient.dateOfBirth,
        tertiary: ref.tertiary,
        nextAppointmentDate: ref.nextAppointmentDate,
        trustsWithCapacity: trusts,
        thresholdWeeks: this.config.workflow.screeningThresholdWeeks,
        today,
      });
      if (!result.eligible) {
        await applyTransition(tx, ref, {
          action: 'screening_failed',
          actor: SYSTEM_ACTOR,
          detail: {
            weeksWaited: result.weeksWaited,
            reasons: result.reasons.map((r) => ({ ...r })),
            placeOnOriginList: originListOutcome(ref.status, 'NOT_ELIGIBLE'),
          },
        });
        return done('not eligible');
      }
      const { offers: matched } = await this.offers.refresh(tx, ref, today);
      await applyTransition(tx, ref, {
        action: 'screening_passed',
        actor: SYSTEM_ACTOR,
        detail: {
          weeksWaited: result.weeksWaited,
          thresholdWeeks: this.config.workflow.screeningThresholdWeeks,
          trustsWithCapacity: trusts,
          offers: matched.length,
        },
      });
      return done('eligible');
    });
  }

  /** Stage 3: refreshes offers against today's capacity and tells the patient, once. */
  @OnJob('referral.make-offers')
  async makeOffers({ referralId }: JobPayloads['referral.make-offers'], today = new Date()): Promise<StepOutcome> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadReferral(tx, referralId, undefined, { lock: true });
      if (!ref) return skipped('referral gone');
      if (ref.status !== AWAITING_ANSWER) return skipped(`status moved on (${ref.status})`);
      const already = await tx.query(`SELECT 1 FROM notification WHERE referral_id = $1::uuid AND event = 'offer' LIMIT 1`, [referralId]);
      if (already.rowCount) return skipped('offer already sent');
      await this.offers.refresh(tx, ref, today);
      const { rows } = await tx.query<{ open: number }>(`SELECT count(*)::int AS open FROM offer WHERE referral_id = $1::uuid AND status = 'OPEN'`, [
        referralId,
      ]);
      const open = rows[0].open;
      const eventId = await appendEvent(tx, referralId, ref.status, 'offers_made', SYSTEM_ACTOR, { offers: open });
      await createNotification(tx, ref, 'offer', eventId);
      return done(`${open} offers`);
    });
  }

  /** Stage 4: sends the inter-provider transfer data set to the receiving trust. */
  @OnJob('transfer.dispatch')
  async dispatchTransfer({ referralId }: JobPayloads['transfer.dispatch']): Promise<StepOutcome> {
    return this.prisma.sqlTransaction(async (tx) => {
      // Locked: a withdrawal or cancellation commits before this read (and is seen) or after the
      // dispatch, never in between.
      const ref = await loadReferral(tx, referralId, undefined, { lock: true });
      if (!ref) return skipped('referral gone');
      // Only to a receiving trust that is (still) a party: one whose referral ended before it accepted
      // the transfer of care has been cleared from it (referral/exits.ts), and is sent nothing. One
      // that accepted keeps the data set even when the job runs late (after discharge, say).
      if (!ref.receivingOds)
        return skipped(isFinal(ref.status) ? `referral ended (${ref.status}) before the transfer of care: nothing sent` : 'no receiving trust');
      if (await dispatched(tx, referralId, 'TRANSFER')) return skipped('already dispatched');
      const { rows: events } = await tx.query<{ type: string; toStatus: string | null; at: Date }>(
        'SELECT type, to_status AS "toStatus", at FROM timeline_event WHERE referral_id = $1::uuid ORDER BY id',
        [referralId],
      );
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
        pathwayHistory: events.map((e) => ({ type: e.type, toStatus: e.toStatus, at: e.at.toISOString() })),
        // What the receiving booking team needs to arrange (transport, interpreter, accessible formats...); null: none recorded.
        additionalRequirements: await loadRequirements(tx, referralId),
      };
      await recordDispatch(tx, referralId, 'TRANSFER', ref.receivingOds, payload);
      await appendEvent(tx, referralId, ref.status, 'transfer_dispatched', SYSTEM_ACTOR, { recipientOds: ref.receivingOds, rttStatus: '21' });
      await appendEvent(tx, referralId, ref.status, 'transfer_acknowledged', SYSTEM_ACTOR, { recipientOds: ref.receivingOds });
      return done();
    });
  }

  /** Stage 7: sends the discharge summary to the patient's registered GP practice. */
  @OnJob('discharge.dispatch')
  async dispatchDischarge({ referralId }: JobPayloads['discharge.dispatch']): Promise<StepOutcome> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadReferral(tx, referralId, undefined, { lock: true });
      if (!ref) return skipped('referral gone');
      if (ref.status !== 'DISCHARGED') return skipped(`not discharged (${ref.status})`);
      if (await dispatched(tx, referralId, 'DISCHARGE_SUMMARY')) return skipped('already dispatched');
      const { rows: notes } = await tx.query<{ text: string }>(
        `SELECT text FROM clinical_note WHERE referral_id = $1::uuid AND kind = 'discharge_summary' ORDER BY created_at DESC, id DESC LIMIT 1`,
        [referralId],
      );
      await recordDispatch(tx, referralId, 'DISCHARGE_SUMMARY', ref.patient.gpPracticeOds, {
        nhsNumber: ref.patient.nhsNumber,
        treatingOds: ref.receivingOds,
        procedureCode: ref.procedureCode,
        rttClockStop: ref.rttClockStop ? isoDate(ref.rttClockStop) : null,
        summary: notes[0]?.text ?? null,
      });
      await appendEvent(tx, referralId, ref.status, 'discharge_summary_sent', SYSTEM_ACTOR, { gpPracticeOds: ref.patient.gpPracticeOds });
      await appendEvent(tx, referralId, ref.status, 'discharge_summary_acknowledged', SYSTEM_ACTOR, { gpPracticeOds: ref.patient.gpPracticeOds });
      return done();
    });
  }
}

async function dispatched(tx: Tx, referralId: string, kind: string): Promise<boolean> {
  const { rowCount } = await tx.query('SELECT 1 FROM dispatch WHERE referral_id = $1::uuid AND kind = $2', [referralId, kind]);
  return !!rowCount;
}

/** The message to the other organisation, sent and acknowledged (a local stand-in for the real exchange). */
async function recordDispatch(tx: Tx, referralId: string, kind: string, recipientOds: string, payload: Record<string, unknown>): Promise<void> {
  await tx.query(
    `INSERT INTO dispatch (id, referral_id, kind, recipient_ods, payload, status, acknowledged_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5::jsonb, 'ACKNOWLEDGED', now())`,
    [randomUUID(), referralId, kind, recipientOds, JSON.stringify(payload)],
  );
}
