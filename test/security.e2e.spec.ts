// Patient data kept safe: the audit trail, the per-caller rate limit, the per-address limit on
// traffic no token vouches for, nothing of a patient's in Redis, and production settings that would
// let anyone in refused at boot.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { ConfigError, DEV_OFFER_LINK_SECRET, loadConfig } from '#config';
import { ConsoleSessions } from '../apps/api/src/console/console-session.js';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import { randomUUID } from 'node:crypto';
import { bearer, drained, driveTo, getReferral, token, useEnv, useStack, waitUntil } from './support/stack.js';
import type { Response as SupertestResponse } from 'supertest';

describe('the audit trail', () => {
  const { s, c } = useStack();

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
    expect(actions).toEqual(
      expect.arrayContaining([
        'clerk-rlq referral.create 201',
        'clin-rlq referral.read 200',
        'clerk-rlq referral.clinical-review 403',
        'clin-rlq referral.receiver-decision 403',
      ]),
    );
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
  useEnv({ RATE_LIMIT_PER_MINUTE: '5' });
  const { s, c } = useStack({ worker: false });

  it('refuses a caller over the limit with 429 and Retry-After; others are unaffected', async () => {
    const me = await token({ role: 'clinician', ods: 'RLQ', sub: `rl-${Date.now()}` });
    const codes: number[] = [];
    let last: SupertestResponse | undefined;
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

describe('the per-address limit on traffic no token vouches for', () => {
  const LIMIT = 5;
  const CALLBACK_TOKEN = 'notify-callback-token-for-address-tests';
  const METRICS_TOKEN = 'metrics-token-for-address-tests-0123';
  const ENV = { PUBLIC_RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUSTED_PROXIES: '127.0.0.1, ::1', NOTIFY_CALLBACK_TOKEN: CALLBACK_TOKEN, METRICS_TOKEN };
  let clerk: string;
  let n = 0;
  /** An address of its own for each test (TEST-NET-3), so counts never mix. */
  const address = () => `203.0.113.${++n}`;

  useEnv(ENV);
  const { s } = useStack({ worker: false });
  beforeAll(async () => {
    clerk = await token({ role: 'booking_clerk', ods: 'RLQ', sub: `address-limit-${Date.now()}` });
    // Until the API's Redis client is connected the limit lets requests through (as when Redis is away).
    await waitUntil(async () => (await s.http.get('/health/ready')).status === 200, 'the API to be ready');
  });

  /** The test's requests all land in one minute's count: start with at least 5 s of the minute left. */
  const freshMinute = () => waitUntil(async () => 60_000 - (Date.now() % 60_000) > 5_000, 'a minute with 5 s left', 10);
  /** A request through our proxy (the socket, 127.0.0.1, is trusted) from `client`. */
  const via = (client: string, spoofed?: string) => ({ 'X-Forwarded-For': spoofed ? `${spoofed}, ${client}` : client });
  const statuses = async (count: number, send: (i: number) => PromiseLike<{ status: number }>) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((await send(i)).status);
    return out;
  };

  it('staff signed in to the console are not counted: their session vouches for them, as a token does', async () => {
    const from = address();
    await freshMinute();
    const sessions = s.api.get(ConsoleSessions);
    const cookie = (
      await sessions.sessionCookie(sessions.newSession({ sub: 'nat-clerk', name: 'A Clerk', roles: ['booking_clerk'], ods: 'RLQ', trustName: 'Wye Valley' }))
    ).split(';')[0];
    // Console sign-in is configured for this stack? Not needed: the guard reads the cookie alone.
    const signedIn = await statuses(LIMIT + 3, () => s.http.get('/console/signed-out').set(via(from)).set('Cookie', cookie));
    expect(signedIn).toEqual(Array(LIMIT + 3).fill(200));
    // Without the cookie, or with one that is not a session, the same address is counted.
    const codes = await statuses(LIMIT + 1, (i) =>
      s.http
        .get('/console/signed-out')
        .set(via(from))
        .set('Cookie', i % 2 ? 'ct_console=forged' : ''),
    );
    expect(codes).toEqual([...Array(LIMIT).fill(200), 429]);
  });

  it('bad tokens from one address: 401 up to the limit, then 429 with Retry-After and the common body', async () => {
    const from = address();
    await freshMinute();
    const auths = ['', 'Bearer nonsense', `Bearer ${clerk}x`, 'Basic dXNlcjpwYXNz'];
    const codes = await statuses(LIMIT + 2, (i) =>
      s.http
        .get('/v1/referrals?limit=1')
        .set(via(from))
        .set('Authorization', auths[i % auths.length]),
    );
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const last = await s.http.post('/v1/referrals').set(via(from)).send({ nonsense: true });
    expect(last.status).toBe(429);
    expect(last.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(new RegExp(`without a valid token: at most ${LIMIT} a minute`)),
    });
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(last.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('valid tokens from the same address are neither refused nor counted', async () => {
    const from = address();
    await freshMinute();
    // Over the limit with bad tokens: the address is refused, but its staff with valid tokens are not.
    expect(await statuses(LIMIT + 1, () => s.http.get('/v1/referrals?limit=1').set(via(from)))).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await statuses(3, () => s.http.get('/v1/referrals?limit=1').set(via(from)).set(bearer(clerk)))).toEqual([200, 200, 200]);
    // And they do not use up the allowance: many valid requests, then the bad ones still get their 401s.
    const other = address();
    await statuses(LIMIT * 2, () => s.http.get('/v1/referrals?limit=1').set(via(other)).set(bearer(clerk)));
    expect(await statuses(LIMIT, () => s.http.get('/v1/referrals?limit=1').set(via(other)))).toEqual([401, 401, 401, 401, 401]);
  });

  it('guessed offer links: 404 up to the limit, then 429, whatever token comes with them; the static assets are not counted', async () => {
    const from = address();
    await freshMinute();
    const guess = () => `${randomUUID().replace(/-/g, '').slice(0, 22)}.${randomUUID().replace(/-/g, '').slice(0, 22)}`;
    expect(await statuses(LIMIT, () => s.http.get(`/offer/${guess()}`).set(via(from)))).toEqual([404, 404, 404, 404, 404]);
    expect((await s.http.get(`/offer/${guess()}`).set(via(from))).status).toBe(429);
    expect((await s.http.post(`/OFFER/${guess()}`).set(via(from)).set(bearer(clerk)).type('form').send({ day: '1' })).status).toBe(429);
    const css = await s.http.get('/offer/assets/nhsuk-frontend.min.css').set(via(from));
    expect(css.status).toBe(200);
  });

  it("Notify callbacks: a wrong callback token is counted, Notify's own is not", async () => {
    const from = address();
    await freshMinute();
    const receipt = () => ({ id: randomUUID(), reference: null, status: 'delivered', notification_type: 'letter' });
    const wrong = await statuses(LIMIT + 1, () =>
      s.http.post('/v1/notify/delivery-status').set(via(from)).set('Authorization', `Bearer ${CALLBACK_TOKEN}-guess`).send(receipt()),
    );
    expect(wrong).toEqual([401, 401, 401, 401, 401, 429]);
    // A user's token opens nothing there: still counted, still refused.
    expect((await s.http.post('/v1/notify/delivery-status').set(via(from)).set(bearer(clerk)).send(receipt())).status).toBe(429);
    expect(
      await statuses(3, () => s.http.post('/v1/notify/delivery-status').set(via(from)).set('Authorization', `Bearer ${CALLBACK_TOKEN}`).send(receipt())),
    ).toEqual([204, 204, 204]);
  });

  it('health checks are never counted or refused; Prometheus with its token is not counted', async () => {
    const from = address();
    await freshMinute();
    expect(await statuses(LIMIT + 1, () => s.http.get('/metrics').set(via(from)).set('Authorization', 'Bearer wrong-metrics-token'))).toEqual([
      401, 401, 401, 401, 401, 429,
    ]);
    expect(await statuses(LIMIT + 1, () => s.http.get('/health/live').set(via(from)))).toEqual(new Array(LIMIT + 1).fill(200));
    expect((await s.http.get('/health/ready').set(via(from))).status).toBe(200);
    expect(await statuses(3, () => s.http.get('/metrics').set(via(from)).set('Authorization', `Bearer ${METRICS_TOKEN}`))).toEqual([200, 200, 200]);
  });

  it('behind a trusted proxy the client is the right-most hop it did not write: made-up hops to its left buy no fresh count', async () => {
    const from = address();
    const neighbour = address();
    await freshMinute();
    const codes = await statuses(LIMIT + 2, (i) => s.http.get('/v1/referrals').set(via(from, `198.51.100.${i + 1}`)));
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // Another client behind the same proxy has its own count.
    expect((await s.http.get('/v1/referrals').set(via(neighbour))).status).toBe(401);
  });

  it('IPv6 clients are counted by their /64', async () => {
    await freshMinute();
    expect(await statuses(LIMIT, (i) => s.http.get('/v1/referrals').set(via(`2001:db8:12:34::${i + 1}`)))).toEqual([401, 401, 401, 401, 401]);
    expect((await s.http.get('/v1/referrals').set(via('2001:db8:12:34:ffff:ffff:ffff:ffff'))).status).toBe(429);
    expect((await s.http.get('/v1/referrals').set(via('2001:db8:12:35::1'))).status).toBe(401);
  });

  it('PUBLIC_RATE_LIMIT_PER_MINUTE and TRUSTED_PROXIES are checked at boot, each bad one named', () => {
    const env = { DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' };
    expect(loadConfig(env)).toMatchObject({ http: { publicRateLimitPerMinute: 120, trustedProxies: [] } });
    expect(loadConfig({ ...env, TRUSTED_PROXIES: ' 10.0.0.0/8, 192.168.1.10 ,fd00::/8' }).http.trustedProxies).toEqual([
      '10.0.0.0/8',
      '192.168.1.10',
      'fd00::/8',
    ]);
    let problems: string[] = [];
    try {
      loadConfig({ ...env, PUBLIC_RATE_LIMIT_PER_MINUTE: '0', TRUSTED_PROXIES: '10.0.0.0/33, proxy.internal, ::1/129, 10.0.0.1/8/1' });
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^PUBLIC_RATE_LIMIT_PER_MINUTE must be a whole number from 1/),
      expect.stringMatching(/^TRUSTED_PROXIES .*"10\.0\.0\.0\/33"/),
      expect.stringMatching(/^TRUSTED_PROXIES .*"proxy\.internal"/),
      expect.stringMatching(/^TRUSTED_PROXIES .*"::1\/129"/),
      expect.stringMatching(/^TRUSTED_PROXIES .*"10\.0\.0\.1\/8\/1"/),
    ]);
  });

  // The FHIR routes (/fhir/r4/...) are limited as every request is: the CapabilityStatement, without a token, by address.
  it('the OpenAPI document lists the 429 on every /v1 and /fhir operation, naming both limits, and none on health', async () => {
    const doc = (await s.http.get('/docs-json').set(via(address()))).body;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { description: string }> }>>)) {
      for (const op of Object.values(item)) {
        if (path.startsWith('/v1/') || path.startsWith('/fhir/'))
          expect([path, op.responses['429']?.description]).toEqual([path, expect.stringMatching(/PUBLIC_RATE_LIMIT_PER_MINUTE/)]);
        else expect([path, op.responses['429']]).toEqual([path, undefined]);
      }
    }
  });
});

