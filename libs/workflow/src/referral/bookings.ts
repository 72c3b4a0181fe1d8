// Stage 5, booking: the receiving trust's booking team books (from a free clinic slot, or a typed
// date), reschedules, cancels and records did-not-attend for the pre-operative assessment and the
// procedure at one of its sites; the patient asks to change or cancel; the patient is told each time.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError, DuplicateError, ReferralNotFoundError, TransitionConflictError } from '../workflow-errors.js';
import { loadVisible } from './referral-step.js';
import { appendEvent, applyTransition, type Tx } from '../referral-transition.js';
import { raiseTask } from '../tasks.js';
import type { LoadedReferral } from '../referral-load.js';
import { readPolicy, releaseClinicSlots, slotFor, takeSlot } from './clinics.js';
import {
  CHANGE_REQUEST_REASONS,
  DNA_RETURN_REASONS,
  RESCHEDULE_REASONS,
  originListOutcome,
  reasonMeaning,
  rescheduleInitiatedBy,
  type ChangeRequestReason,
  type RescheduleReason,
} from '#domain';

export type BookingKind = 'pre_op_assessment' | 'procedure';

/** The task a patient's change request raises on the receiving booking team's worklist. */
export const CHANGE_REQUEST_TASK = 'appointment_change_request';

interface BookingRow {
  kind: BookingKind;
  status: string;
  site_ods: string;
  starts_at: Date;
  past: boolean;
}

@Injectable()
export class Bookings {
  constructor(private readonly prisma: PrismaService) {}

