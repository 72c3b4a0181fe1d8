// The human steps of the referral workflow, each one transaction through applyTransition.
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { originListOutcome, type ReferralStatus } from '#domain';
import { Prisma } from '#prisma-client';
import { PrismaService, type Tx } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { outboxJob } from '#queue';
import { appendEvent, applyTransition, writeOutbox, type ReferralRef, type TransitionSpec } from './referral-transition.js';
import { requireSide, visibleTo } from './referral-scope.js';
import { BusinessRuleError, ConcurrentChangeError, DuplicateError, ReferralNotFoundError, TransitionConflictError } from './workflow-errors.js';
import { OfferMatcher } from './offer-matcher.js';

export interface NewReferral {
  readonly patient: {
    readonly nhsNumber: string;
    readonly familyName: string;
    readonly givenName: string;
    readonly dateOfBirth: Date;
    readonly address?: string | null;
    readonly postcode: string;
    readonly phone?: string | null;
    readonly email?: string | null;
    readonly gpPracticeOds: string;
  };
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
  ) {}

  // ---------- 1. identification ----------

  async create(caller: Caller, input: NewReferral, idempotencyKey: string | null): Promise<CreateResult> {
    const ods = caller.ods!;
    if (input.rttClockStart < input.patient.dateOfBirth) {
      throw new BusinessRuleError('The RTT clock cannot start before the patient was born', { field: 'rttClockStart' });
    }
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    if (idempotencyKey) {
      // Keys are kept for 24 hours; after that the same key starts afresh.
      await this.prisma.idempotencyRecord.deleteMany({ where: { ods, key: idempotencyKey, createdAt: { lt: new Date(Date.now() - IDEMPOTENCY_TTL_MS) } } });
      const prior = await this.prisma.idempotencyRecord.findUnique({ where: { ods_key: { ods, key: idempotencyKey } } });
      if (prior) return this.replay(prior, requestHash);
    }
    try {
      return await this.prisma.$transaction(async (tx) => {
        const patientId = await upsertPatient(tx, input.patient);
        const referral = await tx.referral.create({
          data: {
            patientId,
            originOds: ods,
            specialtyCode: input.specialtyCode,
            procedureCode: input.procedureCode,
            rttClockStart: input.rttClockStart,
            pathwayId: input.pathwayId,
            priority: input.priority,
            nextAppointmentDate: input.nextAppointmentDate ?? null,
            tertiary: input.tertiary ?? false,
          },
          select: { id: true },
        });
        const event = await tx.timelineEvent.create({
          data: {
            referralId: referral.id,
            type: 'referral_opened',
            fromStatus: null,
            toStatus: 'IDENTIFIED',
            actorSub: caller.sub,
            actorRole: caller.role,
            actorOds: caller.ods,
            detail: { pathwayId: input.pathwayId, rttClockStart: input.rttClockStart.toISOString().slice(0, 10) },
          },
          select: { id: true },
        });
        await writeOutbox(tx, referral.id, [outboxJob('referral.screen', { referralId: referral.id }, event.id.toString())]);
        if (idempotencyKey) {
          await tx.idempotencyRecord.create({ data: { ods, key: idempotencyKey, requestHash, referralId: referral.id } });
        }
        return { referralId: referral.id, replayed: false };
      });
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
        // A concurrent repeat with the same key may collide on the pathway or on the key:
        // either way, once the first has committed its record answers for both.
        if (idempotencyKey) {
          const prior = await this.prisma.idempotencyRecord.findUnique({ where: { ods_key: { ods, key: idempotencyKey } } });
          if (prior) return this.replay(prior, requestHash);
        }
        const open = await this.prisma.referral.findFirst({
          where: { originOds: ods, pathwayId: input.pathwayId, status: { notIn: ['DISCHARGED', 'NOT_ELIGIBLE', 'NOT_SUITABLE', 'DECLINED', 'REJECTED_BY_RECEIVER', 'WITHDRAWN', 'CANCELLED'] } },
          select: { id: true, status: true },
        });
        if (open) {
          throw new DuplicateError(`Pathway ${input.pathwayId} already has an open referral (${open.id}, ${open.status})`, { field: 'pathwayId', referralId: open.id });
        }
      }
      throw e;
    }
  }

  private replay(prior: { requestHash: string; referralId: string }, requestHash: string): CreateResult {
    if (prior.requestHash !== requestHash) {
      throw new BusinessRuleError('This Idempotency-Key was already used with a different request body', { field: 'Idempotency-Key' });
    }
    return { referralId: prior.referralId, replayed: true };
  }

  // ---------- 2. clinical review ----------

  async recordClinicalReview(caller: Caller, id: string, input: { decision: 'suitable' | 'not_suitable'; reasonCode?: string; note?: string }) {
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'origin', 'record the clinical review');
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
      const offers = await this.offers.match(tx, { originOds: ref.originOds, specialtyCode: ref.specialtyCode, postcode: ref.patient.postcode, travelRadiusMiles: ref.travelRadiusMiles }, new Date());
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
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      if (caller.role === 'booking_clerk') {
        requireSide(caller, ref, 'origin', "record the patient's answer");
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
        await tx.offer.updateMany({ where: { referralId: id, status: 'OPEN' }, data: { status: 'DECLINED' } });
        return out;
      }
      this.assertStatus(ref, 'AWAITING_PATIENT_CONSENT', "record the patient's answer to the offer");
      const offers = await tx.offer.findMany({ where: { referralId: id }, orderBy: { distanceMiles: 'asc' } });
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
      await tx.offer.update({ where: { id: offer.id }, data: { status: 'ACCEPTED' } });
      await tx.offer.updateMany({ where: { referralId: id, status: 'OPEN' }, data: { status: 'WITHDRAWN' } });
      return out;
    });
  }

  // ---------- 4. formal transfer of care ----------

  async recordReceiverDecision(caller: Caller, id: string, input: { decision: 'accept' | 'reject'; reasonCode?: string }) {
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'receiving', 'accept or reject the transfer of care');
      const actor = actorOf(caller);
      if (input.decision === 'reject') {
        if (!input.reasonCode) throw new BusinessRuleError('A reason code is needed to reject a transfer', { field: 'reasonCode' });
        return applyTransition(tx, ref, {
          action: 'receiver_rejected',
          actor,
          detail: { reasonCode: input.reasonCode, placeOnOriginList: originListOutcome(ref.status, 'REJECTED_BY_RECEIVER') },
          notify: ['transfer_rejected'],
        });
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
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'receiving', 'book appointments');
      const trust = await tx.trust.findUnique({ where: { ods: ref.receivingOds! }, include: { sites: true } });
      const siteOds = input.siteOds ?? trust!.mainSiteOds;
      const site = trust!.sites.find((s) => s.ods === siteOds);
      if (!site) throw new BusinessRuleError(`Site ${siteOds} is not a site of the receiving trust ${ref.receivingOds}`, { field: 'siteOds' });
      if (input.startsAt.getTime() < Date.now()) throw new BusinessRuleError('An appointment cannot start in the past', { field: 'startsAt' });
      if (input.startsAt.getTime() > Date.now() + 2 * 365 * 86_400_000) throw new BusinessRuleError('An appointment cannot be booked more than two years ahead', { field: 'startsAt' });
      if (input.kind === 'procedure') {
        const active = await tx.booking.findFirst({ where: { referralId: id, kind: 'procedure', status: 'BOOKED' } });
        if (active) {
          throw new TransitionConflictError(`A procedure is already booked (${active.id}); cancel it before booking another`, ref.status);
        }
      }
      const booking = await tx.booking.create({
        data: { referralId: id, kind: input.kind, siteOds, startsAt: input.startsAt, createdBy: caller.sub },
      });
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
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'receiving', 'cancel appointments');
      const booking = await tx.booking.findFirst({ where: { id: bookingId, referralId: id } });
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
      await tx.booking.update({ where: { id: bookingId }, data: { status: 'CANCELLED', cancelReason: input.reason, cancelledAt: new Date() } });
      return out;
    });
  }

  // ---------- 6. treatment ----------

  async recordTreatment(caller: Caller, id: string, input: { performedAt: Date; procedureCode: string }) {
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'receiving', 'record treatment');
      if (input.performedAt.getTime() > Date.now() + 5 * 60_000) throw new BusinessRuleError('Treatment cannot be recorded in the future', { field: 'performedAt' });
      if (input.performedAt < ref.rttClockStart) throw new BusinessRuleError('Treatment cannot be before the RTT clock start', { field: 'performedAt' });
      const out = await applyTransition(tx, ref, {
        action: 'treatment_recorded',
        actor: actorOf(caller),
        detail: { procedureCode: input.procedureCode, performedAt: input.performedAt.toISOString(), rttStatus: '30', note: 'RTT clock stopped: first definitive treatment' },
        data: { rttClockStop: input.performedAt },
        notify: ['treatment_recorded'],
      });
      await tx.booking.updateMany({ where: { referralId: id, kind: 'procedure', status: 'BOOKED' }, data: { status: 'ATTENDED' } });
      return out;
    });
  }

  // ---------- 7. discharge ----------

  async recordDischarge(caller: Caller, id: string, input: { dischargedAt: Date; summary: string }) {
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      requireSide(caller, ref, 'receiving', 'discharge the patient');
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
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      return this.exit(tx, ref, caller, 'withdrawn', 'WITHDRAWN', input.reason, ['withdrawn']);
    });
  }

  async cancel(caller: Caller, id: string, input: { reason: string }) {
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      // The patient has not heard of the transfer before an offer: nothing to tell them then.
      const told = !['IDENTIFIED', 'AWAITING_CLINICAL_REVIEW'].includes(ref.status);
      return this.exit(tx, ref, caller, 'cancelled', 'CANCELLED', input.reason, told ? [{ event: 'cancelled', detail: { reason: input.reason } }] : []);
    });
  }

  private async exit(tx: Tx, ref: LoadedReferral, caller: Caller, action: 'withdrawn' | 'cancelled', exitStatus: ReferralStatus, reason: string | undefined, notify: TransitionSpec['notify']) {
    const out = await applyTransition(tx, ref, {
      action,
      actor: actorOf(caller),
      detail: { reason: reason ?? null, placeOnOriginList: originListOutcome(ref.status, exitStatus) },
      notify,
    });
    await tx.offer.updateMany({ where: { referralId: ref.id, status: 'OPEN' }, data: { status: 'WITHDRAWN' } });
    await tx.booking.updateMany({ where: { referralId: ref.id, status: 'BOOKED' }, data: { status: 'CANCELLED', cancelReason: `referral ${action}`, cancelledAt: new Date() } });
    return out;
  }

  // ---------- a person re-drives failed automated steps ----------

  async retry(caller: Caller, id: string) {
    return this.prisma.$transaction(async (tx) => {
      const ref = await this.load(tx, caller, id);
      if (!ref.needsAttention) {
        throw new TransitionConflictError('Nothing to retry: no automated step of this referral has failed', ref.status);
      }
      const flagged = await tx.timelineEvent.findMany({ where: { referralId: id, type: 'needs_attention' }, select: { detail: true } });
      const jobIds = flagged.map((e) => (e.detail as { jobId?: string } | null)?.jobId).filter((j): j is string => !!j);
      const failed = await tx.outboxMessage.findMany({ where: { referralId: id, jobId: { in: jobIds }, supersededBy: null } });
      const updated = await tx.referral.updateMany({ where: { id, version: ref.version }, data: { needsAttention: false, version: { increment: 1 } } });
      if (updated.count === 0) throw new ConcurrentChangeError(ref.status);
      const eventId = await appendEvent(tx, id, ref.status, 'retry_requested', actorOf(caller), { jobs: failed.map((f) => f.jobName) });
      for (const f of failed) {
        const jobId = `${f.jobId}.r${eventId}`;
        await tx.outboxMessage.create({ data: { referralId: id, queue: f.queue, jobName: f.jobName, jobId, payload: f.payload as Prisma.InputJsonValue } });
        await tx.outboxMessage.update({ where: { id: f.id }, data: { supersededBy: jobId } });
      }
      return { retried: failed.length };
    });
  }

  // ---------- helpers ----------

  private async load(tx: Tx, caller: Caller, id: string): Promise<LoadedReferral> {
    const ref = await tx.referral.findFirst({
      where: { AND: [{ id }, visibleTo(caller)] },
      include: { patient: { select: { email: true, phone: true, postcode: true, gpPracticeOds: true } } },
    });
    if (!ref) throw new ReferralNotFoundError();
    return { ...ref, status: ref.status as ReferralStatus };
  }

  private assertStatus(ref: LoadedReferral, status: ReferralStatus, what: string): void {
    if (ref.status !== status) {
      throw new TransitionConflictError(`Cannot ${what}: the referral is ${ref.status}. This is only possible while it is ${status}.`, ref.status, [status]);
    }
  }

  private async saveNote(tx: Tx, referralId: string, kind: string, text: string | undefined, authorSub: string) {
    if (text) await tx.clinicalNote.create({ data: { referralId, kind, text, authorSub } });
  }
}

