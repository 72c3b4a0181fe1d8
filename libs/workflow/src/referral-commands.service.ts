// The human steps of the referral workflow, each one transaction through applyTransition.
import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { FINAL_STATUSES, isoDate, originListOutcome, RECEIVER_OWNS, type ReferralStatus } from '#domain';
import { isUniqueViolation, PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob, type JobName } from '#queue';
import { appendEvent, applyTransition, writeOutbox, type TransitionSpec, type Tx } from './referral-transition.js';
import { requireSide } from './referral-scope.js';
import { loadReferral, type LoadedReferral } from './referral-load.js';
import { BusinessRuleError, ConcurrentChangeError, DuplicateError, ReferralNotFoundError, TransitionConflictError } from './workflow-errors.js';
import { OfferMatcher } from './offer-matcher.js';
import { claimSlot, firstOfferWeek, releaseSlot, siteStanding } from './capacity-ledger.js';
import { raiseTask, taskTrustFor } from './tasks.js';
import { linkWaitingListEntry } from './waiting-list/long-waiters.service.js';
import { correctContact, DemographicsCheck, insertPatient, type ContactCorrection, type ContactField, type PatientDetails } from './patient-record.js';

export interface NewReferral {
  readonly patient: PatientDetails;
  readonly specialtyCode: string;
  readonly procedureCode: string;
  readonly rttClockStart: Date;
  readonly pathwayId: string;
  readonly priority: string;
  readonly nextAppointmentDate?: Date | null;
  readonly tertiary?: boolean;
}

export interface CreateResult {
  readonly referralId: string;
  /** True when an Idempotency-Key repeat returned the first result. */
  readonly replayed: boolean;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

@Injectable()
export class ReferralCommands {
  constructor(
    private readonly prisma: PrismaService,
    private readonly offers: OfferMatcher,
    private readonly demographics: DemographicsCheck,
  ) {}

  // ---------- 1. identification ----------

