// Patient data kept safe: the audit trail, the per-caller rate limit, nothing of a patient's in
// Redis, and production settings that would let anyone in refused at boot.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { ConfigError, DEV_OFFER_LINK_SECRET, loadConfig } from '#config';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { bearer, cast, drained, driveTo, getReferral, startStack, token, type Cast, type Stack } from './support/stack.js';

describe('the audit trail', () => {
  let s: Stack;
  let c: Cast;
  beforeAll(async () => {
    s = await startStack();
    c = await cast();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('records who read and changed a referral, with the request id and outcome, for the trust admin to see', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    const read = await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clinRLQ)).set('X-Request-Id', 'req-audit-1');
    expect(read.status).toBe(200);
    expect(read.headers['x-request-id']).toBe('req-audit-1');
    const denied = await s.http.post(`/v1/referrals/${id}/clinical-review`).set(bearer(c.clerkRLQ)).send({ decision: 'suitable' });
    expect(denied.status).toBe(403);
    const conflict = await s.http.post(`/v1/referrals/${id}/receiver-decision`).set(bearer(c.clinRLQ)).send({ decision: 'accept' });
    expect(conflict.status).toBe(403);

    const admin = await token({ role: 'trust_admin', ods: 'RLQ', sub: 'audit-admin' });
    const trail = await s.http.get(`/v1/audit?referralId=${id}`).set(bearer(admin));
    expect(trail.status).toBe(200);
    const actions = trail.body.items.map((e: { action: string; outcome: number; actor: { sub: string } }) => `${e.actor.sub} ${e.action} ${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['clerk-rlq referral.create 201', 'clin-rlq referral.read 200', 'clerk-rlq referral.clinical-review 403', 'clin-rlq referral.receiver-decision 403']));
    const mine = trail.body.items.find((e: { requestId: string }) => e.requestId === 'req-audit-1');
    expect(mine).toMatchObject({ action: 'referral.read', outcome: 200, referralId: id, actor: { sub: 'clin-rlq', role: 'clinician', ods: 'RLQ' } });

    // Another trust's admin sees nothing of it; a clinician may not read the trail at all.
    const otherAdmin = await token({ role: 'trust_admin', ods: 'RLT' });
    expect((await s.http.get(`/v1/audit?referralId=${id}`).set(bearer(otherAdmin))).body.items).toEqual([]);
    expect((await s.http.get('/v1/audit').set(bearer(c.clinRLQ))).status).toBe(403);
  });

  it('pages newest first and filters by time', async () => {
    const { id } = await driveTo(s, c, 'AWAITING_CLINICAL_REVIEW');
    for (let i = 0; i < 3; i++) await s.http.get(`/v1/referrals/${id}`).set(bearer(c.clerkRLQ)).expect(200);
    const admin = await token({ role: 'trust_admin', ods: 'RLQ' });
    const first = await s.http.get(`/v1/audit?referralId=${id}&limit=2`).set(bearer(admin));
    expect(first.body.items).toHaveLength(2);
    const second = await s.http.get(`/v1/audit?referralId=${id}&limit=2&cursor=${first.body.nextCursor}`).set(bearer(admin));
    const ids = [...first.body.items, ...second.body.items].map((e: { id: string }) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
    const future = await s.http.get(`/v1/audit?referralId=${id}&from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`).set(bearer(admin));
    expect(future.body.items).toEqual([]);
  });

  it('cannot be changed or deleted, not even by SQL', async () => {
    await expect(s.prisma.$executeRaw`UPDATE audit_event SET outcome = 200`).rejects.toThrow(/append-only/);
    await expect(s.prisma.$executeRaw`DELETE FROM audit_event`).rejects.toThrow(/append-only/);
    await expect(s.prisma.$executeRaw`DELETE FROM timeline_event`).rejects.toThrow(/append-only/);
  });
});

describe('the rate limit', () => {
  let s: Stack;
  let c: Cast;
  const saved = process.env.RATE_LIMIT_PER_MINUTE;
  beforeAll(async () => {
    process.env.RATE_LIMIT_PER_MINUTE = '5';
    s = await startStack({ worker: false });
    c = await cast();
  });
  afterAll(async () => {
    process.env.RATE_LIMIT_PER_MINUTE = saved;
    await s?.close();
  });

  it('refuses a caller over the limit with 429 and Retry-After; others are unaffected', async () => {
    const me = await token({ role: 'clinician', ods: 'RLQ', sub: `rl-${Date.now()}` });
    const codes: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await s.http.get('/v1/referrals?limit=1').set(bearer(me));
      codes.push(last.status);
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(last!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(last!.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/at most 5 a minute/) });
    const someoneElse = await token({ role: 'clinician', ods: 'RLQ', sub: `rl-other-${Date.now()}` });
    expect((await s.http.get('/v1/referrals?limit=1').set(bearer(someoneElse))).status).toBe(200);
    expect(c.clinRLQ).toBeTruthy();
  });
});

describe('Redis holds ids, never patient data', () => {
  let s: Stack;
  let c: Cast;
  beforeAll(async () => {
    s = await startStack();
    c = await cast();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('after referrals run through every stage, no key or value holds an NHS number, name, postcode or contact', async () => {
    const walked = await Promise.all([driveTo(s, c, 'DISCHARGED'), driveTo(s, c, 'BOOKED'), driveTo(s, c, 'AWAITING_PATIENT_CONSENT')]);
    await drained(s);
    const needles = [...walked.map((w) => w.nhs), 'Testpatient', 'Alex', 'HR1 2ER', 'alex@example.com', '07700900123', '1 High Street'];
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const keys = await redis.keys(`${process.env.QUEUE_PREFIX}*`);
      expect(keys.length).toBeGreaterThan(10);
      let dump = keys.join('\n');
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') dump += JSON.stringify(await redis.hgetall(key));
        else if (type === 'string') dump += await redis.get(key);
        else if (type === 'list') dump += (await redis.lrange(key, 0, -1)).join('\n');
        else if (type === 'zset') dump += (await redis.zrange(key, 0, -1)).join('\n');
        else if (type === 'set') dump += (await redis.smembers(key)).join('\n');
        else if (type === 'stream') dump += JSON.stringify(await redis.xrange(key, '-', '+'));
      }
      expect(dump).toContain(walked[0]!.id); // the scan did read job data
      for (const n of needles) expect(dump.includes(n) ? n : null).toBeNull();
    } finally {
      redis.disconnect();
    }
    expect((await getReferral(s, c.clinRJC, walked[0]!.id)).status).toBe('DISCHARGED');
  });
});

describe('production settings', () => {
  const prod = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://unused',
    REDIS_URL: 'redis://unused',
    AUTH_JWKS_URL: 'https://am.nhsidentity.example/jwks',
    AUTH_ISSUER: 'https://am.nhsidentity.example',
    AUTH_AUDIENCE: 'crosstrust',
    OFFER_LINK_SECRET: 'a-secret-from-the-platform-store-0123456789',
    PUBLIC_BASE_URL: 'https://crosstrust.example.nhs.uk',
  };

  it('good production settings load (the control)', () => {
    expect(loadConfig(prod)).toMatchObject({ nodeEnv: 'production', authMode: 'oidc', authJwksUrl: prod.AUTH_JWKS_URL });
  });

  it('refuses a JWKS fetched over plain http: anyone on the path could swap the keys', () => {
    expect(() => loadConfig({ ...prod, AUTH_JWKS_URL: 'http://am.nhsidentity.example/jwks' })).toThrow(/AUTH_JWKS_URL must be an https: URL when NODE_ENV=production/);
    // Outside production a local issuer over http is fine (the OIDC suite runs one); nonsense never is.
    expect(loadConfig({ ...prod, NODE_ENV: 'test', AUTH_JWKS_URL: 'http://127.0.0.1:9999/jwks' }).authJwksUrl).toBe('http://127.0.0.1:9999/jwks');
    expect(() => loadConfig({ ...prod, NODE_ENV: 'test', AUTH_JWKS_URL: 'not a url' })).toThrow(/AUTH_JWKS_URL is not a valid URL/);
  });

  it('refuses the development offer-link secret, which is published in the code', () => {
    expect(() => loadConfig({ ...prod, OFFER_LINK_SECRET: DEV_OFFER_LINK_SECRET })).toThrow(/OFFER_LINK_SECRET must not be the development secret/);
  });

  it('names both at once, and the API does not start with them', async () => {
    const bad = { ...prod, AUTH_JWKS_URL: 'http://am.nhsidentity.example/jwks', OFFER_LINK_SECRET: DEV_OFFER_LINK_SECRET };
    let problems: string[] = [];
    try {
      loadConfig(bad);
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^AUTH_JWKS_URL must be an https: URL/), expect.stringMatching(/^OFFER_LINK_SECRET must not be the development secret/)]);

    const saved = { ...process.env };
    Object.assign(process.env, bad);
    try {
      await expect(createApiApp({ logger: false })).rejects.toThrow(/AUTH_JWKS_URL must be an https: URL[\s\S]*OFFER_LINK_SECRET must not be the development secret/);
    } finally {
      for (const k of Object.keys(bad)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});
