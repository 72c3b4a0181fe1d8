// Each stage's use case as a function against the real Postgres (no HTTP, no worker): what it
// writes, what it refuses and with which error. The e2e suites keep the contract; these keep the
// use cases honest one by one, in a second or two.
import { describe, expect, it } from '@jest/globals';
import {
  AutomatedSteps,
  Bookings,
  BusinessRuleError,
  ClinicalReview,
  Consent,
  DuplicateError,
  OpenReferral,
  PatientContact,
  ReferralExits,
  ReferralNotFoundError,
  TransferOfCare,
  TransitionConflictError,
  TreatmentAndDischarge,
  WrongSideError,
} from '#workflow';
import { newReferral, patientCaller, staff, useUseCaseContext } from './use-case-context.js';

const { app, db } = useUseCaseContext();
const clerkRLQ = staff('booking_clerk', 'RLQ');
const clinRLQ = staff('clinician', 'RLQ');
const clinRJC = staff('clinician', 'RJC');
const clerkRJC = staff('booking_clerk', 'RJC');
const clerkRLT = staff('booking_clerk', 'RLT');

const row = async (id: string) =>
  (
    await db.sql.query<{
      status: string;
      version: number;
      receiving_ods: string | null;
      former_receiving_ods: string | null;
      rtt_clock_stop: Date | null;
      booking_changed: boolean;
    }>('SELECT status::text AS status, version, receiving_ods, former_receiving_ods, rtt_clock_stop, booking_changed FROM referral WHERE id = $1::uuid', [id])
  ).rows[0];
const jobs = async (id: string) =>
  (await db.sql.query<{ job_name: string }>('SELECT job_name FROM outbox_message WHERE referral_id = $1::uuid ORDER BY id', [id])).rows.map((r) => r.job_name);

/** A referral opened by RLQ and taken, step by step through the use cases, to `stage`. */
async function at(stage: 'AWAITING_CLINICAL_REVIEW' | 'AWAITING_PATIENT_CONSENT' | 'AWAITING_RECEIVER_ACCEPTANCE' | 'AWAITING_BOOKING' | 'BOOKED' | 'TREATED') {
  const input = newReferral();
  const { referralId: id } = await app.get(OpenReferral).open(clerkRLQ, input, null);
  const patient = patientCaller(input.patient.nhsNumber);
  const steps: Array<[string, () => Promise<unknown>]> = [
    ['AWAITING_CLINICAL_REVIEW', () => app.get(AutomatedSteps).screen({ referralId: id })],
    ['AWAITING_PATIENT_CONSENT', () => app.get(ClinicalReview).record(clinRLQ, id, { decision: 'suitable' })],
    [
      'AWAITING_RECEIVER_ACCEPTANCE',
      async () => {
        const offer = (
          await db.sql.query<{ id: string }>(`SELECT id FROM offer WHERE referral_id = $1::uuid AND receiving_ods = 'RJC' AND status = 'OPEN' LIMIT 1`, [id])
        ).rows[0];
        return app.get(Consent).record(patient, id, { decision: 'accept', offerId: offer.id });
      },
    ],
    ['AWAITING_BOOKING', () => app.get(TransferOfCare).decide(clinRJC, id, { decision: 'accept' })],
    ['BOOKED', () => app.get(Bookings).book(clerkRJC, id, { kind: 'procedure', startsAt: new Date(Date.now() + 21 * 86_400_000) })],
    ['TREATED', () => app.get(TreatmentAndDischarge).recordTreatment(clinRJC, id, { performedAt: new Date(), procedureCode: 'W371' })],
  ];
  for (const [status, step] of steps) {
    await step();
    expect((await row(id)).status).toBe(status);
    if (status === stage) break;
  }
  return { id, input, patient };
}

describe('OpenReferral', () => {
  it('opens at IDENTIFIED with its screening job, replays an Idempotency-Key, and refuses a reused key with another body', async () => {
    const input = newReferral();
    const open = app.get(OpenReferral);
    const first = await open.open(clerkRLQ, input, `k-${input.pathwayId}`);
    expect(first.replayed).toBe(false);
    expect(await row(first.referralId)).toMatchObject({ status: 'IDENTIFIED', version: 1 });
    expect(await jobs(first.referralId)).toEqual(['referral.screen']);
    expect(await open.open(clerkRLQ, input, `k-${input.pathwayId}`)).toEqual({ referralId: first.referralId, replayed: true });
    await expect(open.open(clerkRLQ, { ...input, priority: 'P1' }, `k-${input.pathwayId}`)).rejects.toThrow(BusinessRuleError);
  });

  it('refuses a second open referral for the pathway (naming it) and an RTT clock before birth', async () => {
    const input = newReferral();
    const { referralId } = await app.get(OpenReferral).open(clerkRLQ, input, null);
    const dup = await app
      .get(OpenReferral)
      .open(clerkRLQ, input, null)
      .catch((e) => e);
    expect(dup).toBeInstanceOf(DuplicateError);
    expect(dup.details).toMatchObject({ field: 'pathwayId', referralId });
    await expect(app.get(OpenReferral).open(clerkRLQ, { ...newReferral(), rttClockStart: new Date('1950-01-01T00:00:00Z') }, null)).rejects.toThrow(
      /before the patient was born/,
    );
  });
});