  /** `waitingListEntryId`: opened from that entry of the caller's trust (which then records the referral). */
  async create(caller: Caller, input: NewReferral, idempotencyKey: string | null, opts: { waitingListEntryId?: string } = {}): Promise<CreateResult> {
    const ods = caller.ods!;
    if (input.rttClockStart < input.patient.dateOfBirth) {
      throw new BusinessRuleError('The RTT clock cannot start before the patient was born', { field: 'rttClockStart' });
    }
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    if (idempotencyKey) {
      // Keys are kept for 24 hours; after that the same key starts afresh.
      await this.prisma.sql.query('DELETE FROM idempotency_record WHERE ods = $1 AND key = $2 AND created_at < $3', [ods, idempotencyKey, new Date(Date.now() - IDEMPOTENCY_TTL_MS)]);
      const prior = await this.idempotencyRecord(ods, idempotencyKey);
      if (prior) return this.replay(prior, requestHash);
    }
    try {
      return await this.prisma.sqlTransaction(async (tx) => {
        // The patient is recorded with this referral only. An NHS number the trust already holds
        // under another family name or date of birth is not overwritten: the referral is opened and
        // its booking team asked to check (a PDS trace would settle it; see DemographicsCheck).
        const identity = await this.demographics.check(tx, ods, input.patient);
        const patientId = await insertPatient(tx, input.patient, identity.mismatched.length ? null : identity.known);
        const referralId = randomUUID();
        const { rows } = await tx.query<{ event_id: string }>(
          `WITH r AS (
             INSERT INTO referral (id, patient_id, origin_ods, specialty_code, procedure_code, rtt_clock_start, pathway_id, priority, next_appointment_date, tertiary, updated_at)
             VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::date, $7, $8, $9::date, $10, now()) RETURNING id)
           INSERT INTO timeline_event (referral_id, type, from_status, to_status, actor_sub, actor_role, actor_ods, detail)
           SELECT id, 'referral_opened', NULL, 'IDENTIFIED', $11, $12, $13, $14::jsonb FROM r RETURNING id::text AS event_id`,
          [
            referralId, patientId, ods, input.specialtyCode, input.procedureCode, isoDate(input.rttClockStart), input.pathwayId, input.priority,
            input.nextAppointmentDate ? isoDate(input.nextAppointmentDate) : null, input.tertiary ?? false,
            caller.sub, caller.role, caller.ods,
            JSON.stringify({ pathwayId: input.pathwayId, rttClockStart: isoDate(input.rttClockStart), ...(identity.mismatched.length ? { demographicsMismatch: identity.mismatched } : {}) }),
          ],
        );
        if (identity.mismatched.length) {
          await raiseTask(tx, { trustOds: ods, team: 'booking', kind: 'demographics_mismatch', referralId, key: `demographics_mismatch:${referralId}`, detail: { fields: identity.mismatched } });
        }
        await writeOutbox(tx, referralId, [outboxJob('referral.screen', { referralId }, rows[0]!.event_id)]);
        await linkWaitingListEntry(tx, { ods, pathwayId: input.pathwayId, referralId, entryId: opts.waitingListEntryId });
        if (idempotencyKey) {
          await tx.query('INSERT INTO idempotency_record (ods, key, request_hash, referral_id) VALUES ($1, $2, $3, $4::uuid)', [ods, idempotencyKey, requestHash, referralId]);
        }
        return { referralId, replayed: false };
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        // A concurrent repeat with the same key may collide on the pathway or on the key:
        // either way, once the first has committed its record answers for both.
        if (idempotencyKey) {
          const prior = await this.idempotencyRecord(ods, idempotencyKey);
          if (prior) return this.replay(prior, requestHash);
        }
        const { rows } = await this.prisma.sql.query<{ id: string; status: string }>(
          `SELECT id, status FROM referral WHERE origin_ods = $1 AND pathway_id = $2 AND status <> ALL($3::"ReferralStatus"[]) LIMIT 1`,
          [ods, input.pathwayId, [...FINAL_STATUSES]],
        );
        const open = rows[0];
        if (open) {
          throw new DuplicateError(`Pathway ${input.pathwayId} already has an open referral (${open.id}, ${open.status})`, { field: 'pathwayId', referralId: open.id });
        }
      }
      throw e;
    }
  }

  private async idempotencyRecord(ods: string, key: string): Promise<{ requestHash: string; referralId: string } | undefined> {
    const { rows } = await this.prisma.sql.query<{ requestHash: string; referralId: string }>(
      'SELECT request_hash AS "requestHash", referral_id AS "referralId" FROM idempotency_record WHERE ods = $1 AND key = $2',
      [ods, key],
    );
    return rows[0];
  }

  private replay(prior: { requestHash: string; referralId: string }, requestHash: string): CreateResult {
    if (prior.requestHash !== requestHash) {
      throw new BusinessRuleError('This Idempotency-Key was already used with a different request body', { field: 'Idempotency-Key' });
    }
    return { referralId: prior.referralId, replayed: true };
  }

  // ---------- 2. clinical review ----------

  async recordClinicalReview(caller: Caller, id: string, input: { decision: 'suitable' | 'not_suitable'; reasonCode?: string; note?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.clinical-review', 'record the clinical review');
      const actor = actorOf(caller);
      if (input.decision === 'not_suitable') {
        if (!input.reasonCode) throw new BusinessRuleError('A reason code is needed when transfer is not suitable', { field: 'reasonCode' });
        const out = await applyTransition(tx, ref, {
          action: 'clinical_review_not_suitable',
          actor,
          detail: { reasonCode: input.reasonCode, placeOnOriginList: originListOutcome(ref.status, 'NOT_SUITABLE') },
        });
        await this.saveNote(tx, id, 'clinical_review', input.note, caller.sub);
        return out;
      }
      this.assertStatus(ref, 'AWAITING_CLINICAL_REVIEW', 'record a clinical review');
      const offers = await this.offers.match(tx, { originOds: ref.originOds, specialtyCode: ref.specialtyCode, postcode: ref.patient.postcode, travelRadiusMiles: ref.travelRadiusMiles, referralId: ref.id }, new Date());
      if (offers.length === 0) {
        throw new BusinessRuleError('No group member declares capacity for this specialty any more, so there is nothing to offer the patient. Ask a trust admin to check capacity.');
      }
      const out = await applyTransition(tx, ref, {
        action: 'clinical_review_suitable',
        actor,
        detail: { decision: 'suitable' },
        jobs: (eventId) => [outboxJob('referral.make-offers', { referralId: id }, eventId)],
      });
      await this.offers.storeOffers(tx, id, offers);
      await this.saveNote(tx, id, 'clinical_review', input.note, caller.sub);
      return out;
    });
  }

