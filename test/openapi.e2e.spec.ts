// The OpenAPI document is one a client generator can use: every operation has a summary, a
// security requirement and a typed success response; Redocly's recommended rules find no error in
// what GET /docs-json serves; docs/openapi.json is that document; and real answers of every
// operation fit it field by field (no field undocumented, none promised and missing).
// `npm run openapi` writes docs/openapi.json from the served document (this file, in write mode).
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { WAITING_LIST_COLUMNS } from '#domain';
import { REDIS, type RedisClient } from '../apps/api/src/redis.provider.js';
import { OPERATION_ERRORS } from '../apps/api/src/http/openapi-errors.js';
import { conform } from './support/openapi-conform.js';
import { bearer, driveTo, isoDay, nhsNumber, referralBody, token, useStack, waitForStatus, waitUntil } from './support/stack.js';
import { waitingListRow } from './support/waiting-list.js';
import { newMessage } from './support/bars-messages.js';
import { randomUUID } from 'node:crypto';
import { tinyPdf } from './support/documents.js';

const root = process.cwd();
const PUBLISHED = path.join(root, 'docs', 'openapi.json');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

type Operation = { summary?: string; security?: unknown[]; responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }> };
type Doc = {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  servers?: unknown[];
  components: { schemas: Record<string, Record<string, unknown>> };
};

const { s, c } = useStack();
let doc: Doc;

beforeAll(async () => {
  doc = (await s.http.get('/docs-json').expect(200)).body;
});

