// The automated steps of the workflow, run by worker jobs. Each is idempotent: guard clauses
// first (referral gone, status moved on, already done) return "skipped" instead of throwing.
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { AWAITING_ANSWER, isFinal, isoDate, originListOutcome, screen, transition } from '#domain';
import { PrismaService } from '#persistence';
import { SYSTEM_ACTOR } from '#auth';
import { OnJob, outboxJob, type JobOutcome, type JobPayloads } from '#queue';
import { appendEvent, applyTransition, createNotification } from './referral-transition.js';
import { loadReferral } from './referral-load.js';
import { OfferMatcher } from './offer-matcher.js';
import { loadRequirements } from './referral/additional-requirements.js';
import { queueDispatch, queueDispatchWith } from './mesh/dispatches.js';
import { noCapacityAfterScreening } from './pidmas/patient-initiated.js';
import type { DischargeData } from './mesh/documents.js';

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
        direction: ref.direction,
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
        await noCapacityAfterScreening(tx, ref.id, result.reasons);
        return done('not eligible');
      }
      const { offers: matched } = await this.offers.refresh(tx, ref, today);
      const passed = await applyTransition(tx, ref, {
        action: 'screening_passed',
        actor: SYSTEM_ACTOR,
        detail: {
          weeksWaited: result.weeksWaited,
          thresholdWeeks: this.config.workflow.screeningThresholdWeeks,
          trustsWithCapacity: trusts,
          offers: matched.length,
        },
      });
      // A patient-initiated opt-in was already checked by a clinician of the trust (the same question:
      // is moving clinically and socially appropriate): that check is the clinical review, not asked twice.
      const { rows: checked } = await tx.query<{ id: string; sub: string; name: string | null; at: Date }>(
        `SELECT id::text AS id, reviewed_by_sub AS sub, reviewed_by_name AS name, reviewed_at AS at FROM pidmas_invitation WHERE referral_id = $1::uuid AND review = 'suitable'`,
        [ref.id],
      );
      const optIn = checked[0];
      if (optIn && matched.length > 0) {
        await applyTransition(
          tx,
          { ...ref, status: passed.to, version: passed.version },
          {
            action: 'clinical_review_suitable',
            actor: { sub: optIn.sub, role: 'clinician', ods: ref.originOds, name: optIn.name },
            detail: { decision: 'suitable', patientInitiated: { optInId: optIn.id, checkedAt: optIn.at.toISOString() } },
            jobs: (eventId) => [outboxJob('referral.make-offers', { referralId }, eventId)],
          },
        );
        return done('eligible; found suitable at the opt-in check');
      }
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
      // Once per round of offers: a re-offer after a rejection (issue 18, RO) is a new round, told again.
      const already = await tx.query(
        `SELECT 1 FROM notification n WHERE n.referral_id = $1::uuid AND n.event = 'offer'
           AND n.created_at >= COALESCE((SELECT max(e.at) FROM timeline_event e WHERE e.referral_id = $1::uuid AND e.to_status = 'AWAITING_PATIENT_CONSENT' AND e.from_status <> e.to_status), '-infinity')
         LIMIT 1`,
        [referralId],
      );
      if (already.rowCount) return skipped('offer already sent');
      // A match stores exactly the offers matched, all open; no match leaves the offers already made
      // standing, and only then are they counted.
      const { offers: matched } = await this.offers.refresh(tx, ref, today);
      const open =
        matched.length > 0
          ? matched.length
          : (await tx.query<{ open: number }>(`SELECT count(*)::int AS open FROM offer WHERE referral_id = $1::uuid AND status = 'OPEN'`, [referralId])).rows[0]
              .open;
      const eventId = await appendEvent(tx, referralId, ref.status, 'offers_made', SYSTEM_ACTOR, { offers: open });
      await createNotification(tx, ref, 'offer', eventId);
      return done(`${open} offers`);
    });
  }

  /** Stage 4: queues the inter-provider transfer data set for the receiving trust's PAS (sent over MESH by the worker). */
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
      const { rows: events } = await tx.query<{
        type: string;
        toStatus: string | null;
        at: Date;
        actorSub: string;
        actorRole: string;
        actorOds: string | null;
        actorName: string | null;
      }>(
        `SELECT type, to_status AS "toStatus", at, actor_sub AS "actorSub", actor_role AS "actorRole", actor_ods AS "actorOds", actor_name AS "actorName"
           FROM timeline_event WHERE referral_id = $1::uuid ORDER BY id`,
        [referralId],
      );
      // The decision to refer to another provider is the patient's acceptance of the offer (after
      // the referring clinician found the transfer suitable); the referring professional is that clinician.
      const decided = [...events].reverse().find((e) => e.type === 'consent_accepted');
      const reviewer = [...events].reverse().find((e) => e.type === 'clinical_review_suitable');
      const organisations: Array<{ odsCode: string; role: string }> = [];
      const addOrg = (odsCode: string | null | undefined, role: string) => {
        if (odsCode && !organisations.some((o) => o.odsCode === odsCode)) organisations.push({ odsCode, role });
      };
      addOrg(ref.patient.gpPracticeOds, 'referring GP practice');
      addOrg(ref.originOds, 'referring provider (pathway identifier issuer)');
      for (const e of events) addOrg(e.actorOds, e.actorOds === ref.receivingOds ? 'receiving provider' : 'provider on the pathway');
      addOrg(ref.receivingOds, 'receiving provider');
      // The inter-provider transfer administrative minimum data set (docs/mesh.md lists each field).
      const payload = {
        nhsNumber: ref.patient.nhsNumber,
        nhsNumberStatus: '02',
        familyName: ref.patient.familyName,
        givenName: ref.patient.givenName,
        dateOfBirth: isoDate(ref.patient.dateOfBirth),
        postcode: ref.patient.postcode,
        gpPracticeOds: ref.patient.gpPracticeOds,
        referringOds: ref.originOds,
        receivingOds: ref.receivingOds,
        pathwayId: ref.pathwayId,
        pathwayIdIssuer: ref.originOds,
        rttClockStart: isoDate(ref.rttClockStart),
        rttStatus: '21',
        decisionToReferDate: decided ? decided.at.toISOString().slice(0, 10) : null,
        referringProfessional: reviewer ? { id: reviewer.actorSub, name: reviewer.actorName, role: reviewer.actorRole, odsCode: reviewer.actorOds } : null,
        specialtyCode: ref.specialtyCode,
        procedureCode: ref.procedureCode,
        priority: ref.priority,
        organisations,
        pathwayHistory: events.map((e) => ({ type: e.type, toStatus: e.toStatus, at: e.at.toISOString(), odsCode: e.actorOds })),
        // What the receiving booking team needs to arrange (transport, interpreter, accessible formats...); null: none recorded.
        additionalRequirements: await loadRequirements(tx, referralId),
      };
      // Queued once (one per referral and kind): a replay finds it there and sends nothing more. The
      // insert is the check, so the usual run makes no statement to look first.
      if (!(await queueDispatch(tx, { referralId, kind: 'TRANSFER', senderOds: ref.originOds, recipientOds: ref.receivingOds, payload })))
        return skipped('already dispatched');
      return done();
    });
  }

  /**
   * Stage 4, the receiving trust's answer, back to the origin's PAS; when it accepted, also the
   * notice to take the patient off the origin's waiting list (the RTT period carries on at the receiver).
   */
  @OnJob('decision.dispatch')
  async dispatchDecision({ referralId }: JobPayloads['decision.dispatch']): Promise<StepOutcome> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadReferral(tx, referralId, undefined, { lock: true });
      if (!ref) return skipped('referral gone');
      const { rows } = await tx.query<{ type: string; at: Date; actorOds: string | null; detail: { reasonCode?: string } | null }>(
        `SELECT type, at, actor_ods AS "actorOds", detail FROM timeline_event
          WHERE referral_id = $1::uuid AND type IN ('transfer_of_care', 'receiver_rejected') ORDER BY id DESC LIMIT 1`,
        [referralId],
      );
      const decision = rows[0];
      if (!decision) return skipped('no decision recorded');
      const accepted = decision.type === 'transfer_of_care';
      const receiver = decision.actorOds ?? ref.receivingOds;
      if (!receiver) return skipped('no receiving trust');
      // The decision and (when accepted) the remove-from-list notice, queued in one statement: a replay
      // finds the decision queued (the insert is the check) and queues nothing more.
      const queued = await queueDispatchWith(
        tx,
        {
          referralId,
          kind: 'RECEIVER_DECISION',
          senderOds: receiver,
          recipientOds: ref.originOds,
          payload: {
            pathwayId: ref.pathwayId,
            pathwayIdIssuer: ref.originOds,
            nhsNumber: ref.patient.nhsNumber,
            receivingOds: receiver,
            decision: accepted ? 'accepted' : 'rejected',
            reasonCode: accepted ? null : (decision.detail?.reasonCode ?? null),
            decidedAt: decision.at.toISOString(),
          },
        },
        accepted
          ? [
              {
                referralId,
                kind: 'REMOVE_FROM_LIST' as const,
                senderOds: ref.originOds,
                recipientOds: ref.originOds,
                payload: {
                  pathwayId: ref.pathwayId,
                  pathwayIdIssuer: ref.originOds,
                  nhsNumber: ref.patient.nhsNumber,
                  rttStatus: '21',
                  rttClockStart: isoDate(ref.rttClockStart),
                  transferredTo: receiver,
                  transferredAt: decision.at.toISOString(),
                  reason: 'transferred to another provider: remove from the waiting list, the RTT period continues there',
                },
              },
            ]
          : [],
      );
      if (!queued) return skipped('already dispatched');
      return done(accepted ? 'decision and remove-from-list queued' : 'decision queued');
    });
  }

  /** Stage 7: queues the discharge summary for the patient's registered GP practice. */
  @OnJob('discharge.dispatch')
  async dispatchDischarge({ referralId }: JobPayloads['discharge.dispatch']): Promise<StepOutcome> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadReferral(tx, referralId, undefined, { lock: true });
      if (!ref) return skipped('referral gone');
      if (ref.status !== 'DISCHARGED') return skipped(`not discharged (${ref.status})`);
      // The summary note, the treatment and discharge events and the treating trust's name, in one statement.
      type Ev = { type: string; actorSub: string; actorName: string | null; detail: Record<string, unknown> | null };
      const { rows } = await tx.query<{ summary: string | null; events: Ev[] | null; trustName: string | null }>(
        `SELECT (SELECT text FROM clinical_note
                  WHERE referral_id = $1::uuid AND kind = 'discharge_summary' ORDER BY created_at DESC, id DESC LIMIT 1) AS summary,
                (SELECT json_agg(json_build_object('type', type, 'actorSub', actor_sub, 'actorName', actor_name, 'detail', detail) ORDER BY id)
                   FROM timeline_event WHERE referral_id = $1::uuid AND type IN ('treatment_recorded', 'discharged')) AS events,
                (SELECT name FROM trust WHERE ods = $2) AS "trustName"`,
        [referralId, ref.receivingOds],
      );
      const { summary, trustName } = rows[0];
      const ev = rows[0].events ?? [];
      const discharged = ev.filter((e) => e.type === 'discharged').pop();
      const treated = ev.filter((e) => e.type === 'treatment_recorded').pop();
      const data: DischargeData = {
        nhsNumber: ref.patient.nhsNumber,
        familyName: ref.patient.familyName,
        givenName: ref.patient.givenName,
        dateOfBirth: isoDate(ref.patient.dateOfBirth),
        gpPracticeOds: ref.patient.gpPracticeOds,
        treatingOds: ref.receivingOds,
        treatingName: trustName,
        procedureCode: ref.procedureCode,
        specialtyCode: ref.specialtyCode,
        performedAt: typeof treated?.detail?.performedAt === 'string' ? treated.detail.performedAt : null,
        dischargedAt: typeof discharged?.detail?.dischargedAt === 'string' ? discharged.detail.dischargedAt : null,
        rttClockStop: ref.rttClockStop ? isoDate(ref.rttClockStop) : null,
        summary,
        author: discharged ? { id: discharged.actorSub, name: discharged.actorName } : null,
      };
      const queued = await queueDispatch(tx, {
        referralId,
        kind: 'DISCHARGE_SUMMARY',
        senderOds: ref.receivingOds ?? ref.originOds,
        recipientOds: ref.patient.gpPracticeOds,
        payload: data as unknown as Record<string, unknown>,
      });
      return queued ? done() : skipped('already dispatched');
    });
  }
}