  // ---------- 3. offer and consent ----------

  async recordConsent(caller: Caller, id: string, input: { decision: 'accept' | 'decline'; offerId?: string; travelRadiusMiles?: number; method?: 'phone' | 'letter' }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      if (caller.role === 'booking_clerk') {
        requireSide(caller, ref, 'referral.consent', "record the patient's answer");
        if (!input.method) throw new BusinessRuleError('Say how the patient answered (method: phone or letter)', { field: 'method' });
      }
      const actor = actorOf(caller);
      const via = caller.role === 'patient' ? 'online' : input.method;
      if (input.decision === 'decline') {
        const out = await applyTransition(tx, ref, {
          action: 'consent_declined',
          actor,
          detail: { method: via, placeOnOriginList: originListOutcome(ref.status, 'DECLINED') },
          data: input.travelRadiusMiles != null ? { travelRadiusMiles: input.travelRadiusMiles } : undefined,
          notify: ['offer_declined'],
        });
        await tx.query(`UPDATE offer SET status = 'DECLINED' WHERE referral_id = $1::uuid AND status = 'OPEN'`, [id]);
        await releaseSlot(tx, id, 'consent_declined');
        return out;
      }
      this.assertStatus(ref, 'AWAITING_PATIENT_CONSENT', "record the patient's answer to the offer");
      const { rows: offers } = await tx.query<{ id: string; receivingOds: string; siteOds: string; distanceMiles: number; status: string }>(
        'SELECT id, receiving_ods AS "receivingOds", site_ods AS "siteOds", distance_miles AS "distanceMiles", status FROM offer WHERE referral_id = $1::uuid ORDER BY distance_miles, id',
        [id],
      );
      const open = offers.filter((o) => o.status === 'OPEN');
      const offer = input.offerId ? offers.find((o) => o.id === input.offerId) : open.length === 1 ? open[0] : undefined;
      if (!offer) {
        if (input.offerId) throw new BusinessRuleError('That offer is not one made for this referral', { field: 'offerId' });
        throw new BusinessRuleError(open.length === 0 ? 'There is no open offer to accept' : 'Say which offer the patient accepts (offerId)', { field: 'offerId' });
      }
      // The transition first: a concurrent answer makes this one a 409, not a confusing 422.
      const out = await applyTransition(tx, ref, {
        action: 'consent_accepted',
        actor,
        detail: { method: via, offerId: offer.id, receivingOds: offer.receivingOds, siteOds: offer.siteOds },
        data: { receivingOds: offer.receivingOds, travelRadiusMiles: input.travelRadiusMiles ?? undefined },
        jobs: (eventId) => [outboxJob('transfer.dispatch', { referralId: id }, eventId)],
        notify: ['consent_recorded'],
      });
      if (offer.status !== 'OPEN') throw new BusinessRuleError('That offer is not open any more', { field: 'offerId' });
      if (input.travelRadiusMiles != null && offer.distanceMiles > input.travelRadiusMiles) {
        throw new BusinessRuleError(`That offer is ${offer.distanceMiles} miles away, beyond the patient's travel radius of ${input.travelRadiusMiles} miles`, { field: 'travelRadiusMiles' });
      }
      await tx.query(
        `UPDATE offer SET status = CASE WHEN id = $2::uuid THEN 'ACCEPTED' ELSE 'WITHDRAWN' END WHERE referral_id = $1::uuid AND (id = $2::uuid OR status = 'OPEN')`,
        [id, offer.id],
      );
      // One slot of the site's earliest week with room, from the offer's week or (for an old offer)
      // the first week offers are made for now; refused (422, rolled back) when none is left.
      const { rows: held } = await tx.query<{ earliestWeek: Date }>('SELECT earliest_week AS "earliestWeek" FROM offer WHERE id = $1::uuid', [offer.id]);
      await claimSlot(tx, { offerId: offer.id, siteOds: offer.siteOds, specialtyCode: ref.specialtyCode, earliestWeek: held[0]!.earliestWeek, rank: { referralId: id, rttClockStart: ref.rttClockStart, priority: ref.priority } });
      return out;
    });
  }

  /** Reasons recordConsent refuses an accept for: the site has no slot left for this patient. */
  static readonly CAPACITY_GONE_REASONS: readonly string[] = ['NO_CAPACITY_LEFT', 'CAPACITY_HELD_FOR_LONGER_WAITERS'];

  /**
   * After the patient's accept of `offerId` was refused for capacity (and rolled back, so the offer
   * is still OPEN): raises a booking-team task, once per referral and offer, so a person follows the
   * patient up, and returns the referral's other open offers that still have room for it.
   */
  async offerCapacityGone(referralId: string, offerId: string, reason: string, now = new Date()): Promise<{ openWithRoom: string[]; taskRaised: boolean }> {
    return this.prisma.sqlTransaction(async (tx) => {
      const { rows: refs } = await tx.query<{ status: string; origin_ods: string; receiving_ods: string | null; specialty_code: string; rtt_clock_start: Date; priority: string }>(
        'SELECT status::text AS status, origin_ods, receiving_ods, specialty_code, rtt_clock_start, priority FROM referral WHERE id = $1::uuid',
        [referralId],
      );
      const ref = refs[0];
      if (!ref) throw new ReferralNotFoundError();
      const taskRaised = await raiseTask(tx, {
        trustOds: taskTrustFor(ref.status, ref.origin_ods, ref.receiving_ods),
        team: 'booking',
        kind: 'offer_capacity_gone',
        referralId,
        key: `offer_capacity_gone:${referralId}:${offerId}`,
        detail: { offerId, reason },
      });
      const { rows: others } = await tx.query<{ id: string; site_ods: string }>(
        `SELECT id, site_ods FROM offer WHERE referral_id = $1::uuid AND status = 'OPEN' AND id <> $2::uuid`,
        [referralId, offerId],
      );
      if (others.length === 0) return { openWithRoom: [], taskRaised };
      const rank = { referralId, rttClockStart: ref.rtt_clock_start, priority: ref.priority };
      const standing = await siteStanding(tx, ref.specialty_code, [...new Set(others.map((o) => o.site_ods))], firstOfferWeek(now), rank, now);
      const openWithRoom = others.filter((o) => {
        const st = standing.get(o.site_ods);
        return !!st && st.free > st.ahead;
      });
      return { openWithRoom: openWithRoom.map((o) => o.id), taskRaised };
    });
  }

  // ---------- 4. formal transfer of care ----------

  async recordReceiverDecision(caller: Caller, id: string, input: { decision: 'accept' | 'reject'; reasonCode?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.receiver-decision', 'accept or reject the transfer of care');
      const actor = actorOf(caller);
      if (input.decision === 'reject') {
        if (!input.reasonCode) throw new BusinessRuleError('A reason code is needed to reject a transfer', { field: 'reasonCode' });
        const out = await applyTransition(tx, ref, {
          action: 'receiver_rejected',
          actor,
          detail: { reasonCode: input.reasonCode, placeOnOriginList: originListOutcome(ref.status, 'REJECTED_BY_RECEIVER') },
          // No longer a party: the trust that rejected reads nothing more (kept as history).
          data: { receivingOds: null, formerReceivingOds: ref.receivingOds },
          notify: ['transfer_rejected'],
        });
        await releaseSlot(tx, id, 'receiver_rejected');
        return out;
      }
      return applyTransition(tx, ref, {
        action: 'receiver_accepted',
        actor,
        type: 'transfer_of_care',
        detail: {
          fromOds: ref.originOds,
          toOds: ref.receivingOds,
          rttClockStart: ref.rttClockStart.toISOString().slice(0, 10),
          note: 'ownership moved to the receiving trust; the RTT clock keeps running',
        },
        notify: ['transfer_confirmed'],
      });
    });
  }

  // ---------- 5. booking ----------

  async book(caller: Caller, id: string, input: { kind: 'pre_op_assessment' | 'procedure'; siteOds?: string; startsAt: Date }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.book', 'book appointments');
      const { rows: trusts } = await tx.query<{ mainSiteOds: string; sites: string[] }>(
        'SELECT t.main_site_ods AS "mainSiteOds", array_agg(s.ods) AS sites FROM trust t JOIN site s ON s.trust_ods = t.ods WHERE t.ods = $1 GROUP BY t.ods',
        [ref.receivingOds],
      );
      const trust = trusts[0]!;
      const siteOds = input.siteOds ?? trust.mainSiteOds;
      if (!trust.sites.includes(siteOds)) throw new BusinessRuleError(`Site ${siteOds} is not a site of the receiving trust ${ref.receivingOds}`, { field: 'siteOds' });
      if (input.startsAt.getTime() < Date.now()) throw new BusinessRuleError('An appointment cannot start in the past', { field: 'startsAt' });
      if (input.startsAt.getTime() > Date.now() + 2 * 365 * 86_400_000) throw new BusinessRuleError('An appointment cannot be booked more than two years ahead', { field: 'startsAt' });
      if (input.kind === 'procedure') {
        const { rows: booked } = await tx.query<{ id: string }>(`SELECT id FROM booking WHERE referral_id = $1::uuid AND kind = 'procedure' AND status = 'BOOKED' LIMIT 1`, [id]);
        const active = booked[0];
        if (active) {
          throw new TransitionConflictError(`A procedure is already booked (${active.id}); cancel it before booking another`, ref.status);
        }
      }
      const booking = { id: randomUUID() };
      // The booking, and the booking-changed flag worked out again in the same statement: a
      // cancelled booking of another kind not rebooked since keeps it (this one rebooks its kind).
      await tx.query(
        `WITH b AS (INSERT INTO booking (id, referral_id, kind, site_ods, starts_at, created_by) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6))
         UPDATE referral SET booking_changed = EXISTS (
           SELECT 1 FROM booking c WHERE c.referral_id = $2::uuid AND c.status = 'CANCELLED' AND c.kind <> $3 AND NOT EXISTS (
             SELECT 1 FROM booking n WHERE n.referral_id = c.referral_id AND n.kind = c.kind AND n.id <> c.id AND n.created_at >= c.cancelled_at))
         WHERE id = $2::uuid`,
        [booking.id, id, input.kind, siteOds, input.startsAt, caller.sub],
      );
      const out = await applyTransition(tx, ref, {
        action: input.kind === 'procedure' ? 'procedure_booked' : 'pre_op_assessment_booked',
        actor: actorOf(caller),
        type: 'appointment_booked',
        detail: { bookingId: booking.id, kind: input.kind, siteOds, startsAt: input.startsAt.toISOString() },
        notify: [{ event: 'appointment_booked', detail: { bookingId: booking.id } }],
      });
      return { ...out, bookingId: booking.id };
    });
  }

  async cancelBooking(caller: Caller, id: string, bookingId: string, input: { reason: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.book', 'cancel appointments');
      const { rows: found } = await tx.query<{ kind: string; status: string }>('SELECT kind, status FROM booking WHERE id = $1::uuid AND referral_id = $2::uuid', [bookingId, id]);
      const booking = found[0];
      if (!booking) throw new ReferralNotFoundError('Booking');
      if (booking.status !== 'BOOKED') {
        throw new TransitionConflictError(`This booking is already ${booking.status.toLowerCase()}`, ref.status);
      }
      const out = await applyTransition(tx, ref, {
        action: booking.kind === 'procedure' ? 'procedure_cancelled' : 'pre_op_assessment_cancelled',
        actor: actorOf(caller),
        type: 'appointment_cancelled',
        detail: { bookingId, kind: booking.kind, reason: input.reason },
        notify: [{ event: 'appointment_cancelled', detail: { bookingId } }],
      });
      await tx.query(
        `WITH b AS (UPDATE booking SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now() WHERE id = $1::uuid RETURNING referral_id)
         UPDATE referral SET booking_changed = true WHERE id = (SELECT referral_id FROM b)`,
        [bookingId, input.reason],
      );
      return out;
    });
  }

  // ---------- 6. treatment ----------

  async recordTreatment(caller: Caller, id: string, input: { performedAt: Date; procedureCode: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.treatment', 'record treatment');
      if (input.performedAt.getTime() > Date.now() + 5 * 60_000) throw new BusinessRuleError('Treatment cannot be recorded in the future', { field: 'performedAt' });
      if (input.performedAt < ref.rttClockStart) throw new BusinessRuleError('Treatment cannot be before the RTT clock start', { field: 'performedAt' });
      const out = await applyTransition(tx, ref, {
        action: 'treatment_recorded',
        actor: actorOf(caller),
        detail: { procedureCode: input.procedureCode, performedAt: input.performedAt.toISOString(), rttStatus: '30', note: 'RTT clock stopped: first definitive treatment' },
        data: { rttClockStop: input.performedAt },
        notify: ['treatment_recorded'],
      });
      await tx.query(`UPDATE booking SET status = 'ATTENDED' WHERE referral_id = $1::uuid AND kind = 'procedure' AND status = 'BOOKED'`, [id]);
      return out;
    });
  }

  // ---------- 7. discharge ----------

  async recordDischarge(caller: Caller, id: string, input: { dischargedAt: Date; summary: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.discharge', 'discharge the patient');
      if (input.dischargedAt.getTime() > Date.now() + 5 * 60_000) throw new BusinessRuleError('Discharge cannot be recorded in the future', { field: 'dischargedAt' });
      if (ref.rttClockStop && input.dischargedAt < ref.rttClockStop) throw new BusinessRuleError('Discharge cannot be before treatment', { field: 'dischargedAt' });
      const out = await applyTransition(tx, ref, {
        action: 'discharged',
        actor: actorOf(caller),
        detail: { dischargedAt: input.dischargedAt.toISOString(), gpPracticeOds: ref.patient.gpPracticeOds },
        jobs: (eventId) => [outboxJob('discharge.dispatch', { referralId: id }, eventId)],
        notify: ['discharged'],
      });
      await this.saveNote(tx, id, 'discharge_summary', input.summary, caller.sub);
      return out;
    });
  }

  // ---------- exits ----------

  async withdraw(caller: Caller, id: string, input: { reason?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.withdraw', "record that the patient withdraws (the receiving trust cancels, with a reason, once it holds the transfer of care)");
      return this.exit(tx, ref, caller, 'withdrawn', 'WITHDRAWN', input.reason, ['withdrawn']);
    });
  }

  async cancel(caller: Caller, id: string, input: { reason: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.cancel', 'cancel the referral');
      // The patient has not heard of the transfer before an offer: nothing to tell them then.
      const told = !['IDENTIFIED', 'AWAITING_CLINICAL_REVIEW'].includes(ref.status);
      return this.exit(tx, ref, caller, 'cancelled', 'CANCELLED', input.reason, told ? [{ event: 'cancelled', detail: { reason: input.reason } }] : []);
    });
  }

  private async exit(tx: Tx, ref: LoadedReferral, caller: Caller, action: 'withdrawn' | 'cancelled', exitStatus: ReferralStatus, reason: string | undefined, notify: TransitionSpec['notify']) {
    // A receiving trust that had not yet accepted the transfer of care is no longer a party: it reads
    // nothing more. One that had accepted it held the patient's care, and keeps its record.
    const releaseReceiver = ref.receivingOds !== null && !RECEIVER_OWNS.has(ref.status);
    const out = await applyTransition(tx, ref, {
      action,
      actor: actorOf(caller),
      detail: { reason: reason ?? null, placeOnOriginList: originListOutcome(ref.status, exitStatus) },
      data: releaseReceiver ? { receivingOds: null, formerReceivingOds: ref.receivingOds } : undefined,
      notify,
    });
    await tx.query(`UPDATE offer SET status = 'WITHDRAWN' WHERE referral_id = $1::uuid AND status = 'OPEN'`, [ref.id]);
    await releaseSlot(tx, ref.id, action);
    await tx.query(`UPDATE booking SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now() WHERE referral_id = $1::uuid AND status = 'BOOKED'`, [ref.id, `referral ${action}`]);
    return out;
  }

  // ---------- the patient's contact details ----------

  /**
   * The referring trust's booking team corrects the patient's contact details on this referral
   * (its own record: no other referral or trust is touched). Messages not yet sent read them when
   * they go. The timeline names the fields changed, never their values.
   */
  async correctPatientContact(caller: Caller, id: string, input: ContactCorrection): Promise<{ changed: ContactField[] }> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'referral.patient-contact', "correct the patient's contact details");
      const changed = await correctContact(tx, id, input);
      if (changed.length === 0) return { changed };
      const updated = await tx.query('UPDATE referral SET version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2', [id, ref.version]);
      if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
      await appendEvent(tx, id, ref.status, 'patient_contact_corrected', actorOf(caller), { fields: changed });
      return { changed };
    });
  }

  // ---------- a person re-drives failed automated steps ----------

  async retry(caller: Caller, id: string) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      if (!ref.needsAttention) {
        throw new TransitionConflictError('Nothing to retry: no automated step of this referral has failed', ref.status);
      }
      const { rows: failed } = await tx.query<{ id: string; queue: string; jobName: JobName; jobId: string; payload: unknown }>(
        `SELECT o.id::text AS id, o.queue, o.job_name AS "jobName", o.job_id AS "jobId", o.payload FROM outbox_message o
         WHERE o.referral_id = $1::uuid AND o.superseded_by IS NULL
           AND o.job_id IN (SELECT e.detail->>'jobId' FROM timeline_event e WHERE e.referral_id = $1::uuid AND e.type = 'needs_attention')
         ORDER BY o.id`,
        [id],
      );
      const updated = await tx.query('UPDATE referral SET needs_attention = false, version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2', [id, ref.version]);
      if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
      const eventId = await appendEvent(tx, id, ref.status, 'retry_requested', actorOf(caller), { jobs: failed.map((f) => f.jobName) });
      for (const f of failed) {
        const jobId = `${f.jobId}.r${eventId}`;
        await writeOutbox(tx, id, [{ name: f.jobName, jobId, payload: f.payload as never }]);
        await tx.query('UPDATE outbox_message SET superseded_by = $2 WHERE id = $1::bigint', [f.id, jobId]);
      }
      return { retried: failed.length };
    });
  }

  // ---------- helpers ----------

  private async load(tx: Tx, caller: Caller, id: string): Promise<LoadedReferral> {
    const ref = await loadReferral(tx, id, caller);
    if (!ref) throw new ReferralNotFoundError();
    return ref;
  }

  private assertStatus(ref: LoadedReferral, status: ReferralStatus, what: string): void {
    if (ref.status !== status) {
      throw new TransitionConflictError(`Cannot ${what}: the referral is ${ref.status}. This is only possible while it is ${status}.`, ref.status, [status]);
    }
  }

  private async saveNote(tx: Tx, referralId: string, kind: string, text: string | undefined, authorSub: string) {
    if (text) await tx.query('INSERT INTO clinical_note (id, referral_id, kind, text, author_sub) VALUES ($1::uuid, $2::uuid, $3, $4, $5)', [randomUUID(), referralId, kind, text, authorSub]);
  }
}