/** The first place two JSON values differ, as a JSON pointer-like path. */
function firstDifference(a: unknown, b: unknown, at = ''): string | null {
  if (isDeepStrictEqual(a, b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`);
      if (d) return d;
    }
  }
  return at || '/';
}

describe('the OpenAPI document', () => {
  it('is published as docs/openapi.json, exactly as GET /docs-json serves it', () => {
    const served = `${JSON.stringify(doc, null, 2)}\n`;
    if (process.env.CROSSTRUST_WRITE_OPENAPI === '1') writeFileSync(PUBLISHED, served);
    const published = JSON.parse(readFileSync(PUBLISHED, 'utf8'));
    const diff = firstDifference(published, doc);
    if (diff)
      throw new Error(`docs/openapi.json differs from what GET /docs-json serves (first at ${diff}): run \`npm run openapi\` to write it again, and commit it`);
    expect(readFileSync(PUBLISHED, 'utf8')).toBe(served);
  });

  it('gives every operation a summary, a security requirement and a typed success response', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const operations: string[] = [];
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const name = `${method} ${p}`;
        operations.push(name);
        const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
        expect([name, op.summary?.length ? 'summary' : 'no summary', Array.isArray(op.security) ? 'security' : 'no security', success.length]).toEqual([
          name,
          'summary',
          'security',
          1,
        ]);
        // A JSON answer's schema; a file download's (an attachment) is under its own media types.
        const content = success[0][1].content;
        const schema = content?.['application/json']?.schema ?? (content ? Object.values(content)[0]?.schema : undefined);
        expect([name, schema && (schema.$ref || schema.anyOf || schema.type) ? 'typed' : 'untyped']).toEqual([name, 'typed']);
      }
    }
    expect(operations.sort()).toEqual(Object.keys(OPERATION_ERRORS).sort());
  });

  it("passes Redocly's recommended rules with no error, and no warning but the two README justifies", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'crosstrust-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const cli = path.join(root, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
      const r = spawnSync(process.execPath, [cli, 'lint', file, '--config', path.join(root, 'redocly.yaml'), '--format=json'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NODE_OPTIONS: '' },
        timeout: 60_000,
      });
      const out = JSON.parse(r.stdout) as {
        totals: { errors: number; warnings: number };
        problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
      };
      const problems = out.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
      expect(problems.filter((p) => p.startsWith('error'))).toEqual([]);
      // Health answers no 4xx: no input, no token, not rate-limited (README, "The OpenAPI document").
      expect(problems.sort()).toEqual([
        'warn operation-4xx-response #/paths/~1health~1live/get/responses: Operation must have at least one `4XX` response.',
        'warn operation-4xx-response #/paths/~1health~1ready/get/responses: Operation must have at least one `4XX` response.',
      ]);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('real answers fit the document', () => {
  const checked = new Set<string>();

  /** The body of `res`, after checking it against the document's schema for `op` and its status. */
  function fits(res: { status: number; body: unknown }, op: string) {
    const [method, p] = op.split(' ') as [(typeof METHODS)[number], string];
    const operation = doc.paths[p]?.[method];
    expect([op, operation ? 'documented' : 'not in the document']).toEqual([op, 'documented']);
    const response = operation!.responses[String(res.status)];
    expect([op, res.status, response ? 'documented' : `answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`]).toEqual([
      op,
      res.status,
      'documented',
    ]);
    const schema = response.content?.['application/json']?.schema;
    expect([op, res.status, conform(doc, schema, res.body)]).toEqual([op, res.status, []]);
    // A list checks its item schema only when it has items.
    const items = (res.body as { items?: unknown[] } | null)?.items;
    if (items) expect([op, items.length > 0]).toEqual([op, true]);
    if (res.status < 300) checked.add(op);
    return res.body as Record<string, any>;
  }
  const get = (t: string, url: string) => s.http.get(url).set(bearer(t));
  const post = (t: string, url: string, body: object = {}) => s.http.post(url).set(bearer(t)).send(body);

  it('the referral, every step of it, its lists, counts and notifications', async () => {
    fits(await s.http.get('/health/live'), 'get /health/live');
    fits(await s.http.get('/health/ready'), 'get /health/ready');

    const body = referralBody();
    const patient = await token({ role: 'patient', nhsNumber: body.patient.nhsNumber });
    const opened = fits(await post(c.clerkRLQ, '/v1/referrals', body), 'post /v1/referrals');
    const id = opened.id as string;
    await waitForStatus(s, c.clinRLQ, id, 'AWAITING_CLINICAL_REVIEW');
    fits(await get(c.clerkRLQ, `/v1/referrals/${id}`), 'get /v1/referrals/{id}');
    fits(
      await post(c.clinRLQ, `/v1/referrals/${id}/clinical-review`, { decision: 'suitable', note: 'Fit to travel.' }),
      'post /v1/referrals/{id}/clinical-review',
    );
    // A clinician's view carries the clinical notes; the patient's, their own fields only.
    expect(fits(await get(c.clinRLQ, `/v1/referrals/${id}`), 'get /v1/referrals/{id}').clinicalNotes).toHaveLength(1);
    const mine = fits(await get(patient, '/v1/patient/referrals'), 'get /v1/patient/referrals');
    const offer = mine.items.find((r: { id: string }) => r.id === id).offers.find((o: { receivingOds: string }) => o.receivingOds === 'RJC');
    expect(fits(await get(patient, `/v1/referrals/${id}`), 'get /v1/referrals/{id}').patient.nhsNumber).toBeUndefined();
    fits(
      await post(patient, `/v1/referrals/${id}/consent`, { decision: 'accept', offerId: offer.id, travelRadiusMiles: 80 }),
      'post /v1/referrals/{id}/consent',
    );
    fits(await post(c.clinRJC, `/v1/referrals/${id}/receiver-decision`, { decision: 'accept' }), 'post /v1/referrals/{id}/receiver-decision');
    const startsAt = new Date(Date.now() + 21 * 86_400_000).toISOString();
    const booked = fits(await post(c.clerkRJC, `/v1/referrals/${id}/bookings`, { kind: 'procedure', startsAt }), 'post /v1/referrals/{id}/bookings');
    fits(
      await post(c.clerkRJC, `/v1/referrals/${id}/bookings/${booked.booking.id}/cancel`, { reason: 'Surgeon unavailable' }),
      'post /v1/referrals/{id}/bookings/{bookingId}/cancel',
    );
    fits(await post(c.clerkRJC, `/v1/referrals/${id}/bookings`, { kind: 'procedure', startsAt }), 'post /v1/referrals/{id}/bookings');
    fits(
      await post(c.clinRJC, `/v1/referrals/${id}/treatment`, { performedAt: new Date().toISOString(), procedureCode: 'W371' }),
      'post /v1/referrals/{id}/treatment',
    );
    const discharged = fits(
      await post(c.clinRJC, `/v1/referrals/${id}/discharge`, { dischargedAt: new Date().toISOString(), summary: 'Recovered well.' }),
      'post /v1/referrals/{id}/discharge',
    );
    expect(discharged.status).toBe('DISCHARGED');
    fits(await get(patient, `/v1/referrals/${id}/notifications`), 'get /v1/referrals/{id}/notifications');

    // A rejecting receiver is told the outcome only; the other exits answer with the referral.
    const rejected = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    expect(
      fits(
        await post(c.clinRJC, `/v1/referrals/${rejected.id}/receiver-decision`, { decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' }),
        'post /v1/referrals/{id}/receiver-decision',
      ),
    ).toEqual({
      id: rejected.id,
      status: 'REJECTED_BY_RECEIVER',
      statusDescription: expect.any(String),
      version: expect.any(Number),
      receivingOds: null,
    });
    const withdrawn = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    fits(await post(withdrawn.patient, `/v1/referrals/${withdrawn.id}/withdraw`, { reason: 'Moving away' }), 'post /v1/referrals/{id}/withdraw');
    const open = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    fits(
      await s.http.patch(`/v1/referrals/${open.id}/patient-contact`).set(bearer(c.clerkRLQ)).send({ phone: null, email: 'alex.new@example.com' }),
      'patch /v1/referrals/{id}/patient-contact',
    );
    expect(fits(await get(c.clerkRLQ, `/v1/referrals/${open.id}/additional-requirements`), 'get /v1/referrals/{id}/additional-requirements')).toMatchObject({
      additionalRequirements: null,
    });
    expect(
      fits(
        await s.http
          .put(`/v1/referrals/${open.id}/additional-requirements`)
          .set(bearer(c.clerkRLQ))
          .send({ transportNeeded: true, interpreterLanguage: 'bfi', informationFormats: ['easy_read'], contactMethod: 'text_relay', other: 'Guide dog' }),
        'put /v1/referrals/{id}/additional-requirements',
      ).additionalRequirements,
    ).toMatchObject({ interpreterLanguage: 'bfi', summary: expect.arrayContaining(['BSL interpreter']) });
    fits(await get(c.clerkRLQ, `/v1/referrals/${open.id}`), 'get /v1/referrals/{id}');
    fits(await get(c.clinRLQ, '/v1/referrals?worklist=clinical-review&limit=3'), 'get /v1/referrals');
    // A referral flagged by a job that failed for good (flagged here by hand): a trust admin retries it.
    await s.prisma.sql.query('UPDATE referral SET needs_attention = true WHERE id = $1::uuid', [open.id]);
    expect(fits(await post(c.adminRLQ, `/v1/referrals/${open.id}/retry`), 'post /v1/referrals/{id}/retry')).toMatchObject({
      needsAttention: false,
      retried: 0,
    });
    fits(await post(c.clerkRLQ, `/v1/referrals/${open.id}/cancel`, { reason: 'Duplicate of another pathway' }), 'post /v1/referrals/{id}/cancel');

    fits(await get(c.clerkRLQ, '/v1/referrals?limit=3'), 'get /v1/referrals');
    fits(await get(c.clerkRLQ, '/v1/referrals/summary'), 'get /v1/referrals/summary');
    fits(await get(c.adminRLQ, `/v1/audit?referralId=${id}&limit=5`), 'get /v1/audit');
  });

  it('tasks and team contacts', async () => {
    // The same NHS number under another family name at the same trust raises a booking-team task.
    const first = referralBody();
    fits(await post(c.clerkRLT, '/v1/referrals', first), 'post /v1/referrals');
    const second = fits(
      await post(c.clerkRLT, '/v1/referrals', referralBody({ patient: { nhsNumber: first.patient.nhsNumber, familyName: 'Othername' } })),
      'post /v1/referrals',
    );
    expect(second.demographicsMismatch).toBe(true);
    const tasks = fits(await get(c.clerkRLT, '/v1/tasks?kind=demographics_mismatch&limit=200'), 'get /v1/tasks');
    const task = tasks.items.find((t: { referralId: string }) => t.referralId === second.id);
    fits(await post(c.clerkRLT, `/v1/tasks/${task.id}/complete`), 'post /v1/tasks/{id}/complete');
    const adminRLT = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
    fits(
      await s.http.put('/v1/team-contacts/clinical').set(bearer(adminRLT)).send({ email: 'clinical-team.rlt@example.nhs.uk' }),
      'put /v1/team-contacts/{team}',
    );
    fits(await get(adminRLT, '/v1/team-contacts'), 'get /v1/team-contacts');
  });

  it('the service directory, postcode loads and the group', async () => {
    const adminRLT = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
    const groupAdmin = await token({ role: 'group_admin', ods: 'RLT', sub: 'group-admin-rlt' });
    fits(await get(c.clerkRLQ, '/v1/directory/sites?ods=RJC'), 'get /v1/directory/sites');
    fits(
      await s.http
        .put('/v1/directory/sites/RLT01')
        .set(bearer(adminRLT))
        .send({ name: 'George Eliot Hospital', address: 'College Street, Nuneaton', postcode: 'CV10 7DJ' }),
      'put /v1/directory/sites/{siteOds}',
    );
    // A treatment function no referral uses, with no capacity: it changes no offer.
    const added = fits(
      await post(adminRLT, '/v1/directory/sites/RLT01/services', {
        treatmentFunction: '590',
        name: `OpenAPI ${Date.now()}`,
        procedures: ['W37-W42'],
        maxBmi: 40,
      }),
      'post /v1/directory/sites/{siteOds}/services',
    );
    fits(
      await s.http
        .put(`/v1/directory/services/${added.id}`)
        .set(bearer(adminRLT))
        .send({ treatmentFunction: '590', name: added.name, procedures: [], bookingGuidance: 'Day case.' }),
      'put /v1/directory/services/{id}',
    );
    fits(
      await s.http
        .post('/v1/postcodes/loads')
        .set(bearer(adminRLT))
        .set('Content-Type', 'text/csv')
        .send('pcds,lat,long,doterm\nCV10 9ZZ,52.52,-1.49,\nXX,1,1,\n'),
      'post /v1/postcodes/loads',
    );
    fits(await get(c.clerkRLQ, '/v1/group'), 'get /v1/group');
    const code = `Y${Date.now().toString(36).slice(-2).toUpperCase()}`;
    fits(
      await post(groupAdmin, '/v1/group/trusts', {
        ods: code,
        name: `Trust ${code}`,
        mainSite: { ods: `${code}01`, name: 'A hospital', address: '1 Road, Town', postcode: 'CV10 9ZZ' },
      }),
      'post /v1/group/trusts',
    );
  });

  it('capacity and matching runs', async () => {
    // A specialty no other suite offers in, so their offers do not change.
    const monday = (() => {
      const d = new Date(`${isoDay(14)}T00:00:00Z`);
      return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    })();
    fits(
      await s.http
        .put('/v1/capacity/RJC/830')
        .set(bearer(c.adminRJC))
        .send({ weeklySlots: 3, fromDate: monday, toDate: isoDay(60) }),
      'put /v1/capacity/{ods}/{specialty}',
    );
    fits(await get(c.clerkRLQ, '/v1/capacity?specialty=830'), 'get /v1/capacity');
    const run = fits(await post(c.adminRLQ, '/v1/matching/runs', { specialtyCode: '110', minWeeks: 18 }), 'post /v1/matching/runs');
    fits(await get(c.adminRLQ, `/v1/matching/runs/${run.id}`), 'get /v1/matching/runs/{id}');
    fits(await get(c.adminRLQ, '/v1/insights/equity-deprivation?scope=group'), 'get /v1/insights/{chart}');
    fits(await post(c.adminRLQ, '/v1/insights/refresh'), 'post /v1/insights/refresh');
  });

  it('waiting-list imports and long-waiters', async () => {
    const row = waitingListRow({ pathway_id: `OA-${Date.now()}` });
    const csv = `${WAITING_LIST_COLUMNS.join(',')},extra\n${WAITING_LIST_COLUMNS.map((k) => row[k]).join(',')},x\n1234567890,Bad\n`;
    const upload = await s.http.post('/v1/waiting-list/imports?mode=partial').set(bearer(c.clerkRLQ)).set('Content-Type', 'text/csv').send(csv);
    const imp = fits(upload, 'post /v1/waiting-list/imports');
    const finished = await waitUntil(async () => {
      const r = await get(c.clerkRLQ, `/v1/waiting-list/imports/${imp.id}?errorsLimit=1`);
      return r.body.status === 'completed' ? r : null;
    }, 'the import to complete');
    expect(fits(finished!, 'get /v1/waiting-list/imports/{id}')).toMatchObject({ status: 'completed', accepted: 1, rejected: 1, ignoredColumns: ['extra'] });
    fits(await get(c.clerkRLQ, '/v1/long-waiters?minWeeks=52&limit=3'), 'get /v1/long-waiters');
  });

  it('FHIR: the CapabilityStatement, a BaRS message, the export, and their OperationOutcomes', async () => {
    fits(await s.http.get('/fhir/r4/metadata'), 'get /fhir/r4/metadata');
    const message = (body: unknown) =>
      s.http
        .post('/fhir/r4/$process-message')
        .set(bearer(c.integrationRLQ))
        .set('X-Request-ID', randomUUID())
        .set('Content-Type', 'application/fhir+json')
        .send(JSON.stringify(body));
    const answer = fits(await message(newMessage()), 'post /fhir/r4/$process-message');
    const id = (answer.entry as Array<{ resource: { resourceType: string; id: string } }>).find((e) => e.resource.resourceType === 'ServiceRequest')!.resource
      .id;
    expect(fits(await message({ resourceType: 'Bundle', type: 'message', entry: [] }), 'post /fhir/r4/$process-message').resourceType).toBe('OperationOutcome');
    expect(fits(await get(c.clerkRLQ, `/v1/referrals/${id}/fhir`), 'get /v1/referrals/{id}/fhir').type).toBe('collection');
    expect(fits(await get(c.clerkRLT, `/v1/referrals/${id}/fhir`), 'get /v1/referrals/{id}/fhir').resourceType).toBe('OperationOutcome');
  });

  it('GET /health/ready answers 503 with the common error body when Redis does not answer', async () => {
    const redis = s.api.get<RedisClient>(REDIS);
    const ping = jest.spyOn(redis, 'ping').mockRejectedValueOnce(new Error('Connection is closed.'));
    try {
      const res = await s.http.get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(fits(res, 'get /health/ready')).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Not ready: redis did not answer',
        details: { postgres: { status: 'up' }, redis: { status: 'down', message: 'Connection is closed.' } },
      });
    } finally {
      ping.mockRestore();
    }
  });

  it('the clinical package, attachments, request for information, return to referrer with advice and the reason codes', async () => {
    const pkg = { diagnosis: { code: '239873007', text: 'Osteoarthritis of knee' }, laterality: 'left', bmi: 31.4, asaGrade: 2 };
    const ref = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { clinicalInformation: pkg });
    const path = `/v1/referrals/${ref.id}`;
    fits(
      await s.http.patch(`${path}/clinical-information`).set(bearer(c.clinRLQ)).send({ mobility: 'Walks with a stick' }),
      'patch /v1/referrals/{id}/clinical-information',
    );
    const added = fits(
      await s.http
        .post(`${path}/attachments?kind=imaging_report&filename=report.pdf`)
        .set(bearer(c.clinRLQ))
        .set('Content-Type', 'application/pdf')
        .send(tinyPdf()),
      'post /v1/referrals/{id}/attachments',
    );
    fits(await get(c.clinRJC, `${path}/attachments`), 'get /v1/referrals/{id}/attachments');
    // The download is the file itself: its documented answer names the file's media types.
    const file = await get(c.clinRJC, `${path}/attachments/${added.id}`);
    const download = doc.paths['/v1/referrals/{id}/attachments/{attachmentId}']?.get?.responses['200'];
    expect([file.status, file.headers['content-type'], Object.keys(download?.content ?? {}).sort()]).toEqual([
      200,
      'application/pdf',
      ['application/pdf', 'image/jpeg', 'image/png'],
    ]);
    checked.add('get /v1/referrals/{id}/attachments/{attachmentId}');
    const asked = fits(await post(c.clinRJC, `${path}/information-requests`, { question: 'Latest HbA1c?' }), 'post /v1/referrals/{id}/information-requests');
    const answered = fits(
      await post(c.clerkRLQ, `${path}/information-requests/${asked.informationRequest.id}/answer`, { answer: 'HbA1c 48 mmol/mol' }),
      'post /v1/referrals/{id}/information-requests/{requestId}/answer',
    );
    // A clinician's view carries the package and the attachments.
    expect(fits(await get(c.clinRJC, path), 'get /v1/referrals/{id}')).toMatchObject({ clinicalInformation: pkg, attachments: [added] });
    expect(answered.informationRequest.status).toBe('ANSWERED');
    fits(await post(c.clinRJC, `${path}/return-to-referrer`, { advice: 'Refer to weight management first.' }), 'post /v1/referrals/{id}/return-to-referrer');
    fits(await get(c.clerkRLQ, '/v1/reason-codes'), 'get /v1/reason-codes');
  });

  it('the pathway after treatment: the follow-up, and the handback decision', async () => {
    const ref = await driveTo(s, c, 'TREATED');
    const handed = fits(await post(c.clinRJC, `/v1/referrals/${ref.id}/follow-up`, { plan: 'hand_back' }), 'post /v1/referrals/{id}/follow-up');
    expect(handed.followUp).toMatchObject({ plan: 'hand_back', rtt: false });
    const taken = fits(await post(c.clinRLQ, `/v1/referrals/${ref.id}/handback-decision`, { decision: 'accept' }), 'post /v1/referrals/{id}/handback-decision');
    expect(taken.status).toBe('ORIGIN_FOLLOW_UP');
  });

  it('patient-initiated mutual aid: cohorts, opt-ins, their check and the no-capacity CSV', async () => {
    fits(await post(c.clerkRLQ, '/v1/pidmas/cohorts', { specialtyCode: '159', minWeeks: 104 }), 'post /v1/pidmas/cohorts');
    fits(await get(c.clerkRLQ, '/v1/pidmas/cohorts'), 'get /v1/pidmas/cohorts');
    fits(await get(c.clinRLQ, '/v1/pidmas/reason-codes'), 'get /v1/pidmas/reason-codes');
    // An opt-in as the patient's answer leaves it (the opt-in page is not part of the document).
    const { rows } = await s.prisma.sql.query<{ id: string }>(
      `WITH e AS (INSERT INTO waiting_list_entry (origin_ods, pathway_id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods,
                    specialty_code, procedure_code, rtt_clock_start, priority, status, last_seen_seq)
                  VALUES ('RLQ', $1, $2, 'Testpatient', 'Alex', '1960-05-05', 'HR1 2ER', 'M81001', '110', 'W371', $3::date, 'P4', 'open', 0) RETURNING id),
       c AS (INSERT INTO pidmas_cohort (id, origin_ods, specialty_code, min_weeks, created_by) VALUES (gen_random_uuid(), 'RLQ', '110', 40, 'openapi')
             ON CONFLICT (origin_ods, specialty_code, min_weeks) DO UPDATE SET created_by = EXCLUDED.created_by RETURNING id)
       INSERT INTO pidmas_invitation (id, cohort_id, entry_id, origin_ods, channel, status, answer, travel_radius_miles, answered_at)
       SELECT gen_random_uuid(), c.id, e.id, 'RLQ', 'sms', 'delivered', 'opted_in', NULL, now() FROM c, e RETURNING id::text AS id`,
      [`OA-PI-${Date.now()}`, nhsNumber(), isoDay(-60 * 7)],
    );
    fits(await get(c.clinRLQ, '/v1/pidmas/opt-ins'), 'get /v1/pidmas/opt-ins');
    // CSV, as the document says (no JSON body to check against a schema).
    const csv = await get(c.clerkRLQ, '/v1/pidmas/opt-ins/no-capacity.csv');
    expect([csv.status, csv.headers['content-type']]).toEqual([200, 'text/csv; charset=utf-8']);
    expect(Object.keys(doc.paths['/v1/pidmas/opt-ins/no-capacity.csv'].get!.responses['200'].content ?? {})).toEqual(['text/csv']);
    checked.add('get /v1/pidmas/opt-ins/no-capacity.csv');
    const reviewed = fits(
      await post(c.clinRLQ, `/v1/pidmas/opt-ins/${rows[0].id}/review`, { decision: 'not_suitable', reasonCode: 'COMORBIDITY' }),
      'post /v1/pidmas/opt-ins/{id}/review',
    );
    expect(reviewed.review).toBe('not_suitable');
    fits(await post(c.clinRLQ, `/v1/pidmas/opt-ins/${rows[0].id}/review`, { decision: 'suitable' }), 'post /v1/pidmas/opt-ins/{id}/review');
  });

  it('clinics and slots, reschedule, did-not-attend, the policy and the change request (issue 18)', async () => {
    const clinic = fits(
      await post(c.clerkRJC, '/v1/clinics', {
        kind: 'procedure',
        clinicianName: 'Dr Openapi',
        date: isoDay(50),
        startTime: '13:00',
        slotMinutes: 20,
        slotCount: 3,
      }),
      'post /v1/clinics',
    );
    fits(await get(c.clerkRJC, '/v1/clinics?kind=procedure&days=60'), 'get /v1/clinics');
    fits(await s.http.put('/v1/booking-policy').set(bearer(c.adminRLQ)).send({ dnaAction: 'rebook' }), 'put /v1/booking-policy');
    fits(await get(c.clerkRJC, '/v1/booking-policy'), 'get /v1/booking-policy');
    const ref = await driveTo(s, c, 'AWAITING_BOOKING');
    const path = `/v1/referrals/${ref.id}`;
    const booked = fits(await post(c.clerkRJC, `${path}/bookings`, { kind: 'procedure', slotId: clinic.slots[0].id }), 'post /v1/referrals/{id}/bookings');
    fits(
      await post(ref.patient, `${path}/bookings/${booked.booking.id}/change-request`, { request: 'change', reasonCode: 'HOLIDAY' }),
      'post /v1/referrals/{id}/bookings/{bookingId}/change-request',
    );
    const moved = fits(
      await post(c.clerkRJC, `${path}/bookings/${booked.booking.id}/reschedule`, { slotId: clinic.slots[1].id, reasonCode: 'PATIENT_UNAVAILABLE' }),
      'post /v1/referrals/{id}/bookings/{bookingId}/reschedule',
    );
    await s.prisma.sql.query(`UPDATE booking SET starts_at = now() - interval '1 hour' WHERE id = $1::uuid`, [moved.booking.id]);
    fits(await post(c.clerkRJC, `${path}/bookings/${moved.booking.id}/did-not-attend`), 'post /v1/referrals/{id}/bookings/{bookingId}/did-not-attend');
  });

  it('re-offer after a rejection (issue 18, RO) answers as its document says', async () => {
    // A specialty of this test's own with capacity at RJC and RLT, so another trust is there to offer.
    const week = { weeklySlots: 5, fromDate: isoDay(0), toDate: isoDay(120) };
    const adminRLT = await token({ role: 'trust_admin', ods: 'RLT', sub: 'admin-rlt' });
    expect((await s.http.put('/v1/capacity/RJC/327').set(bearer(c.adminRJC)).send(week)).status).toBe(200);
    expect((await s.http.put('/v1/capacity/RLT/327').set(bearer(adminRLT)).send(week)).status).toBe(200);
    const { id } = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE', { specialtyCode: '327' });
    expect((await post(c.clinRJC, `/v1/referrals/${id}/receiver-decision`, { decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' })).status).toBe(200);
    expect(fits(await post(c.clinRLQ, `/v1/referrals/${id}/reoffer`), 'post /v1/referrals/{id}/reoffer').status).toBe('AWAITING_PATIENT_CONSENT');
    const closed = await driveTo(s, c, 'AWAITING_RECEIVER_ACCEPTANCE');
    expect((await post(c.clinRJC, `/v1/referrals/${closed.id}/receiver-decision`, { decision: 'reject', reasonCode: 'NO_ANAESTHETIC_CAPACITY' })).status).toBe(
      200,
    );
    expect(
      fits(await post(c.clerkRLQ, `/v1/referrals/${closed.id}/close-to-origin`, { reason: 'No other trust suits' }), 'post /v1/referrals/{id}/close-to-origin')
        .status,
    ).toBe('CANCELLED');
  });

  it('covered every operation of the document with a success', () => {
    expect([...checked].sort()).toEqual(Object.keys(OPERATION_ERRORS).sort());
  });
});