describe('AutomatedSteps.screen and ClinicalReview', () => {
  it('screens once, then the referring clinician finds it suitable: offers stand and the make-offers job is written', async () => {
    const { id } = await at('AWAITING_CLINICAL_REVIEW');
    expect(await app.get(AutomatedSteps).screen({ referralId: id })).toMatchObject({ outcome: 'skipped' });
    await expect(app.get(ClinicalReview).record(clinRJC, id, { decision: 'suitable' })).rejects.toThrow(ReferralNotFoundError);
    await expect(app.get(ClinicalReview).record(clinRLQ, id, { decision: 'not_suitable' })).rejects.toThrow(/reason code is needed/);
    await app.get(ClinicalReview).record(clinRLQ, id, { decision: 'suitable', note: 'Fit to travel.' });
    expect(await row(id)).toMatchObject({ status: 'AWAITING_PATIENT_CONSENT' });
    expect(await jobs(id)).toEqual(['referral.screen', 'referral.make-offers']);
    const open = await db.sql.query(`SELECT 1 FROM offer WHERE referral_id = $1::uuid AND status = 'OPEN'`, [id]);
    expect(open.rowCount).toBeGreaterThan(0);
    const again = await app
      .get(ClinicalReview)
      .record(clinRLQ, id, { decision: 'suitable' })
      .catch((e) => e);
    expect(again).toBeInstanceOf(TransitionConflictError);
    expect(again.details).toMatchObject({ currentStatus: 'AWAITING_PATIENT_CONSENT', allowedFrom: ['AWAITING_CLINICAL_REVIEW'] });
  });
});

describe('Consent and TransferOfCare', () => {
  it("the patient's accept makes RJC the receiver and writes the transfer dispatch; RJC accepts the transfer of care", async () => {
    const { id } = await at('AWAITING_RECEIVER_ACCEPTANCE');
    expect(await row(id)).toMatchObject({ receiving_ods: 'RJC' });
    expect(await jobs(id)).toContain('transfer.dispatch');
    await expect(app.get(TransferOfCare).decide(clinRLQ, id, { decision: 'accept' })).rejects.toThrow(WrongSideError);
    await app.get(TransferOfCare).decide(clinRJC, id, { decision: 'accept' });
    expect(await row(id)).toMatchObject({ status: 'AWAITING_BOOKING', receiving_ods: 'RJC' });
  });

  it('a rejection needs a reason code and leaves the receiver a former party', async () => {
    const { id } = await at('AWAITING_RECEIVER_ACCEPTANCE');
    await expect(app.get(TransferOfCare).decide(clinRJC, id, { decision: 'reject' })).rejects.toThrow(BusinessRuleError);
    await app.get(TransferOfCare).decide(clinRJC, id, { decision: 'reject', reasonCode: 'NO_CAPACITY' });
    expect(await row(id)).toMatchObject({ status: 'REJECTED_BY_RECEIVER', receiving_ods: null, former_receiving_ods: 'RJC' });
  });

  it('a clerk recording the answer must say how it came', async () => {
    const { id } = await at('AWAITING_PATIENT_CONSENT');
    await expect(app.get(Consent).record(clerkRLQ, id, { decision: 'decline' })).rejects.toThrow(/method: phone or letter/);
    await app.get(Consent).record(clerkRLQ, id, { decision: 'decline', method: 'phone' });
    expect(await row(id)).toMatchObject({ status: 'DECLINED' });
  });
});

