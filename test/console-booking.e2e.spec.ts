// Booking as it really goes, in the staff console in Chromium without JavaScript: the receiving
// booking team declares a clinic, books from one of its slots, sees the patient's change request
// and reschedules, records a did-not-attend; the trust admin sets the did-not-attend policy.
// axe-core on every page; screenshots at 1280 and 768 px.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startConsole, weekAhead, type ConsoleHarness } from './support/console.js';
import { bearer, drained, driveTo, getReferral, lastEventOf, waitUntil } from './support/stack.js';

let h: ConsoleHarness;

beforeAll(async () => {
  h = await startConsole();
}, 120_000);

afterAll(async () => {
  await h?.s.prisma.sql.query(`DELETE FROM booking_policy WHERE trust_ods = 'RJC'`);
  await h?.close();
});

const noScript = { javaScriptEnabled: false };

/** The free slots of RJC's clinics by this clinician, as the API lists them. */
async function slotsOf(clinicianName: string) {
  const res = await h.s.http.get('/v1/clinics').query({ days: 120 }).set(bearer(h.c.clerkRJC)).expect(200);
  const session = res.body.items.find((x: { clinicianName: string }) => x.clinicianName === clinicianName);
  return session.slots as Array<{ id: string; startsAt: string; bookingId: string | null }>;
}

async function submit(page: Page, button: string) {
  await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: button }).click()]);
}