describe('the per-address limit without trusted proxies', () => {
  useEnv({ PUBLIC_RATE_LIMIT_PER_MINUTE: '5', TRUSTED_PROXIES: undefined });
  const { s } = useStack({ worker: false });
  beforeAll(async () => {
    await waitUntil(async () => (await s.http.get('/health/ready')).status === 200, 'the API to be ready');
  });

  it("believes no X-Forwarded-For: a fresh made-up address on each request still shares the socket address's count", async () => {
    await waitUntil(async () => 60_000 - (Date.now() % 60_000) > 5_000, 'a minute with 5 s left', 10);
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await s.http.get('/v1/referrals').set('X-Forwarded-For', `198.51.100.${100 + i}`)).status);
    // Other suites of this run may already have counted 127.0.0.1 this minute: once refused, always refused.
    expect(codes.every((c) => c === 401 || c === 429)).toBe(true);
    expect(codes.slice(codes.indexOf(429))).toEqual(new Array(codes.length - codes.indexOf(429)).fill(429));
    expect(codes.slice(-2)).toEqual([429, 429]);
  });
});

describe('Redis holds ids, never patient data', () => {
  const { s, c } = useStack();

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
      expect(dump).toContain(walked[0].id); // the scan did read job data
      for (const n of needles) expect(dump.includes(n) ? n : null).toBeNull();
    } finally {
      redis.disconnect();
    }
    expect((await getReferral(s, c.clinRJC, walked[0].id)).status).toBe('DISCHARGED');
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
    expect(loadConfig(prod)).toMatchObject({ nodeEnv: 'production', auth: { mode: 'oidc', jwksUrl: prod.AUTH_JWKS_URL } });
  });

  it('refuses a JWKS fetched over plain http: anyone on the path could swap the keys', () => {
    expect(() => loadConfig({ ...prod, AUTH_JWKS_URL: 'http://am.nhsidentity.example/jwks' })).toThrow(
      /AUTH_JWKS_URL must be an https: URL when NODE_ENV=production/,
    );
    // Outside production a local issuer over http is fine (the OIDC suite runs one); nonsense never is.
    expect(loadConfig({ ...prod, NODE_ENV: 'test', AUTH_JWKS_URL: 'http://127.0.0.1:9999/jwks' }).auth.jwksUrl).toBe('http://127.0.0.1:9999/jwks');
    expect(() => loadConfig({ ...prod, NODE_ENV: 'test', AUTH_JWKS_URL: 'not a url' })).toThrow(/AUTH_JWKS_URL is not a valid URL/);
  });

  it('console sign-in in production: an https issuer, a client, and a session secret of its own', () => {
    const oidc = {
      OIDC_ISSUER_URL: 'https://am.nhsidentity.example/openam/oauth2/realms/root/realms/oidc',
      OIDC_CLIENT_ID: 'crosstrust',
      OIDC_CLIENT_SECRET: 's3cret',
    };
    const secret = 'a-console-session-secret-from-the-platform-store';
    expect(loadConfig({ ...prod, ...oidc, CONSOLE_SESSION_SECRET: secret, OIDC_ROLES_CLAIM: 'nhsid_roles' }).console).toMatchObject({
      issuerUrl: oidc.OIDC_ISSUER_URL,
      claims: { name: 'name', roles: 'nhsid_roles', ods: 'ods' },
      idleMinutes: 30,
      absoluteHours: 12,
    });
    expect(loadConfig(prod).console).toBeNull(); // no issuer: no console sign-in
    expect(() => loadConfig({ ...prod, ...oidc })).toThrow(/CONSOLE_SESSION_SECRET is required/);
    expect(() => loadConfig({ ...prod, ...oidc, CONSOLE_SESSION_SECRET: secret, OIDC_ISSUER_URL: 'http://am.nhsidentity.example' })).toThrow(
      /OIDC_ISSUER_URL must be a https: URL/,
    );
    expect(() => loadConfig({ ...prod, ...oidc, CONSOLE_SESSION_SECRET: 'short', OIDC_CLIENT_SECRET: '' })).toThrow(
      /OIDC_CLIENT_SECRET is required.*CONSOLE_SESSION_SECRET must be at least 32 characters/s,
    );
    expect(() => loadConfig({ ...prod, ...oidc, CONSOLE_SESSION_SECRET: secret, CONSOLE_IDLE_MINUTES: '0' })).toThrow(
      /CONSOLE_IDLE_MINUTES must be a whole number from 1/,
    );
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
    expect(problems).toEqual([
      expect.stringMatching(/^AUTH_JWKS_URL must be an https: URL/),
      expect.stringMatching(/^OFFER_LINK_SECRET must not be the development secret/),
    ]);

    const saved = { ...process.env };
    Object.assign(process.env, bad);
    try {
      await expect(createApiApp({ logger: false })).rejects.toThrow(
        /AUTH_JWKS_URL must be an https: URL[\s\S]*OFFER_LINK_SECRET must not be the development secret/,
      );
    } finally {
      for (const k of Object.keys(bad)) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});