type LoadedReferral = ReferralRef & {
  needsAttention: boolean;
  originOds: string;
  receivingOds: string | null;
  specialtyCode: string;
  rttClockStart: Date;
  rttClockStop: Date | null;
  travelRadiusMiles: number | null;
  patient: { email: string | null; phone: string | null; postcode: string; gpPracticeOds: string };
};

/** Insert or refresh the patient's demographics from the referring trust, safe under concurrency. */
async function upsertPatient(tx: Tx, p: NewReferral['patient']): Promise<string> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO patient (id, nhs_number, family_name, given_name, date_of_birth, address, postcode, phone, email, gp_practice_ods, updated_at)
    VALUES (gen_random_uuid(), ${p.nhsNumber}, ${p.familyName}, ${p.givenName}, ${p.dateOfBirth}::date, ${p.address ?? null}, ${p.postcode},
            ${p.phone ?? null}, ${p.email ?? null}, ${p.gpPracticeOds}, now())
    ON CONFLICT (nhs_number) DO UPDATE SET
      family_name = EXCLUDED.family_name, given_name = EXCLUDED.given_name, date_of_birth = EXCLUDED.date_of_birth,
      address = EXCLUDED.address, postcode = EXCLUDED.postcode, phone = EXCLUDED.phone, email = EXCLUDED.email,
      gp_practice_ods = EXCLUDED.gp_practice_ods, updated_at = now()
    RETURNING id::text AS id`;
  return rows[0]!.id;
}

