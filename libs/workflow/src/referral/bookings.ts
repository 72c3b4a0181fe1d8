// Stage 5, booking: the receiving trust's booking team books and cancels the pre-operative
// assessment and the procedure at one of its sites; the patient is told each time.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { applyTransition } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { BusinessRuleError, ReferralNotFoundError, TransitionConflictError } from '../workflow-errors.js';
import { loadVisible } from './referral-step.js';

@Injectable()
export class Bookings {
  constructor(private readonly prisma: PrismaService) {}

  async book(caller: Caller, id: string, input: { kind: 'pre_op_assessment' | 'procedure'; siteOds?: string; startsAt: Date }) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      requireSide(caller, ref, 'referral.book', 'book appointments');
      const { rows: trusts } = await tx.query<{ mainSiteOds: string; sites: string[] }>(
        'SELECT t.main_site_ods AS "mainSiteOds", array_agg(s.ods) AS sites FROM trust t JOIN site s ON s.trust_ods = t.ods WHERE t.ods = $1 GROUP BY t.ods',
        [ref.receivingOds],
      );
      const trust = trusts[0];
      const siteOds = input.siteOds ?? trust.mainSiteOds;
      if (!trust.sites.includes(siteOds))
        throw new BusinessRuleError(`Site ${siteOds} is not a site of the receiving trust ${ref.receivingOds}`, { field: 'siteOds' });
      if (input.startsAt.getTime() < Date.now()) throw new BusinessRuleError('An appointment cannot start in the past', { field: 'startsAt' });
      if (input.startsAt.getTime() > Date.now() + 2 * 365 * 86_400_000)
        throw new BusinessRuleError('An appointment cannot be booked more than two years ahead', { field: 'startsAt' });
      if (input.kind === 'procedure') {
        const { rows: booked } = await tx.query<{ id: string }>(
          `SELECT id FROM booking WHERE referral_id = $1::uuid AND kind = 'procedure' AND status = 'BOOKED' LIMIT 1`,
          [id],
        );
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
      await tx.query(
        `WITH b AS (UPDATE booking SET status = 'CANCELLED', cancel_reason = $2, cancelled_at = now() WHERE id = $1::uuid RETURNING referral_id)
         UPDATE referral SET booking_changed = true WHERE id = (SELECT referral_id FROM b)`,
        [bookingId, input.reason],
      );
      return out;
    });
  }
}
