// Hostile input that once answered 500: bodies nested deep enough to overflow a recursive walk,
// cursors that pass a first look but not Postgres, Notify callbacks without our reference. Each
// answers 4xx with the common error body (or 2xx, for a receipt we have nothing to match to), and
// the API's own log, read line by line, has nothing at error level: a client's mistake is not ours.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { WAITING_LIST_COLUMNS } from '#domain';
import { bearer, driveTo, LogCapture, useEnv, useStack, waitUntil } from './support/stack.js';

const CALLBACK_TOKEN = 'notify-callback-token-for-hostile-tests';
const logs = new LogCapture();
useEnv({ NOTIFY_CALLBACK_TOKEN: CALLBACK_TOKEN });
const { s, c } = useStack({ logs });
// Every test: not one line at error level while it ran (the capture works: each 4xx is logged at warn, below).
let mark = 0;
beforeEach(() => {
  mark = logs.lines.length;
});
afterEach(() => {
  expect(logs.errors(mark).map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? '')}`)).toEqual([]);
});

interface Res {
  status: number;
  body: { statusCode?: number; error?: string; message?: string; details?: unknown };
  headers: Record<string, string>;
}

/** A 4xx with the common body, naming `field` when given; no stack, SQL or echo of the value. */
function expectClientError(res: Res, status: number, field?: string) {
  expect({ status: res.status, statusCode: res.body.statusCode }).toEqual({ status, statusCode: status });
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(res.body.error).toEqual(expect.any(String));
  expect(res.body.message).toEqual(expect.any(String));
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+|SELECT |INSERT INTO|invalid input syntax|out of range|stack size/i);
  if (field) {
    const d = res.body.details;
    const fields = Array.isArray(d)
      ? d.map((x: { field: string }) => x.field)
      : d && typeof d === 'object' && 'field' in d
        ? [(d as { field: string }).field]
        : [];
    expect(fields).toContain(field);
  }
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('bodies nested deeper than any field of ours', () => {
  // 40 KB: 20,000 arrays inside each other. JSON.parse reads it; JSON.stringify and any recursive walk overflow the stack.
  const arrays = '['.repeat(20_000) + ']'.repeat(20_000);
  const objects = '{"a":'.repeat(8_000) + '1' + '}'.repeat(8_000);

  it.each([
    ['POST /health/live', 'post', '/health/live', arrays],
    ['GET /health/live', 'get', '/health/live', arrays],
    ['POST /v1/referrals', 'post', '/v1/referrals', objects],
    ['POST /v1/notify/delivery-status', 'post', '/v1/notify/delivery-status', arrays],
  ] as const)('%s with no token is 400 naming the body, not 500', async (_l, method, path, text) => {
    const res = await s.http[method](path).set('Content-Type', 'application/json').send(text);
    expectClientError(res, 400);
    expect(res.body.message).toMatch(/nested too deeply/);
  });

  it('nesting up to the limit still reaches validation (which names the unknown field)', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10; i++) deep = [deep];
    const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).send({ extra: deep });
    expectClientError(res, 400, 'extra');
  });
});

describe('cursors that pass a first look but not Postgres', () => {
  const id = randomUUID();

  it.each([
    ['a day that does not exist', ['2026-02-31T00:00:00Z', id], ''],
    ['year 0', ['0000-01-01T00:00:00Z', id], ''],
    ['a date without a time', ['2026-01-01', id], ''],
    ['a JavaScript date string', [new Date().toString(), id], ''],
    ['a priority with a NUL', ['P4\u0000', '2026-01-01T00:00:00.000Z', id], 'sort=priority&'],
    ['a priority no referral has', ['P9', '2026-01-01T00:00:00.000Z', id], 'sort=priority&'],
  ])('GET /v1/referrals with a cursor holding %s is 422 naming cursor', async (_l, parts, sort) => {
    expectClientError(await s.http.get(`/v1/referrals?${sort}cursor=${b64(parts)}`).set(bearer(c.clerkRLQ)), 422, 'cursor');
  });

  it.each([
    ['a day that does not exist', ['2026-02-31', id]],
    ['year 0', ['0000-01-01', id]],
  ])('GET /v1/long-waiters with a cursor holding %s is 422 naming cursor', async (_l, parts) => {
    expectClientError(await s.http.get(`/v1/long-waiters?cursor=${b64(parts)}`).set(bearer(c.clerkRLQ)), 422, 'cursor');
  });

  it.each([
    ['a JavaScript date string', new Date().toString()],
    ['a day that does not exist', '2026-02-31T00:00:00.000Z'],
    ['a NUL after the time', '2026-01-01T00:00:00.000Z\u0000'],
    ['a date without a time', '2026-01-01'],
  ])('GET /v1/tasks with a cursor holding %s is 422 naming cursor', async (_l, at) => {
    expectClientError(await s.http.get(`/v1/tasks?cursor=${b64(`${at}|${id}`)}`).set(bearer(c.clerkRLQ)), 422, 'cursor');
  });

  it('GET /v1/audit with a cursor past the largest bigint is 400 naming cursor', async () => {
    expectClientError(await s.http.get('/v1/audit?cursor=9999999999999999999').set(bearer(c.adminRLQ)), 400, 'cursor');
  });

  it('GET /v1/waiting-list/imports/:id with an errorsCursor past the largest row number, below the first, or with a NUL, is 422 naming errorsCursor', async () => {
    const csv = `${WAITING_LIST_COLUMNS.join(',')}\n${WAITING_LIST_COLUMNS.map(() => 'x').join(',')}\n`;
    const upload = await s.http.post('/v1/waiting-list/imports?mode=partial').set(bearer(c.clerkRLQ)).set('Content-Type', 'text/csv').send(csv);
    expect(upload.status).toBe(202);
    for (const cursor of [
      [1e12, 'nhs_number'],
      [2, 'nhs_number\u0000'],
      [-1, 'nhs_number'],
    ]) {
      expectClientError(
        await s.http.get(`/v1/waiting-list/imports/${upload.body.id}?errorsCursor=${b64(cursor)}`).set(bearer(c.clerkRLQ)),
        422,
        'errorsCursor',
      );
    }
  });

  it('cursors of the form the API gives out still work (the control)', async () => {
    const encoded = b64(`${new Date().toISOString()}|${id}`);
    expect((await s.http.get(`/v1/tasks?cursor=${encoded}`).set(bearer(c.clerkRLQ))).status).toBe(200);
    expect((await s.http.get(`/v1/long-waiters?cursor=${b64(['2024-02-29', id])}`).set(bearer(c.clerkRLQ))).status).toBe(200);
    expect((await s.http.get(`/v1/referrals?sort=priority&cursor=${b64(['P2', '2024-02-29T00:00:00.000Z', id])}`).set(bearer(c.clerkRLQ))).status).toBe(200);
  });
});

describe('Notify callbacks without our reference', () => {
  const callback = (body: Record<string, unknown>) => s.http.post('/v1/notify/delivery-status').set('Authorization', `Bearer ${CALLBACK_TOKEN}`).send(body);
  // As GOV.UK Notify sends it; a letter sent by hand from Notify's website has a null reference.
  const receipt = (over: Record<string, unknown>) => ({
    id: randomUUID(),
    reference: null,
    to: 'someone@example.com',
    status: 'delivered',
    notification_type: 'letter',
    created_at: '2026-01-05T10:00:00.000000Z',
    completed_at: '2026-01-06T10:00:00.000000Z',
    sent_at: '2026-01-05T11:00:00.000000Z',
    template_id: randomUUID(),
    template_version: 1,
    ...over,
  });

  it.each([
    ['a null reference', { reference: null }],
    ['no reference at all', { reference: undefined }],
    ['a reference that is not one of ours', { reference: 'letter-by-hand-2026-01' }],
  ])('a receipt with %s for a message we never sent is 204 and changes nothing', async (_l, over) => {
    const before = await s.prisma.notificationStatus.count();
    expect((await callback(receipt(over))).status).toBe(204);
    expect(await s.prisma.notificationStatus.count()).toBe(before);
  });

  it("a receipt without a reference finds our notification by Notify's id", async () => {
    const ref = await driveTo(s, c, 'AWAITING_PATIENT_CONSENT');
    // The local channel marks it delivered at once; make it a letter Notify has and has not yet reported on.
    const row = (await waitUntil(
      () => s.prisma.notification.findFirst({ where: { referralId: ref.id, event: 'offer', status: 'delivered' } }),
      'the offer to be sent',
    ))!;
    const providerId = randomUUID();
    await s.prisma.notification.update({ where: { id: row.id }, data: { providerId, status: 'sending' } });
    expect((await callback(receipt({ id: providerId, notification_type: row.channel }))).status).toBe(204);
    expect((await s.prisma.notification.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('delivered');
  });
});

describe('the log capture', () => {
  it("receives the API's request log lines with their levels, so its silence at error level means something", async () => {
    const from = logs.lines.length;
    expect((await s.http.get('/v1/referrals').set('X-Request-Id', 'log-capture-check')).status).toBe(401);
    const line = await waitUntil(
      async () => logs.lines.slice(from).find((l) => (l.req as { id?: string } | undefined)?.id === 'log-capture-check'),
      'the 401 to be logged',
      5,
    );
    expect(line).toMatchObject({ level: 40, res: { statusCode: 401 } });
  });
});
