// Bad input at every door: malformed bodies, wrong types, impossible NHS identifiers and dates,
// unknown fields, oversized bodies, bad path ids and query strings, and bad tokens. Each is refused
// with the contract's error body naming the field, and nothing is written.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { OPERATION_ERRORS } from '../apps/api/src/http/openapi-errors.js';
import { bearer, drained, driveTo, getReferral, isoDay, referralBody, token, useStack } from './support/stack.js';

const { s, c } = useStack();

interface Res {
  status: number;
  body: any;
  headers: Record<string, string>;
}

/** The contract's error body: {statusCode, error, message, details?}, as JSON, with no stack or SQL. */
function expectErrorBody(res: Res, status: number) {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { statusCode: status } });
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(typeof res.body.error).toBe('string');
  expect(res.body.error.length).toBeGreaterThan(0);
  expect(typeof res.body.message).toBe('string');
  expect(res.body.message.length).toBeGreaterThan(0);
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+|prisma\.|SELECT |INSERT INTO/i);
}

/** The fields an error body names: details is a list of {field, messages} (400) or one {field} (422). */
function namedFields(body: { details?: unknown }): string[] {
  const d = body.details;
  if (Array.isArray(d)) return d.map((x: { field: string }) => x.field);
  if (d && typeof d === 'object' && 'field' in d) return [(d as { field: string }).field];
  return [];
}

/** A 400 validation error whose details name exactly `fields`, each with messages that name the field. */
function expectInvalid(res: Res, ...fields: string[]) {
  expectErrorBody(res, 400);
  expect(Array.isArray(res.body.details)).toBe(true);
  expect([...new Set(namedFields(res.body))].sort()).toEqual([...fields].sort());
  for (const d of res.body.details as Array<{ field: string; messages: string[] }>) {
    expect(d.messages.length).toBeGreaterThan(0);
    for (const m of d.messages) expect(typeof m).toBe('string');
    for (const m of d.messages) expect(m).toContain(d.field);
  }
}

/** A 422 business-rule refusal naming `field`. */
function expectRefused(res: Res, field: string) {
  expectErrorBody(res, 422);
  expect(namedFields(res.body)).toContain(field);
}