  /** Books from a free clinic slot (`slotId`: its site and time), or at a typed date and site. */
  async book(caller: Caller, id: string, input: { kind: BookingKind; siteOds?: string; startsAt?: Date; slotId?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.book', 'book appointments');
      let slot: { id: string; siteOds: string; startsAt: Date } | null = null;
      if (input.slotId) {
        if (input.startsAt || input.siteOds) throw new BusinessRuleError('Give a slotId, or a startsAt (and siteOds), not both', { field: 'slotId' });
        slot = { id: input.slotId, ...(await slotFor(tx, input.slotId, { trustOds: ref.receivingOds!, kind: input.kind })) };
      } else if (!input.startsAt) {
        throw new BusinessRuleError('Give a slotId (a free clinic slot) or a startsAt', { field: 'slotId' });
      }
      const startsAt = slot?.startsAt ?? input.startsAt!;
      // The receiving trust's sites and, for a procedure, one already booked: one statement.
      const { rows: trusts } = await tx.query<{ mainSiteOds: string; sites: string[]; activeProcedure: string | null }>(
        `SELECT t.main_site_ods AS "mainSiteOds", array_agg(s.ods) AS sites,
                CASE WHEN $3 = 'procedure' THEN (SELECT b.id::text FROM booking b WHERE b.referral_id = $2::uuid AND b.kind = 'procedure' AND b.status = 'BOOKED' LIMIT 1) END AS "activeProcedure"
         FROM trust t JOIN site s ON s.trust_ods = t.ods WHERE t.ods = $1 GROUP BY t.ods`,
        [ref.receivingOds, id, input.kind],
      );
      const trust = trusts[0];
      const siteOds = slot?.siteOds ?? input.siteOds ?? trust.mainSiteOds;
      if (!trust.sites.includes(siteOds))
        throw new BusinessRuleError(`Site ${siteOds} is not a site of the receiving trust ${ref.receivingOds}`, { field: 'siteOds' });
      if (startsAt.getTime() < Date.now()) throw new BusinessRuleError('An appointment cannot start in the past', { field: 'startsAt' });
      if (startsAt.getTime() > Date.now() + 2 * 365 * 86_400_000)
        throw new BusinessRuleError('An appointment cannot be booked more than two years ahead', { field: 'startsAt' });
      if (trust.activeProcedure) {
        throw new TransitionConflictError(`A procedure is already booked (${trust.activeProcedure}); cancel it before booking another`, ref.status);
      }
      const booking = { id: randomUUID() };
      // The booking, and the booking-changed flag worked out again in the same statement: a
      // cancelled or missed (did-not-attend) booking of another kind not rebooked since keeps it
      // (this one rebooks its kind).
      await tx.query(
        `WITH b AS (INSERT INTO booking (id, referral_id, kind, site_ods, starts_at, created_by) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6))
         UPDATE referral SET booking_changed = EXISTS (
           SELECT 1 FROM booking c WHERE c.referral_id = $2::uuid AND c.status IN ('CANCELLED', 'DID_NOT_ATTEND') AND c.kind <> $3 AND NOT EXISTS (
             SELECT 1 FROM booking n WHERE n.referral_id = c.referral_id AND n.kind = c.kind AND n.id <> c.id AND n.created_at >= c.cancelled_at))
         WHERE id = $2::uuid`,
        [booking.id, id, input.kind, siteOds, startsAt, caller.sub],
      );
      if (slot) await takeSlot(tx, slot.id, booking.id);
      const out = await applyTransition(tx, ref, {
        action: input.kind === 'procedure' ? 'procedure_booked' : 'pre_op_assessment_booked',
        actor: actorOf(caller),
        type: 'appointment_booked',
        detail: { bookingId: booking.id, kind: input.kind, siteOds, startsAt: startsAt.toISOString(), ...(slot ? { slotId: slot.id } : {}) },
        notify: [{ event: 'appointment_booked', detail: { bookingId: booking.id } }],
      });
      return { ...out, bookingId: booking.id };
    });
  }

  async cancel(caller: Caller, id: string, bookingId: string, input: { reason: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.book', 'cancel appointments');
      const { rows: found } = await tx.query<{ kind: string; status: string }>(
        'SELECT kind, status FROM booking WHERE id = $1::uuid AND referral_id = $2::uuid',
        [bookingId, id],
      );
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
      await tx.query('UPDATE clinic_slot SET booking_id = NULL WHERE booking_id = $1::uuid', [bookingId]);
      await tx.query(
        `WITH b AS (UPDATE booking SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now() WHERE id = $1::uuid RETURNING referral_id)
         UPDATE referral SET booking_changed = true WHERE id = (SELECT referral_id FROM b)`,
        [bookingId, input.reason],
      );
      await closeChangeRequests(tx, id, bookingId, caller.sub);
      return out;
    });
  }

  /**
   * Moves a live booking to another free slot of the same kind, with a coded reason (patient- or
   * hospital-initiated). The old booking is kept as RESCHEDULED and a new one made, so each has its
   * own reminders; the old slot is freed. The patient is told the new date, site and address.
   */
  async reschedule(caller: Caller, id: string, bookingId: string, input: { slotId: string; reasonCode: RescheduleReason; note?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.book', 'reschedule appointments');
      const old = await liveBooking(tx, ref, id, bookingId);
      if (!(input.reasonCode in RESCHEDULE_REASONS)) throw new BusinessRuleError('reasonCode is not a reschedule reason', { field: 'reasonCode' });
      const slot = await slotFor(tx, input.slotId, { trustOds: ref.receivingOds!, kind: old.kind });
      const moved = randomUUID();
      await tx.query('UPDATE clinic_slot SET booking_id = NULL WHERE booking_id = $1::uuid', [bookingId]);
      await tx.query(
        `WITH o AS (UPDATE booking SET status = 'RESCHEDULED', cancel_reason = $6, cancelled_at = now() WHERE id = $7::uuid)
         INSERT INTO booking (id, referral_id, kind, site_ods, starts_at, created_by) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $8)`,
        [moved, id, old.kind, slot.siteOds, slot.startsAt, `rescheduled: ${input.reasonCode}`, bookingId, caller.sub],
      );
      await takeSlot(tx, input.slotId, moved);
      const initiatedBy = rescheduleInitiatedBy(input.reasonCode);
      const out = await applyTransition(tx, ref, {
        action: 'appointment_rescheduled',
        actor: actorOf(caller),
        type: 'appointment_rescheduled',
        detail: {
          bookingId: moved,
          previousBookingId: bookingId,
          kind: old.kind,
          reasonCode: input.reasonCode,
          initiatedBy,
          // Not `note`: the view keeps clinical notes to clinicians, and this is the booking team's.
          ...(input.note ? { comment: input.note } : {}),
          siteOds: slot.siteOds,
          startsAt: slot.startsAt.toISOString(),
          previousStartsAt: old.starts_at.toISOString(),
          slotId: input.slotId,
        },
        notify: [
          {
            event: 'appointment_rescheduled',
            detail: {
              bookingId: moved,
              previousStartsAt: old.starts_at.toISOString(),
              // The patient's own reason needs no telling back; the hospital's is said.
              ...(initiatedBy === 'hospital' ? { reason: reasonMeaning(input.reasonCode).replace(/^Hospital initiated: /, '') } : {}),
            },
          },
        ],
      });
      await closeChangeRequests(tx, id, bookingId, caller.sub);
      return { ...out, bookingId: moved };
    });
  }

  /**
   * Records that the patient did not attend a booked appointment whose time has come. What follows
   * is the receiving trust's policy (booking_policy): rebook (the booking team is to offer a new date;
   * a missed procedure goes back to be booked), or, at the policy's number of missed appointments,
   * the referral returns to the referrer. The patient is told either way.
   */
  async notAttended(caller: Caller, id: string, bookingId: string) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.book', 'record that a patient did not attend');
      const booking = await liveBooking(tx, ref, id, bookingId);
      if (!booking.past) throw new BusinessRuleError('A did-not-attend is recorded only once the appointment time has passed', { field: 'bookingId' });
      await tx.query(`UPDATE booking SET status = 'DID_NOT_ATTEND', cancelled_at = now() WHERE id = $1::uuid`, [bookingId]);
      const { rows: count } = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM booking WHERE referral_id = $1::uuid AND status = 'DID_NOT_ATTEND'`,
        [id],
      );
      const dnas = count[0].n;
      const policy = await readPolicy(tx, ref.receivingOds!);
      const actor = actorOf(caller);
      if (policy.dnaAction === 'return_to_referrer' && dnas >= policy.returnAfterDnas) {
        const reasonCode = 'RETURNED_AFTER_DNA' satisfies keyof typeof DNA_RETURN_REASONS;
        const out = await applyTransition(tx, ref, {
          action: 'returned_to_referrer_after_dna',
          actor,
          type: 'returned_to_referrer_after_dna',
          detail: {
            bookingId,
            kind: booking.kind,
            dnaCount: dnas,
            policy: { dnaAction: policy.dnaAction, returnAfterDnas: policy.returnAfterDnas },
            reasonCode,
            reason: reasonMeaning(reasonCode),
            placeOnOriginList: originListOutcome(ref.status, 'CANCELLED'),
          },
          notify: [{ event: 'returned_after_dna', detail: { bookingId } }],
        });
        // Whatever else was booked goes with the referral, and its slots are freed for others.
        await releaseClinicSlots(tx, id);
        await tx.query(`UPDATE booking SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now() WHERE referral_id = $1::uuid AND status = 'BOOKED'`, [
          id,
          'referral returned to the referrer after did-not-attend',
        ]);
        await closeChangeRequests(tx, id, null, caller.sub);
        return { ...out, outcome: 'returned_to_referrer' as const, dnaCount: dnas };
      }
      const out = await applyTransition(tx, ref, {
        action: booking.kind === 'procedure' ? 'procedure_not_attended' : 'pre_op_assessment_not_attended',
        actor,
        type: 'did_not_attend',
        detail: {
          bookingId,
          kind: booking.kind,
          dnaCount: dnas,
          policy: { dnaAction: policy.dnaAction, returnAfterDnas: policy.returnAfterDnas },
          outcome: 'rebook',
        },
        notify: [{ event: 'appointment_not_attended', detail: { bookingId } }],
      });
      // On the booking-changed worklist until a new date is booked for this kind.
      await tx.query('UPDATE referral SET booking_changed = true WHERE id = $1::uuid', [id]);
      await closeChangeRequests(tx, id, bookingId, caller.sub);
      return { ...out, outcome: 'rebook' as const, dnaCount: dnas };
    });
  }

  /**
   * The patient asks to change or cancel a booked appointment, with a coded reason: a timeline event,
   * and a task on the receiving booking team's worklist, which the clerk closes by rescheduling or
   * cancelling that booking. One open request per booking.
   */
  async requestChange(caller: Caller, id: string, bookingId: string, input: { request: 'change' | 'cancel'; reasonCode: ChangeRequestReason; note?: string }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      const booking = await liveBooking(tx, ref, id, bookingId);
      if (booking.past) throw new BusinessRuleError('This appointment has already happened; phone the booking team', { field: 'bookingId' });
      if (!(input.reasonCode in CHANGE_REQUEST_REASONS)) throw new BusinessRuleError('reasonCode is not a change request reason', { field: 'reasonCode' });
      const { rows: open } = await tx.query<{ id: string }>(
        `SELECT id FROM task WHERE referral_id = $1::uuid AND kind = $2 AND status = 'OPEN' AND detail->>'bookingId' = $3 FOR UPDATE`,
        [id, CHANGE_REQUEST_TASK, bookingId],
      );
      if (open[0]) throw new DuplicateError('You have already asked to change this appointment; the booking team will contact you', { field: 'bookingId' });
      // The patient's words stay on the referral's timeline (read with it); the task carries codes and ids only.
      const eventId = await appendEvent(tx, id, ref.status, 'appointment_change_requested', actorOf(caller), {
        bookingId,
        kind: booking.kind,
        request: input.request,
        reasonCode: input.reasonCode,
        reason: CHANGE_REQUEST_REASONS[input.reasonCode],
        ...(input.note ? { comment: input.note } : {}),
      });
      await raiseTask(tx, {
        trustOds: ref.receivingOds!,
        team: 'booking',
        kind: CHANGE_REQUEST_TASK,
        referralId: id,
        key: `${CHANGE_REQUEST_TASK}.${eventId}`,
        detail: { bookingId, request: input.request, reasonCode: input.reasonCode, eventId },
      });
      return { eventId, bookingId, request: input.request, reasonCode: input.reasonCode };
    });
  }
}

/** The referral's booking `bookingId`, still BOOKED; `past`: its time has come. */
async function liveBooking(tx: Tx, ref: LoadedReferral, id: string, bookingId: string): Promise<BookingRow> {
  const { rows } = await tx.query<BookingRow>(
    'SELECT kind, status, site_ods, starts_at, starts_at <= now() AS past FROM booking WHERE id = $1::uuid AND referral_id = $2::uuid',
    [bookingId, id],
  );
  const booking = rows[0];
  if (!booking) throw new ReferralNotFoundError('Booking');
  if (booking.status !== 'BOOKED')
    throw new TransitionConflictError(`This booking is already ${booking.status.toLowerCase().replaceAll('_', ' ')}`, ref.status);
  return booking;
}

/** Closes the patient's open change requests for a booking (or all the referral's, with null): the clerk has acted on them. */
async function closeChangeRequests(tx: Tx, referralId: string, bookingId: string | null, by: string): Promise<void> {
  await tx.query(
    `UPDATE task SET status = 'DONE', completed_at = now(), completed_by = $3
      WHERE referral_id = $1::uuid AND kind = $4 AND status = 'OPEN' AND ($2::text IS NULL OR detail->>'bookingId' = $2::text)`,
    [referralId, bookingId, by, CHANGE_REQUEST_TASK],
  );
}