describe('the receiving booking team in the console', () => {
  it('declares a clinic session; its slots are listed', async () => {
    const clerk = await h.signedIn('clerk.rjc', '/console/clinics', noScript);
    expect(await clerk.getByRole('heading', { level: 1 }).textContent()).toBe('Clinics');
    // A mistake is said at its field.
    await submit(clerk, 'Declare clinic');
    await expect(clerk.getByRole('alert').textContent()).resolves.toContain('Select what the clinic is for');

    const day = weekAhead(6);
    await clerk.getByLabel('Procedure (theatre list)').check();
    await clerk.getByLabel('Site').selectOption({ label: 'Warwick Hospital' });
    await clerk.getByLabel('Clinician').fill('Mr Owain Price');
    await clerk.getByLabel('Day').fill(day.day);
    await clerk.getByLabel('Month').fill(day.month);
    await clerk.getByLabel('Year').fill(day.year);
    await clerk.getByLabel('Start time').fill('08:30');
    await clerk.getByLabel('Slot length in minutes').fill('45');
    await clerk.getByLabel('Number of slots').fill('4');
    await submit(clerk, 'Declare clinic');
    expect(new URL(clerk.url()).search).toBe('?done=declared');
    await expect(clerk.getByText('Clinic declared').first().isVisible()).resolves.toBe(true);
    const row = clerk.getByRole('row').filter({ hasText: 'Mr Owain Price' });
    await expect(row.textContent()).resolves.toContain('4 free of 4 (45 minutes each)');
    expect(await slotsOf('Mr Owain Price')).toHaveLength(4);
    await h.shots(clerk, 'clinics');

    // The referring trust's clinician sees no form (clinics are the booking team's).
    const clinician = await h.signedIn('clinician.rjc', '/console/clinics', noScript);
    await expect(clinician.getByRole('button', { name: 'Declare clinic' }).count()).resolves.toBe(0);
  });

  it("books from a slot, sees the patient's change request, reschedules, and records a did-not-attend", async () => {
    const { id, patient } = await driveTo(h.s, h.c, 'AWAITING_BOOKING', { patient: { givenName: 'Eluned' } });
    const slots = await slotsOf('Mr Owain Price');
    const clerk = await h.signedIn('clerk.rjc', `/console/referrals/${id}`, noScript);

    await clerk.getByLabel('Free slot').selectOption(slots[0].id);
    await submit(clerk, 'Book this slot');
    expect(new URL(clerk.url()).search).toBe('?done=book-slot');
    let view = await getReferral(h.s, h.c.clerkRJC, id);
    expect(view.status).toBe('BOOKED');
    const booked = view.bookings.find((b: { status: string }) => b.status === 'BOOKED');
    expect(booked).toMatchObject({ kind: 'procedure', siteOds: 'RJC02', startsAt: slots[0].startsAt });

    // The patient asks to change it: the request is on the booking team's tasks and on the referral.
    await h.s.http
      .post(`/v1/referrals/${id}/bookings/${booked.id}/change-request`)
      .set(bearer(patient))
      .send({ request: 'change', reasonCode: 'CARER_NOT_AVAILABLE' })
      .expect(201);
    const tasks = await h.signedIn('clerk.rjc', '/console/worklists/tasks', noScript);
    await expect(tasks.getByRole('row').filter({ hasText: 'The patient asks to change or cancel an appointment' }).count()).resolves.toBeGreaterThan(0);
    await clerk.goto(`${h.base}/console/referrals/${id}`);
    await expect(clerk.getByText('The patient asks to change the date').isVisible()).resolves.toBe(true);
    await expect(clerk.getByText('My carer is not available').isVisible()).resolves.toBe(true);
    await h.shots(clerk, 'referral-booking-forms');

    // A reason is needed.
    await clerk.getByLabel('New slot').selectOption(slots[2].id);
    await submit(clerk, 'Reschedule appointment');
    await expect(clerk.getByRole('alert').textContent()).resolves.toContain('Select why the appointment moves');
    await clerk.getByLabel('New slot').selectOption(slots[2].id);
    await clerk.getByLabel('Reason for the change').selectOption('PATIENT_CARER');
    await submit(clerk, 'Reschedule appointment');
    expect(new URL(clerk.url()).search).toBe('?done=reschedule');
    view = await getReferral(h.s, h.c.clerkRJC, id);
    const moved = view.bookings.find((b: { status: string }) => b.status === 'BOOKED');
    expect(moved.startsAt).toBe(slots[2].startsAt);
    expect(lastEventOf(view, 'appointment_rescheduled').detail).toMatchObject({ reasonCode: 'PATIENT_CARER', initiatedBy: 'patient' });
    await expect(clerk.getByText('The patient asks to change the date').count()).resolves.toBe(0);
    const done = await h.s.http.get('/v1/tasks').query({ kind: 'appointment_change_request', status: 'DONE' }).set(bearer(h.c.clerkRJC)).expect(200);
    expect(done.body.items.some((t: { referralId: string }) => t.referralId === id)).toBe(true);
    await waitUntil(async () => {
      const notes = await h.s.http.get(`/v1/referrals/${id}/notifications`).set(bearer(h.c.clerkRJC));
      return notes.body.items.some((n: { event: string }) => n.event === 'appointment_rescheduled') || null;
    }, 'the patient to be told of the move');

    // Its day comes and goes: the form to record a did-not-attend appears, and the default policy rebooks.
    await expect(clerk.getByRole('button', { name: 'Record did not attend' }).count()).resolves.toBe(0);
    await h.s.prisma.sql.query(`UPDATE booking SET starts_at = now() - interval '3 hours' WHERE id = $1::uuid`, [moved.id]);
    await clerk.goto(`${h.base}/console/referrals/${id}`);
    await submit(clerk, 'Record did not attend');
    expect(new URL(clerk.url()).search).toBe('?done=did-not-attend');
    view = await getReferral(h.s, h.c.clerkRJC, id);
    expect(view.status).toBe('AWAITING_BOOKING');
    expect(lastEventOf(view, 'did_not_attend').detail).toMatchObject({ bookingId: moved.id, outcome: 'rebook' });
  });

  it('the trust admin sets the did-not-attend policy; a clerk reads it without a form', async () => {
    const admin = await h.signedIn('admin.rjc', '/console/booking-policy', noScript);
    await expect(admin.getByText('the booking team offers a new date').isVisible()).resolves.toBe(true);
    await admin.getByLabel('Return the referral to the referring trust').check();
    await admin.getByLabel('Missed appointments before it returns').fill('9');
    await submit(admin, 'Save policy');
    await expect(admin.getByRole('alert').textContent()).resolves.toContain('Missed appointments must be a whole number from 1 to 5');
    await admin.getByLabel('Return the referral to the referring trust').check();
    await admin.getByLabel('Missed appointments before it returns').fill('2');
    await submit(admin, 'Save policy');
    expect(new URL(admin.url()).search).toBe('?done=saved');
    await expect(admin.getByText('after 2 missed appointments').isVisible()).resolves.toBe(true);
    const policy = await h.s.http.get('/v1/booking-policy').set(bearer(h.c.clerkRJC)).expect(200);
    expect(policy.body).toMatchObject({ dnaAction: 'return_to_referrer', returnAfterDnas: 2 });
    await h.shots(admin, 'booking-policy');

    const clerk = await h.signedIn('clerk.rjc', '/console/booking-policy', noScript);
    await expect(clerk.getByRole('button', { name: 'Save policy' }).count()).resolves.toBe(0);
    // The form's POST is the admin's alone: a clerk's is refused.
    const cookie = await h.cookieOf(clerk);
    const refused = await fetch(`${h.base}/console/booking-policy`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'dnaAction=rebook',
      redirect: 'manual',
    });
    expect(refused.status).toBe(403);
  });

  it("the patient asks for another date from the link in their appointment message; it lands on the booking team's tasks", async () => {
    const { id } = await driveTo(h.s, h.c, 'AWAITING_BOOKING', { patient: { givenName: 'Gwenllian', dateOfBirth: '1959-02-11' } });
    const slots = await slotsOf('Mr Owain Price');
    const free = slots.find((sl) => sl.bookingId === null)!;
    await h.s.http.post(`/v1/referrals/${id}/bookings`).set(bearer(h.c.clerkRJC)).send({ kind: 'procedure', slotId: free.id }).expect(201);
    await drained(h.s);
    const { rows } = await h.s.prisma.sql.query<{ body: string }>(
      `SELECT m.body FROM local_message_text m JOIN notification n ON n.id = m.notification_id WHERE n.referral_id = $1::uuid AND n.event = 'appointment_booked'`,
      [id],
    );
    const link = /go to (http\S+\/offer\/appointment\/\S+) \(you will be asked/.exec(rows[0].body)?.[1];
    expect(link).toBeDefined();

    const patient = await h.newPage(noScript);
    await patient.goto(link!);
    await patient.getByLabel('Day').fill('11');
    await patient.getByLabel('Month').fill('2');
    await patient.getByLabel('Year').fill('1959');
    await submit(patient, 'Continue');
    expect(await patient.getByRole('heading', { level: 1 }).textContent()).toBe('Your procedure');
    await expect(patient.getByText('Warwick Hospital, Lakin Road, Warwick, CV34 5BW').isVisible()).resolves.toBe(true);
    await h.shots(patient, 'appointment-change');
    await submit(patient, 'Send my request');
    await expect(patient.getByRole('alert').textContent()).resolves.toContain('Select why you cannot come');
    await patient.getByLabel('Ask for another date').check();
    await patient.getByLabel('No transport to get there').check();
    // Too long: refused in words, with every character they wrote still in the box.
    const comment = patient.getByLabel('Anything the booking team should know (optional)');
    const tooLong = `Mornings are hard.\n${'I work shifts. '.repeat(40)}`;
    await comment.fill(tooLong);
    await submit(patient, 'Send my request');
    await expect(patient.getByRole('alert').textContent()).resolves.toContain('What you tell the booking team must be 500 characters or fewer');
    await expect(comment.inputValue()).resolves.toBe(tooLong.trim());
    // 500 characters as typed, line breaks one each (the browser sends them as CRLF): taken.
    const lines = ['Mornings are hard.', 'Afternoons are fine.', 'Not Fridays.'];
    const note = [...lines, 'x'.repeat(500 - lines.join('\n').length - 1)].join('\n');
    expect(note.length).toBe(500);
    await comment.fill(note);
    await submit(patient, 'Send my request');
    expect(await patient.getByRole('heading', { level: 1 }).textContent()).toBe('We have your request for another date');

    const view = await getReferral(h.s, h.c.clerkRJC, id);
    expect(lastEventOf(view, 'appointment_change_requested').detail).toMatchObject({
      request: 'change',
      reasonCode: 'NO_TRANSPORT',
      comment: note,
    });
    const tasks = await h.s.http.get('/v1/tasks').query({ kind: 'appointment_change_request' }).set(bearer(h.c.clerkRJC)).expect(200);
    expect(tasks.body.items.some((t: { referralId: string }) => t.referralId === id)).toBe(true);
    // The link again: the request is in, so it says so rather than taking a second one.
    await patient.goto(link!);
    expect(await patient.getByRole('heading', { level: 1 }).textContent()).toBe('You have already asked to change this appointment');
    // A link that is not an appointment's does not open.
    const wrong = await fetch(link!.replace(/appointment\/.*/, 'appointment/not-a-token'));
    expect(wrong.status).toBe(404);
  });

  it('every page passed axe-core', () => {
    expect(Object.fromEntries(h.axeFindings)).toEqual({ clinics: [], 'referral-booking-forms': [], 'booking-policy': [], 'appointment-change': [] });
  });
});