// ---------------------------------------------------------------------------------------------
describe('POST /v1/referrals with bad input', () => {
  // Every bad body below is built on this one; none of them may leave a trace.
  const base = referralBody();
  const pathwayId = base.pathwayId;
  const nhs = base.patient.nhsNumber;
  const post = (body: unknown) =>
    s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .send(body as object);
  const withPatient = (patient: Record<string, unknown>) => ({ ...base, patient: { ...base.patient, ...patient } });
  const without = <T extends object>(o: T, key: keyof T) => {
    const copy = { ...o };
    delete copy[key];
    return copy;
  };

  describe('the shape of the body', () => {
    it('refuses malformed JSON with 400 naming the body', async () => {
      const res = await s.http
        .post('/v1/referrals')
        .set(bearer(c.clerkRLQ))
        .set('Content-Type', 'application/json')
        .send('{"patient": {"nhsNumber": "9434765919",');
      expectErrorBody(res, 400);
      expect(res.body.details).toEqual([{ field: 'body', messages: [expect.any(String)] }]);
    });

    it('refuses a JSON document that is not an object or array (strict JSON) as malformed', async () => {
      for (const raw of ['"just a string"', '42', 'null', 'true']) {
        const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Content-Type', 'application/json').send(raw);
        expectErrorBody(res, 400);
        expect(namedFields(res.body)).toEqual(['body']);
      }
    });

    it('refuses an empty object, naming every required field', async () => {
      const res = await post({});
      expectInvalid(res, 'patient', 'specialtyCode', 'procedureCode', 'rttClockStart', 'pathwayId', 'priority');
    });

    it('refuses a request with no body at all, naming the required fields', async () => {
      const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ));
      expectErrorBody(res, 400);
      expect(namedFields(res.body)).toEqual(expect.arrayContaining(['patient', 'specialtyCode', 'rttClockStart']));
    });

    it('does not read a JSON body sent as text/plain: 400 naming the required fields', async () => {
      const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Content-Type', 'text/plain').send(JSON.stringify(base));
      expectInvalid(res, 'patient', 'specialtyCode', 'procedureCode', 'rttClockStart', 'pathwayId', 'priority');
    });

    it('refuses an array where the object goes', async () => {
      for (const body of [[], [base]]) {
        const res = await post(body);
        expectErrorBody(res, 400);
        expect(namedFields(res.body).length).toBeGreaterThan(0);
      }
    });

    it('refuses patient as an array, a string, a number or null, naming patient', async () => {
      for (const patient of [[], [base.patient], 'Mary Jones', 42, null]) {
        const res = await post({ ...base, patient });
        expectErrorBody(res, 400);
        expect(namedFields(res.body)).toContain('patient');
        expect(namedFields(res.body).every((f) => f === 'patient' || f.startsWith('patient.'))).toBe(true);
      }
    });
  });

  describe('unknown fields', () => {
    it('refuses an unknown top-level field, naming it', async () => {
      const res = await post({ ...base, isAdmin: true });
      expectInvalid(res, 'isAdmin');
      expect(res.body.details[0].messages).toEqual(['isAdmin is not a known field']);
    });

    it('refuses an unknown nested field, naming it with its path', async () => {
      const res = await post(withPatient({ foo: 'bar' }));
      expectInvalid(res, 'patient.foo');
      expect(res.body.details[0].messages).toEqual(['patient.foo is not a known field']);
    });

    it('refuses server-owned fields a client might try to set', async () => {
      const res = await post({ ...base, status: 'AWAITING_BOOKING', receivingOds: 'RJC', id: '00000000-0000-4000-8000-000000000000' });
      expectInvalid(res, 'status', 'receivingOds', 'id');
    });
  });

  describe('wrong types', () => {
    it('refuses nhsNumber as a number', async () => {
      expectInvalid(await post(withPatient({ nhsNumber: 9434765919 })), 'patient.nhsNumber');
    });
    it('refuses priority as a number', async () => {
      expectInvalid(await post({ ...base, priority: 4 }), 'priority');
    });
    it('refuses tertiary as "yes" (and as the string "true")', async () => {
      expectInvalid(await post({ ...base, tertiary: 'yes' }), 'tertiary');
      expectInvalid(await post({ ...base, tertiary: 'true' }), 'tertiary');
    });
    it('refuses specialtyCode as a number', async () => {
      expectInvalid(await post({ ...base, specialtyCode: 110 }), 'specialtyCode');
    });
    it('refuses familyName as an object', async () => {
      const res = await post(withPatient({ familyName: { first: 'Jones' } }));
      expectErrorBody(res, 400);
      expect(namedFields(res.body)).toContain('patient.familyName');
    });
  });

  describe('NHS numbers', () => {
    it.each([
      ['a wrong check digit', '9434765918'],
      ['9 digits', '943476591'],
      ['11 digits', '94347659190'],
      ['letters', 'ABCDEFGHIJ'],
      ['digits and a letter', '943476591X'],
      ['an empty string', ''],
    ])('refuses %s, naming patient.nhsNumber', async (_what, value) => {
      const res = await post(withPatient({ nhsNumber: value }));
      expectInvalid(res, 'patient.nhsNumber');
      expect(res.body.details[0].messages[0]).toMatch(/^patient\.nhsNumber must be a valid NHS number/);
    });
  });

  describe('dates', () => {
    it.each(['2025-02-30', '2025-13-01', '01/02/2020', '2023-02-29', '1956-3-2', '1956-03-02T00:00:00Z'])(
      'refuses dateOfBirth %p, naming patient.dateOfBirth',
      async (value) => {
        expectInvalid(await post(withPatient({ dateOfBirth: value })), 'patient.dateOfBirth');
      },
    );

    it.each(['2025-02-30', '2025-13-01', '01/02/2020'])('refuses rttClockStart %p, naming rttClockStart', async (value) => {
      expectInvalid(await post({ ...base, rttClockStart: value }), 'rttClockStart');
    });

    it('refuses a birth date in the future', async () => {
      const res = await post(withPatient({ dateOfBirth: isoDay(30) }));
      expectInvalid(res, 'patient.dateOfBirth');
      expect(res.body.details[0].messages[0]).toMatch(/not in the future/);
    });

    it('refuses an RTT clock start in the future', async () => {
      const res = await post({ ...base, rttClockStart: isoDay(30) });
      expectInvalid(res, 'rttClockStart');
      expect(res.body.details[0].messages[0]).toMatch(/not in the future/);
    });

    it('refuses an impossible nextAppointmentDate', async () => {
      expectInvalid(await post({ ...base, nextAppointmentDate: '2027-02-29' }), 'nextAppointmentDate');
    });
  });

  describe('codes, postcode, contact details', () => {
    it.each(['m81001', 'M8100', 'M810011', 'RLQ', '181001', ''])('refuses GP practice code %p', async (value) => {
      expectInvalid(await post(withPatient({ gpPracticeOds: value })), 'patient.gpPracticeOds');
    });
    it.each(['NOTAPOSTCODE', '12345', 'HR1', 'HR1 2E', ''])('refuses postcode %p', async (value) => {
      expectInvalid(await post(withPatient({ postcode: value })), 'patient.postcode');
    });
    it.each(['not-an-email', 'mary@', '@example.com', 'mary example@example.com'])('refuses email %p', async (value) => {
      expectInvalid(await post(withPatient({ email: value })), 'patient.email');
    });
    it.each(['call me', '123', '07700-900-123'])('refuses phone %p', async (value) => {
      expectInvalid(await post(withPatient({ phone: value })), 'patient.phone');
    });
    it.each(['11', '1100', 'ABC', ''])('refuses specialty code %p', async (value) => {
      expectInvalid(await post({ ...base, specialtyCode: value }), 'specialtyCode');
    });
    it.each(['w371', 'W3', '371', 'W371X', 'W37.11'])('refuses procedure code %p', async (value) => {
      expectInvalid(await post({ ...base, procedureCode: value }), 'procedureCode');
    });
    it.each(['P9', 'p4', 'P0', 'URGENT', ''])('refuses priority %p', async (value) => {
      const res = await post({ ...base, priority: value });
      expectInvalid(res, 'priority');
      expect(res.body.details[0].messages[0]).toMatch(/P1, P2, P3, P4/);
    });
    it.each(['', ' leading-space', 'has space', 'x'.repeat(41), 'RLQ;DROP'])('refuses pathwayId %p', async (value) => {
      expectInvalid(await post({ ...base, pathwayId: value }), 'pathwayId');
    });
    it('refuses an address over 300 characters', async () => {
      expectInvalid(await post(withPatient({ address: 'a'.repeat(301) })), 'patient.address');
    });
  });

  describe('names: letters, spaces, hyphens, apostrophes and full stops only', () => {
    it.each([
      "Robert'); DROP TABLE patient;--",
      '<script>alert(1)</script>',
      "' OR '1'='1",
      'Jones; DELETE FROM referral',
      '${7*7}',
      'Jones\u0000',
      'Jones\nSmith',
      '',
      '   '.replace(/ /g, '\t'),
    ])('refuses familyName %p', async (value) => {
      const res = await post(withPatient({ familyName: value }));
      expectInvalid(res, 'patient.familyName');
    });

    it('refuses script in givenName too', async () => {
      expectInvalid(await post(withPatient({ givenName: '<img src=x onerror=alert(1)>' })), 'patient.givenName');
    });

    it('refuses a name over 100 characters', async () => {
      expectInvalid(await post(withPatient({ familyName: 'A'.repeat(101) })), 'patient.familyName');
    });
  });

  describe('size', () => {
    it('refuses a body over 100kb with 413', async () => {
      const res = await post(withPatient({ address: 'x'.repeat(200_000) }));
      expectErrorBody(res, 413);
      expect(res.body.error).toBe('Payload Too Large');
    });
  });

  describe('missing fields', () => {
    it.each(['specialtyCode', 'rttClockStart', 'procedureCode', 'pathwayId', 'priority', 'patient'] as const)('names a missing %s', async (field) => {
      expectInvalid(await post(without(base, field)), field);
    });

    it.each(['nhsNumber', 'familyName', 'givenName', 'dateOfBirth', 'postcode', 'gpPracticeOds'] as const)('names a missing patient.%s', async (field) => {
      expectInvalid(await post({ ...base, patient: without(base.patient, field) }), `patient.${field}`);
    });
  });

  describe('several errors at once', () => {
    it('names every bad field in one answer', async () => {
      const res = await post({
        ...base,
        patient: { ...base.patient, nhsNumber: '9434765918', dateOfBirth: '2025-02-30', postcode: 'NOPE', email: 'nope', familyName: '<b>', foo: 1 },
        specialtyCode: '11',
        procedureCode: 'w371',
        rttClockStart: isoDay(30),
        priority: 'P9',
        tertiary: 'yes',
        bar: 2,
      });
      expectInvalid(
        res,
        'patient.nhsNumber',
        'patient.dateOfBirth',
        'patient.postcode',
        'patient.email',
        'patient.familyName',
        'patient.foo',
        'specialtyCode',
        'procedureCode',
        'rttClockStart',
        'priority',
        'tertiary',
        'bar',
      );
      for (const f of ['patient.nhsNumber', 'specialtyCode', 'priority', 'bar']) expect(res.body.message).toContain(f);
    });
  });

  describe('Idempotency-Key', () => {
    it.each(['has spaces', 'semi;colon', 'slash/key', 'é-accent', 'k'.repeat(129)])('refuses key %p with 400 naming the header', async (key) => {
      const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Idempotency-Key', key).send(base);
      expectErrorBody(res, 400);
      expect(namedFields(res.body)).toEqual(['Idempotency-Key']);
      expect(res.body.message).toMatch(/Idempotency-Key/);
    });
  });

  describe('afterwards', () => {
    it('wrote nothing: no referral for the pathway, no patient for the NHS number', async () => {
      expect(await s.prisma.referral.count({ where: { pathwayId } })).toBe(0);
      expect(await s.prisma.patient.count({ where: { nhsNumber: nhs } })).toBe(0);
      const list = await s.http.get('/v1/referrals?limit=200').set(bearer(c.clerkRLQ));
      expect(list.status).toBe(200);
      expect(list.body.items.filter((r: { pathwayId?: string }) => r.pathwayId === pathwayId)).toHaveLength(0);
    });

    it('the patient table is still there and the good body is accepted as it stands (the refusals were for the bad fields alone)', async () => {
      const res = await post(base);
      expect(res.status).toBe(201);
      expect(await s.prisma.referral.count({ where: { pathwayId } })).toBe(1);
    });

    it('accepts real names with apostrophes, hyphens, full stops and accents, stored as sent', async () => {
      const body = referralBody({ patient: { familyName: "O'Brien-Smith Jr.", givenName: 'Zoë Siân' } });
      const res = await post(body);
      expect(res.status).toBe(201);
      const p = await s.prisma.patient.findFirst({ where: { nhsNumber: body.patient.nhsNumber } });
      expect(p).toMatchObject({ familyName: "O'Brien-Smith Jr.", givenName: 'Zoë Siân' });
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('paths that are not UUIDs', () => {
  it('GET /v1/referrals/not-a-uuid is 400 naming id', async () => {
    const res = await s.http.get('/v1/referrals/not-a-uuid').set(bearer(c.clinRLQ));
    expectInvalid(res, 'id');
  });

  it.each(['/v1/referrals/123/notifications', "/v1/referrals/1'%20OR%201=1/clinical-review"])('%s is 400 naming id', async (path) => {
    const req = path.endsWith('notifications') ? s.http.get(path) : s.http.post(path).send({ decision: 'suitable' });
    expectInvalid(await req.set(bearer(c.clinRLQ)), 'id');
  });

  it('a well-formed id that does not exist is 404', async () => {
    const res = await s.http.get('/v1/referrals/00000000-0000-4000-8000-000000000000').set(bearer(c.clinRLQ));
    expectErrorBody(res, 404);
  });
});

// ---------------------------------------------------------------------------------------------
describe('clinical review with bad input', () => {
  let ref: Awaited<ReturnType<typeof driveTo>>;
  let eventsBefore: number;
  const review = (body: unknown, id = ref.id) =>
    s.http
      .post(`/v1/referrals/${id}/clinical-review`)
      .set(bearer(c.clinRLQ))
      .send(body as object);

  beforeAll(async () => {
    ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    await drained(s); // the automated steps already started must finish before we count events
    eventsBefore = (await getReferral(s, c.clinRLQ, ref.id)).timeline.length;
  });

  it("refuses decision 'maybe' with 400 naming decision", async () => {
    const res = await review({ decision: 'maybe' });
    expectInvalid(res, 'decision');
    expect(res.body.details[0].messages[0]).toMatch(/suitable or not_suitable/);
  });

  it('refuses a missing decision', async () => {
    expectInvalid(await review({ note: 'hmm' }), 'decision');
  });

  it('refuses a lower-case reason code and an unknown field', async () => {
    expectInvalid(await review({ decision: 'not_suitable', reasonCode: 'comorbidity', urgent: true }), 'reasonCode', 'urgent');
  });

  it('refuses a note over 4000 characters', async () => {
    expectInvalid(await review({ decision: 'suitable', note: 'n'.repeat(4001) }), 'note');
  });

  it('refuses not_suitable without a reasonCode with 422 naming reasonCode', async () => {
    const res = await review({ decision: 'not_suitable', note: 'Too frail to travel' });
    expectRefused(res, 'reasonCode');
  });

  it('a consent or receiver decision with a bad body is 400 before anything else', async () => {
    const consent = await s.http
      .post(`/v1/referrals/${ref.id}/consent`)
      .set(bearer(ref.patient))
      .send({ decision: 'maybe', offerId: 'abc', travelRadiusMiles: 0 });
    expectInvalid(consent, 'decision', 'offerId', 'travelRadiusMiles');
    const receiver = await s.http.post(`/v1/referrals/${ref.id}/receiver-decision`).set(bearer(c.clinRJC)).send({ decision: 'perhaps' });
    expectInvalid(receiver, 'decision');
  });

  it('leaves the referral as it was: still AWAITING_CLINICAL_REVIEW, no new events, no notes', async () => {
    const after = await getReferral(s, c.clinRLQ, ref.id);
    expect(after.status).toBe('AWAITING_CLINICAL_REVIEW');
    expect(after.timeline).toHaveLength(eventsBefore);
    expect(after.clinicalNotes).toEqual([]);
    expect(await s.prisma.clinicalNote.count({ where: { referralId: ref.id } })).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('booking, treatment and discharge with bad input', () => {
  let ref: Awaited<ReturnType<typeof driveTo>>;
  let eventsBefore: number;
  const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  const book = (body: unknown) =>
    s.http
      .post(`/v1/referrals/${ref.id}/bookings`)
      .set(bearer(c.clerkRJC))
      .send(body as object);
  const treat = (body: unknown) =>
    s.http
      .post(`/v1/referrals/${ref.id}/treatment`)
      .set(bearer(c.clinRJC))
      .send(body as object);

  beforeAll(async () => {
    ref = await driveTo(s, c, 'AWAITING_BOOKING');
    await drained(s); // transfer.dispatch runs after AWAITING_BOOKING and adds its own events
    eventsBefore = (await getReferral(s, c.clerkRJC, ref.id)).timeline.length;
  }, 60_000);

  it.each([
    ['an impossible month', '2026-13-01T10:00'],
    ['an impossible month with a timezone', '2026-13-01T10:00:00Z'],
    ['no timezone', '2027-12-01T10:00:00'],
    ['a date only', '2027-12-01'],
    ['minute 60', '2027-12-01T10:60:00Z'],
    ['a bad offset', '2027-12-01T10:00:00+99:00'],
    ['words', 'next Tuesday'],
  ])('refuses startsAt with %s (%p) with 400 naming startsAt', async (_what, startsAt) => {
    const res = await book({ kind: 'procedure', startsAt });
    expectInvalid(res, 'startsAt');
    expect(res.body.details[0].messages[0]).toMatch(/timezone/);
  });

  it('refuses a startsAt as a number (epoch milliseconds)', async () => {
    expectInvalid(await book({ kind: 'procedure', startsAt: Date.now() + 7 * 86_400_000 }), 'startsAt');
  });

  it('refuses an unknown kind and a lower-case siteOds', async () => {
    expectInvalid(await book({ kind: 'surgery', siteOds: 'rjc02', startsAt: future(14) }), 'kind', 'siteOds');
  });

  it('refuses a startsAt in the past with 422 naming startsAt', async () => {
    expectRefused(await book({ kind: 'procedure', startsAt: '2020-01-01T10:00:00Z' }), 'startsAt');
    expectRefused(await book({ kind: 'pre_op_assessment', startsAt: new Date(Date.now() - 3_600_000).toISOString() }), 'startsAt');
  });

  it('refuses a site of another trust (RLQ01) with 422 naming siteOds', async () => {
    const res = await book({ kind: 'procedure', siteOds: 'RLQ01', startsAt: future(14) });
    expectRefused(res, 'siteOds');
    expect(res.body.message).toContain('RLQ01');
  });

  it('refuses a site no trust has (ZZZ99) with 422 naming siteOds', async () => {
    expectRefused(await book({ kind: 'procedure', siteOds: 'ZZZ99', startsAt: future(14) }), 'siteOds');
  });

  it('refuses a cancel with a bookingId that is not a UUID (400 naming bookingId) or an empty reason (400 naming reason)', async () => {
    const bad = await s.http.post(`/v1/referrals/${ref.id}/bookings/not-a-booking/cancel`).set(bearer(c.clerkRJC)).send({ reason: 'Surgeon away' });
    expectInvalid(bad, 'bookingId');
    const empty = await s.http
      .post(`/v1/referrals/${ref.id}/bookings/00000000-0000-4000-8000-000000000000/cancel`)
      .set(bearer(c.clerkRJC))
      .send({ reason: '' });
    expectInvalid(empty, 'reason');
  });

  it('refuses treatment performed in the future with 422 naming performedAt', async () => {
    expectRefused(await treat({ performedAt: future(2), procedureCode: 'W371' }), 'performedAt');
  });

  it('refuses treatment before the RTT clock start with 422 naming performedAt', async () => {
    expectRefused(await treat({ performedAt: '2000-01-01T09:00:00Z', procedureCode: 'W371' }), 'performedAt');
  });

  it('refuses a lower-case procedureCode with 400 naming procedureCode', async () => {
    expectInvalid(await treat({ performedAt: new Date().toISOString(), procedureCode: 'w371' }), 'procedureCode');
  });

  it('refuses a treatment without a timezone or without a procedure code', async () => {
    expectInvalid(await treat({ performedAt: '2026-01-01T10:00:00', procedureCode: 'W371' }), 'performedAt');
    expectInvalid(await treat({ performedAt: new Date().toISOString() }), 'procedureCode');
  });

  it('refuses a discharge with an empty summary (400) or in the future (422)', async () => {
    const discharge = (body: unknown) =>
      s.http
        .post(`/v1/referrals/${ref.id}/discharge`)
        .set(bearer(c.clinRJC))
        .send(body as object);
    expectInvalid(await discharge({ dischargedAt: new Date().toISOString(), summary: '' }), 'summary');
    expectRefused(await discharge({ dischargedAt: future(3), summary: 'Recovered well.' }), 'dischargedAt');
  });

  it('leaves the referral as it was: AWAITING_BOOKING, no bookings, no clock stop, no new events', async () => {
    const after = await getReferral(s, c.clerkRJC, ref.id);
    expect(after.status).toBe('AWAITING_BOOKING');
    expect(after.bookings).toEqual([]);
    expect(after.rttClockStop ?? null).toBeNull();
    expect(after.timeline).toHaveLength(eventsBefore);
    expect(await s.prisma.booking.count({ where: { referralId: ref.id } })).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('worklist query strings', () => {
  const list = (qs: string) => s.http.get(`/v1/referrals?${qs}`).set(bearer(c.clerkRLQ));
  const cursorOf = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');

  it('answers a good query (the control)', async () => {
    const res = await list(
      'status=AWAITING_CLINICAL_REVIEW,AWAITING_BOOKING&limit=5&minWeeksWaited=0&side=origin&needsAttention=false&sort=priority&specialty=110',
    );
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.items)).toBe(true);
    expect(res.body).toHaveProperty('nextCursor');
  });

  it.each([
    ['status=NOPE', 'status'],
    ['status=AWAITING_BOOKING,NOPE', 'status'],
    ['status=awaiting_booking', 'status'],
    ['limit=0', 'limit'],
    ['limit=500', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['minWeeksWaited=abc', 'minWeeksWaited'],
    ['minWeeksWaited=-1', 'minWeeksWaited'],
    ['minWeeksWaited=521', 'minWeeksWaited'],
    ['side=both', 'side'],
    ['needsAttention=yes', 'needsAttention'],
    ['sort=name', 'sort'],
    ['specialty=11', 'specialty'],
    ['foo=bar', 'foo'],
  ])('?%s is 400 naming %s', async (qs, field) => {
    expectInvalid(await list(qs), field);
  });

  it('?cursor=garbage is 422 naming cursor', async () => {
    const res = await list('cursor=garbage');
    expectRefused(res, 'cursor');
    expect(res.body.message).toMatch(/cursor/);
  });

  it('a cursor of the other sort order is 422 naming cursor', async () => {
    expectRefused(await list(`sort=priority&cursor=${cursorOf(['2024-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])}`), 'cursor');
    expectRefused(await list(`cursor=${cursorOf(['P4', '2024-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])}`), 'cursor');
  });

  it('a cursor that decodes to JSON but not to a list of strings is 422 naming cursor', async () => {
    for (const parts of [{ a: 1 }, [1, 2], 'x']) expectRefused(await list(`cursor=${cursorOf(parts)}`), 'cursor');
  });
});

// ---------------------------------------------------------------------------------------------
describe('bearer tokens', () => {
  const devKey = () => JSON.parse(readFileSync(process.env.AUTH_DEV_KEY_FILE!, 'utf8')) as { privateJwk: JWK & { kid: string } };
  const claims = { roles: ['clinician'], ods: 'RLQ' };

  async function signWithDevKey(build: (jwt: SignJWT) => SignJWT, payload: Record<string, unknown> = claims): Promise<string> {
    const { privateJwk } = devKey();
    const key = await importJWK(privateJwk, 'ES256');
    return build(new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid, typ: 'JWT' })).sign(key);
  }

  async function expect401(authorization: string | null, path = '/v1/referrals') {
    let req = s.http.get(path);
    if (authorization !== null) req = req.set('Authorization', authorization);
    const res = await req;
    expectErrorBody(res, 401);
    return res;
  }

  it('a good token is let in (the control)', async () => {
    const res = await s.http.get('/v1/referrals?limit=1').set(bearer(c.clinRLQ));
    expect(res.status).toBe(200);
  });

  it('no token is 401', async () => {
    const res = await expect401(null);
    expect(res.body.message).toMatch(/bearer token/i);
  });

  it('no token is 401 even with a bad body (authentication comes before validation)', async () => {
    const res = await s.http.post('/v1/referrals').send({ nonsense: true });
    expectErrorBody(res, 401);
  });

  it.each(['Bearer nonsense', 'Bearer ', 'Bearer a.b.c', 'Basic dXNlcjpwYXNz', 'nonsense', 'Bearer two tokens'])('Authorization %p is 401', async (auth) => {
    await expect401(auth);
  });

  it('a token signed by a different key is 401 (with an unknown kid and with the dev kid)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forge = (kid: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setSubject('forger')
        .setIssuer('crosstrust-local-dev')
        .setAudience('crosstrust')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    await expect401(`Bearer ${await forge('someone-elses-key')}`);
    await expect401(`Bearer ${await forge(devKey().privateJwk.kid)}`);
  });

  it('an unsigned token (alg none) is 401', async () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ ...claims, sub: 'x', iss: 'crosstrust-local-dev', aud: 'crosstrust', iat: now, exp: now + 3600 })}.`;
    await expect401(`Bearer ${unsigned}`);
  });

  it('an expired token is 401', async () => {
    const expired = await token({ role: 'clinician', ods: 'RLQ', expiresIn: '-1h' });
    const res = await expect401(`Bearer ${expired}`);
    expect(res.body.message).toMatch(/exp/i);
  });

  it('a token without exp, or without iat, is 401 naming the claim', async () => {
    const noExp = await expect401(
      `Bearer ${await signWithDevKey((j) => j.setSubject('x').setIssuer('crosstrust-local-dev').setAudience('crosstrust').setIssuedAt())}`,
    );
    expect(noExp.body.message).toMatch(/"exp"/);
    const noIat = await expect401(
      `Bearer ${await signWithDevKey((j) => j.setSubject('x').setIssuer('crosstrust-local-dev').setAudience('crosstrust').setExpirationTime('1h'))}`,
    );
    expect(noIat.body.message).toMatch(/"iat"/);
  });

  describe('how long a token may last', () => {
    const now = () => Math.floor(Date.now() / 1000);
    /** A token issued at `from` (seconds from now) and valid for `seconds`. */
    const lasting = (seconds: number, payload: Record<string, unknown> = claims, from = 0) =>
      signWithDevKey(
        (j) =>
          j
            .setSubject('x')
            .setIssuer('crosstrust-local-dev')
            .setAudience('crosstrust')
            .setIssuedAt(now() + from)
            .setExpirationTime(now() + from + seconds),
        payload,
      );
    const patientClaims = { roles: ['patient'], nhs_number: '9434765919' };

    it('a staff token valid for ten years, or for 12 hours and a minute, is 401; for 12 hours it is let in', async () => {
      const tenYears = await expect401(`Bearer ${await lasting(10 * 365 * 86_400)}`);
      expect(tenYears.body.message).toMatch(/staff tokens may be valid for at most 12 h/);
      await expect401(`Bearer ${await lasting(12 * 3600 + 60)}`);
      expect((await s.http.get('/v1/referrals?limit=1').set(bearer(await lasting(12 * 3600)))).status).toBe(200);
    });

    it('a patient token valid for 2 hours is 401; for an hour it is let in', async () => {
      const twoHours = await expect401(`Bearer ${await lasting(2 * 3600, patientClaims)}`, '/v1/patient/referrals');
      expect(twoHours.body.message).toMatch(/patient tokens may be valid for at most 1 h/);
      expect((await s.http.get('/v1/patient/referrals').set(bearer(await lasting(3600, patientClaims)))).status).toBe(200);
      // An issuer whose iat and exp were read a second apart (jose's relative times do) is not refused for it.
      expect((await s.http.get('/v1/patient/referrals').set(bearer(await lasting(3601, patientClaims)))).status).toBe(200);
    });

    it('a token issued an hour from now is 401, though it would last only an hour', async () => {
      const res = await expect401(`Bearer ${await lasting(3600, claims, 3600)}`);
      expect(res.body.message).toMatch(/issued in the future/);
    });

    it('the test tokens of every suite are within the limits (the control)', async () => {
      expect((await s.http.get('/v1/referrals?limit=1').set(bearer(await token({ role: 'clinician', ods: 'RLQ' })))).status).toBe(200);
      expect((await s.http.get('/v1/patient/referrals').set(bearer(await token({ role: 'patient', nhsNumber: '9434765919' })))).status).toBe(200);
    });
  });

  it("a token whose roles are ['wizard'] is 401", async () => {
    const wizard = await token({ role: 'wizard', ods: 'RLQ' });
    const res = await expect401(`Bearer ${wizard}`);
    expect(res.body.message).toMatch(/role/i);
  });

  it('a token for another issuer or audience is 401', async () => {
    await expect401(
      `Bearer ${await signWithDevKey((j) => j.setSubject('x').setIssuer('someone-else').setAudience('crosstrust').setIssuedAt().setExpirationTime('1h'))}`,
    );
    await expect401(
      `Bearer ${await signWithDevKey((j) => j.setSubject('x').setIssuer('crosstrust-local-dev').setAudience('another-service').setIssuedAt().setExpirationTime('1h'))}`,
    );
  });

  it('a token without a subject, or a staff token without an ods claim, is 401', async () => {
    await expect401(
      `Bearer ${await signWithDevKey((j) => j.setIssuer('crosstrust-local-dev').setAudience('crosstrust').setIssuedAt().setExpirationTime('1h'))}`,
    );
    await expect401(
      `Bearer ${await signWithDevKey((j) => j.setSubject('x').setIssuer('crosstrust-local-dev').setAudience('crosstrust').setIssuedAt().setExpirationTime('1h'), { roles: ['clinician'] })}`,
    );
  });

  it('a role that may not open referrals is 403, not 401 or 400', async () => {
    const res = await s.http.post('/v1/referrals').set(bearer(c.clinRLQ)).send(referralBody());
    expectErrorBody(res, 403);
  });
});

// ---------------------------------------------------------------------------------------------
describe('open routes', () => {
  it('GET /health/live is 200 without a token', async () => {
    const res = await s.http.get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready is 200 without a token, with Postgres and Redis up', async () => {
    const res = await s.http.get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'up' } });
  });

  it('GET /docs-json is 200 without a token and is an OpenAPI document with the contract paths', async () => {
    const res = await s.http.get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/referrals', '/v1/referrals/{id}', '/v1/referrals/{id}/clinical-review', '/v1/referrals/{id}/bookings']),
    );
    expect(res.body.paths['/v1/referrals'].post).toBeDefined();
    expect(res.body.paths['/v1/referrals/{id}/clinical-review'].post).toBeDefined();
  });

  it('GET /docs-json describes the error body on every failure of every operation, and real failures fit it', async () => {
    const doc = (await s.http.get('/docs-json')).body;
    const schema = doc.components.schemas.Error;
    expect(schema.required).toEqual(['statusCode', 'error', 'message']);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const errorRef = { $ref: '#/components/schemas/Error' };
    const operations: string[] = [];
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }>; security?: unknown }>>,
    )) {
      for (const method of ['get', 'put', 'post', 'patch', 'delete']) {
        const op = item[method];
        if (!op) continue;
        operations.push(`${method} ${path}`);
        // The FHIR routes (issue 17) answer failures as FHIR does, with an OperationOutcome (test/fhir.e2e.spec.ts); every other route with the Error body.
        const expected = path.startsWith('/fhir/') || path.endsWith('/fhir') ? { $ref: '#/components/schemas/OperationOutcome' } : errorRef;
        for (const [status, r] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect([method, path, status, r.content?.['application/json']?.schema]).toEqual([method, path, status, expected]);
        }
        if (path.startsWith('/v1/')) {
          expect([method, path, op.security, Object.keys(op.responses)]).toEqual([
            method,
            path,
            [{ bearer: [] }],
            expect.arrayContaining(['401', '403', '429']),
          ]);
        }
      }
    }
    // Every operation is classified (a new route must say which errors it can give), and nothing else.
    expect(operations.sort()).toEqual(Object.keys(OPERATION_ERRORS).sort());
    expect(Object.keys(doc.paths['/v1/referrals/{id}/clinical-review'].post.responses)).toEqual(expect.arrayContaining(['400', '404', '409', '422']));

    // A transition refused from the wrong status, and bad input: every field of the body is in the schema.
    const documented = Object.keys(schema.properties);
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    expect((await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    const refused = await s.http.post(`/v1/referrals/${ref.id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' });
    expect(refused.status).toBe(409);
    expect(refused.body.currentStatus).toBe('AWAITING_PATIENT_CONSENT');
    expect(documented).toEqual(expect.arrayContaining(Object.keys(refused.body)));
    expect(refused.body).toMatchObject({ statusCode: 409, error: 'Conflict', message: expect.any(String), currentStatus: 'AWAITING_PATIENT_CONSENT' });
    expect(refused.body.details).toEqual({ currentStatus: 'AWAITING_PATIENT_CONSENT', allowedFrom: expect.arrayContaining(['AWAITING_CLINICAL_REVIEW']) });
    expect(schema.properties.details.oneOf[1].properties.allowedFrom.items.enum).toEqual(expect.arrayContaining(refused.body.details.allowedFrom));
    const invalid = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send({ specialtyCode: 42 });
    expect(invalid.status).toBe(400);
    expect(documented).toEqual(expect.arrayContaining(Object.keys(invalid.body)));
    for (const d of invalid.body.details) expect(Object.keys(d).sort()).toEqual(['field', 'messages']);
  });

  it('an unknown route is 404 with the same error body', async () => {
    const res = await s.http.get('/v1/nowhere').set(bearer(c.clinRLQ));
    expectErrorBody(res, 404);
  });
});

// ---------------------------------------------------------------------------------------------
describe('inputs that once slipped past validation', () => {
  const cursorOf = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
  it.each([
    ['', ['not-a-date', '00000000-0000-4000-8000-000000000000']],
    ['', ['2024-01-01T00:00:00.000Z', 'not-a-uuid']],
    ['sort=priority&', ['P4', 'not-a-date', '00000000-0000-4000-8000-000000000000']],
  ])('a cursor of strings that are not a date and an id is 422 naming cursor (%s%j)', async (sort, parts) => {
    expectRefused(await s.http.get(`/v1/referrals?${sort}cursor=${cursorOf(parts)}`).set(bearer(c.clerkRLQ)), 'cursor');
  });
  it('a NUL in patient.address is 400 naming it, not 500', async () => {
    const body = referralBody({ patient: { address: '1 High Street\u0000, Hereford' } });
    expectInvalid(await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(body), 'patient.address');
    expect(await s.prisma.referral.count({ where: { pathwayId: body.pathwayId } })).toBe(0);
  });
  it('a NUL in a clinical-review note is 400 naming note, not 500', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const res = await s.http
      .post(`/v1/referrals/${ref.id}/clinical-review`)
      .set(bearer(c.clinRLQ))
      .send({ decision: 'not_suitable', reasonCode: 'COMORBIDITY', note: 'Frail\u0000' });
    expectInvalid(res, 'note');
    expect((await getReferral(s, c.clinRLQ, ref.id)).status).toBe('AWAITING_CLINICAL_REVIEW');
  });
  it('a NUL in a cancel reason is 400 naming reason, not 500', async () => {
    const ref = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    expectInvalid(await s.http.post(`/v1/referrals/${ref.id}/cancel`).set(bearer(c.clerkRLQ)).send({ reason: 'Duplicate\u0000' }), 'reason');
  });
  it.each(['2027-02-30T10:00:00Z', '2027-04-31T10:00:00Z', '2027-12-01T24:00:00Z'])('refuses an impossible startsAt %p with 400', async (startsAt) => {
    const ref = await driveTo(s, c, 'AWAITING_BOOKING');
    expectInvalid(await s.http.post(`/v1/referrals/${ref.id}/bookings`).set(bearer(c.clerkRJC)).send({ kind: 'pre_op_assessment', startsAt }), 'startsAt');
    expect(await s.prisma.booking.count({ where: { referralId: ref.id } })).toBe(0);
  });
  it('an unknown field named constructor is refused like any other', async () => {
    const body = referralBody();
    expectInvalid(
      await s.http
        .post('/v1/referrals')
        .set(bearer(c.clerkRLQ))
        .send({ ...body, constructor: { x: 1 } }),
      'constructor',
    );
    expect(await s.prisma.referral.count({ where: { pathwayId: body.pathwayId } })).toBe(0);
  });
  it('the Idempotency-Key detail message names the header', async () => {
    expectInvalid(await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Idempotency-Key', 'has spaces').send(referralBody()), 'Idempotency-Key');
  });
  it('an RTT clock start before the date of birth is refused naming rttClockStart', async () => {
    const body = referralBody({ patient: { dateOfBirth: isoDay(-10) }, rttClockStart: isoDay(-420) });
    expectRefused(await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(body), 'rttClockStart');
  });
  it('deeply nested JSON is refused before validation', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const res = await s.http
      .post('/v1/referrals')
      .set(bearer(c.clerkRLQ))
      .send({ ...referralBody(), extra: deep });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/nested too deeply/);
  });
});

describe('payloads that say two things, and unicode tricks', () => {
  const raw = (text: string) => s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Content-Type', 'application/json').send(text);

  it('a key given twice at the top level is refused whole, naming it', async () => {
    const body = referralBody();
    const text = JSON.stringify(body).replace('"specialtyCode":"110"', '"specialtyCode":"110","specialtyCode":"130"');
    expectInvalid(await raw(text), 'specialtyCode');
    expect(await s.prisma.referral.count({ where: { pathwayId: body.pathwayId } })).toBe(0);
  });

  it('a key given twice inside patient is refused, naming patient.nhsNumber', async () => {
    const body = referralBody();
    const text = JSON.stringify(body).replace(`"nhsNumber":"${body.patient.nhsNumber}"`, `"nhsNumber":"${body.patient.nhsNumber}","nhsNumber":"9434765919"`);
    expectInvalid(await raw(text), 'patient.nhsNumber');
    expect(await s.prisma.referral.count({ where: { pathwayId: body.pathwayId } })).toBe(0);
  });

  it('equal keys in different objects, and quotes and braces inside strings, are fine', async () => {
    const body = referralBody({ patient: { address: 'Flat "B", {1} High Street, "nhsNumber": x' } });
    const res = await raw(JSON.stringify(body));
    expect(res.status).toBe(201);
  });

  it.each([
    ['a right-to-left override', 'Jo\u202Ees'],
    ['a zero-width space', 'Jo\u200Bnes'],
    ['a zero-width joiner', 'Jo\u200Dnes'],
  ])('a name with %s is refused naming the field', async (_l, familyName) => {
    const body = referralBody({ patient: { familyName } });
    expectInvalid(await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(body), 'patient.familyName');
  });

  it('an NHS number in full-width digits is refused', async () => {
    const body = referralBody({ patient: { nhsNumber: '\uFF19\uFF14\uFF13\uFF14\uFF17\uFF16\uFF15\uFF19\uFF11\uFF19' } });
    expectInvalid(await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send(body), 'patient.nhsNumber');
  });
});