describe('AutomatedSteps.dispatchTransfer', () => {
  it('sends the data set to a receiving trust that is a party, even late; none once the referral ended before the transfer of care', async () => {
    const treated = await at('TREATED');
    expect(await app.get(AutomatedSteps).dispatchTransfer({ referralId: treated.id })).toEqual({ outcome: 'done', reason: undefined });
    expect((await db.sql.query(`SELECT 1 FROM dispatch WHERE referral_id = $1::uuid AND kind = 'TRANSFER'`, [treated.id])).rowCount).toBe(1);
    const withdrawn = await at('AWAITING_RECEIVER_ACCEPTANCE');
    await app.get(ReferralExits).withdraw(withdrawn.patient, withdrawn.id, {});
    expect(await app.get(AutomatedSteps).dispatchTransfer({ referralId: withdrawn.id })).toEqual({
      outcome: 'skipped',
      reason: 'referral ended (WITHDRAWN) before the transfer of care: nothing sent',
    });
    expect((await db.sql.query('SELECT 1 FROM dispatch WHERE referral_id = $1::uuid', [withdrawn.id])).rowCount).toBe(0);
  });
});

describe('Bookings, TreatmentAndDischarge', () => {
  it('books, cancels (booking changed) and rebooks the procedure; treatment stops the RTT clock; discharge writes its dispatch', async () => {
    const { id } = await at('BOOKED');
    const bookings = app.get(Bookings);
    await expect(bookings.book(clerkRJC, id, { kind: 'procedure', startsAt: new Date(Date.now() + 30 * 86_400_000) })).rejects.toThrow(/already booked/);
    const { rows } = await db.sql.query<{ id: string }>(`SELECT id FROM booking WHERE referral_id = $1::uuid AND status = 'BOOKED'`, [id]);
    await bookings.cancel(clerkRJC, id, rows[0].id, { reason: 'Surgeon unavailable' });
    expect(await row(id)).toMatchObject({ status: 'AWAITING_BOOKING', booking_changed: true });
    await bookings.book(clerkRJC, id, { kind: 'procedure', startsAt: new Date(Date.now() + 28 * 86_400_000) });
    expect(await row(id)).toMatchObject({ status: 'BOOKED', booking_changed: false });
    const treatment = app.get(TreatmentAndDischarge);
    await expect(treatment.recordTreatment(clinRJC, id, { performedAt: new Date(Date.now() + 86_400_000), procedureCode: 'W371' })).rejects.toThrow(
      /in the future/,
    );
    await treatment.recordTreatment(clinRJC, id, { performedAt: new Date(), procedureCode: 'W371' });
    expect((await row(id)).rtt_clock_stop).not.toBeNull();
    await treatment.recordDischarge(clinRJC, id, { dischargedAt: new Date(), summary: 'Recovered well.' });
    expect(await row(id)).toMatchObject({ status: 'DISCHARGED' });
    expect(await jobs(id)).toContain('discharge.dispatch');
  });
});

describe('ReferralExits and PatientContact', () => {
  it('the receiver cannot withdraw or cancel before accepting; the referring trust can, and the receiver leaves', async () => {
    const { id } = await at('AWAITING_RECEIVER_ACCEPTANCE');
    const exits = app.get(ReferralExits);
    await expect(exits.withdraw(clerkRJC, id, {})).rejects.toThrow(WrongSideError);
    await expect(exits.cancel(clinRJC, id, { reason: 'x' })).rejects.toThrow(/reject the transfer with a reason code/);
    await exits.cancel(clerkRLQ, id, { reason: 'Opened in error' });
    expect(await row(id)).toMatchObject({ status: 'CANCELLED', receiving_ods: null, former_receiving_ods: 'RJC' });
    await expect(exits.cancel(clerkRLQ, id, { reason: 'again' })).rejects.toThrow(TransitionConflictError);
  });

  it('corrects contact details on this referral only, naming the fields changed; another trust cannot see it', async () => {
    const { id } = await at('AWAITING_CLINICAL_REVIEW');
    const contact = app.get(PatientContact);
    await expect(contact.correct(clerkRLT, id, { email: 'x@example.com' })).rejects.toThrow(ReferralNotFoundError);
    expect(await contact.correct(clerkRLQ, id, { email: 'alex.new@example.com', address: '1 High Street, Hereford' })).toEqual({ changed: ['email'] });
    expect(await contact.correct(clerkRLQ, id, { email: 'alex.new@example.com' })).toEqual({ changed: [] });
    const { rows } = await db.sql.query<{ type: string; detail: unknown }>(
      `SELECT type, detail FROM timeline_event WHERE referral_id = $1::uuid AND type = 'patient_contact_corrected'`,
      [id],
    );
    expect(rows).toEqual([{ type: 'patient_contact_corrected', detail: { fields: ['email'] } }]);
  });
});
