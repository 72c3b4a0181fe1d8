// What the HTTP platform under Nest gives every answer, whichever it is: the security headers,
// no X-Powered-By, request ids, routes matched whatever their case or a trailing slash, and bodies
// read the same way on every method (issue 14 moved the API from Express to Fastify: these held
// on Express and must hold on Fastify).
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { APP_CONFIG, ConfigError, loadConfig, type AppConfig } from '#config';
import { offerLinkToken } from '#notifications';
import { bearer, cast, driveTo, referralBody, startStack, waitUntil, type Cast, type Stack } from './support/stack.js';

let s: Stack;
let c: Cast;

beforeAll(async () => {
  s = await startStack({ worker: false });
  c = await cast();
});
afterAll(async () => {
  await s?.close();
});

/** helmet's defaults (Content-Security-Policy off on the API: the offer pages set their own). */
const SECURITY_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

describe('headers on every answer', () => {
  it.each([
    ['a health check', () => s.http.get('/health/live'), 200],
    ['a route answered by the app', () => s.http.get('/v1/referrals?limit=1').set(bearer(c.clerkRLQ)), 200],
    ['a refusal by the guard', () => s.http.get('/v1/referrals'), 401],
    ['no such route', () => s.http.get('/v1/no-such-thing'), 404],
    ['a body that is not JSON', () => s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Content-Type', 'application/json').send('{'), 400],
    ['the OpenAPI document', () => s.http.get('/docs-json'), 200],
  ])('%s has the security headers and no X-Powered-By', async (_what, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers).toMatchObject(SECURITY_HEADERS);
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('the offer pages keep their own Content-Security-Policy beside the rest', async () => {
    const res = await s.http.get('/offer/not-a-link');
    expect(res.status).toBe(404);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers).toMatchObject({ ...SECURITY_HEADERS, 'referrer-policy': 'no-referrer' });
  });
});

describe('the OpenAPI pages', () => {
  it('serves Swagger UI at /docs with its scripts and styles (files served by @fastify/static)', async () => {
    const page = await s.http.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const css = /href="\.?\/?([^"]*swagger-ui\.css)"/.exec(page.text)?.[1];
    expect(css).toBeDefined();
    const asset = await s.http.get(`/docs/${css!.replace(/^docs\//, '')}`);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/css/);
  });
});

describe('request ids', () => {
  it('echoes a well-formed X-Request-Id and replaces anything else with a UUID', async () => {
    expect((await s.http.get('/health/live').set('X-Request-Id', 'lb-1234.abc_Z')).headers['x-request-id']).toBe('lb-1234.abc_Z');
    for (const sent of ['has spaces', 'x'.repeat(65), 'semi;colon']) {
      const res = await s.http.get('/health/live').set('X-Request-Id', sent);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    const a = (await s.http.get('/v1/referrals')).headers['x-request-id'];
    const b = (await s.http.get('/v1/referrals')).headers['x-request-id'];
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).not.toBe(a);
  });
});

describe('routing', () => {
  it('matches a route whatever the case of its path, and with a trailing slash', async () => {
    expect((await s.http.get('/HEALTH/Live')).status).toBe(200);
    expect((await s.http.get('/health/live/')).status).toBe(200);
    const res = await s.http.get('/V1/Referrals/?limit=1').set(bearer(c.clerkRLQ));
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.items)).toBe(true);
  });

  it('answers a path it has no route for with the common 404 body', async () => {
    const res = await s.http.delete('/v1/referrals');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.stringMatching(/DELETE \/v1\/referrals/) });
  });

  it('refuses a repeated query parameter as a list where one value goes, naming it', async () => {
    const res = await s.http.get('/v1/referrals?limit=1&limit=2').set(bearer(c.clerkRLQ));
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['limit']);
  });
});

describe('request bodies', () => {
  it('reads a JSON body sent with a GET as it would with a POST: screened, and too deep is 400', async () => {
    const res = await s.http.get('/health/live').set('Content-Type', 'application/json').send('[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/nested too deeply/);
  });

  it('refuses a JSON body in a content coding (gzip too: JSON bodies are small) or a charset other than UTF-8 with 415 and the common body', async () => {
    const text = JSON.stringify(referralBody());
    const post = () => s.http.post('/v1/referrals').set(bearer(c.clerkRLQ));
    for (const res of [
      await post().set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(gzipSync(text)),
      await post().set('Content-Type', 'application/json').set('Content-Encoding', 'compress').send(text),
      await post().set('Content-Type', 'application/json; charset=latin1').send(text),
    ]) {
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: 'Send the body as UTF-8 JSON' });
    }
  });

  it('takes a JSON body typed application/<something>+json', async () => {
    const res = await s.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Content-Type', 'application/vnd.crosstrust+json').send(JSON.stringify({}));
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['patient', 'specialtyCode']));
  });
});

describe('the server', () => {
  it("keeps Node's timeouts as set on purpose: no whole-request or idle limit (bodies have deadlines per route), 60 s for headers, 5 s keep-alive", () => {
    const server = s.api.getHttpServer();
    expect({
      requestTimeout: server.requestTimeout,
      headersTimeout: server.headersTimeout,
      keepAliveTimeout: server.keepAliveTimeout,
      timeout: server.timeout,
    }).toEqual({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000, timeout: 0 });
  });
});

describe('BODY_LIMIT', () => {
  const env = { DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' };

  it('is read as people write sizes (units of 1,024), and a bad one is named at boot', () => {
    expect(loadConfig(env).http.bodyLimit).toBe(100 * 1024);
    expect(['100kb', '1mb', '1.5MB', '2048', '512 b'].map((BODY_LIMIT) => loadConfig({ ...env, BODY_LIMIT }).http.bodyLimit)).toEqual([
      102_400, 1_048_576, 1_572_864, 2048, 512,
    ]);
    for (const BODY_LIMIT of ['lots', '0', '-1kb', '2tb']) {
      let problems: string[] = [];
      try {
        loadConfig({ ...env, BODY_LIMIT });
      } catch (e) {
        problems = (e as ConfigError).problems;
      }
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^BODY_LIMIT must be a size .*got "${BODY_LIMIT}"`))]);
    }
  });

  describe('set to 1kb', () => {
    let small: Stack;
    const saved = process.env.BODY_LIMIT;
    beforeAll(async () => {
      process.env.BODY_LIMIT = '1kb';
      small = await startStack({ worker: false });
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env.BODY_LIMIT;
      else process.env.BODY_LIMIT = saved;
      await small?.close();
    });

    it('takes a JSON body of 1,024 bytes and refuses one of 1,025 with 413 and the common body', async () => {
      const sized = (n: number) => {
        const text = JSON.stringify({ pad: '' });
        return JSON.stringify({ pad: 'x'.repeat(n - text.length) });
      };
      const post = (text: string) => small.http.post('/v1/referrals').set(bearer(c.clerkRLQ)).set('Content-Type', 'application/json').send(text);
      const fits = await post(sized(1024));
      expect(fits.status).toBe(400); // read, and refused by validation for what it holds
      expect(fits.body.details.map((d: { field: string }) => d.field)).toContain('pad');
      const over = await post(sized(1025));
      expect(over.status).toBe(413);
      expect(over.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'The request body is too large' });
    });
  });
});

describe("the offer page's form, read by the page itself", () => {
  let withWorker: Stack;
  let link: string;
  beforeAll(async () => {
    withWorker = await startStack();
    const ref = await driveTo(withWorker, c, 'AWAITING_PATIENT_CONSENT');
    const n = (await waitUntil(() => withWorker.prisma.notification.findFirst({ where: { referralId: ref.id, event: 'offer' } }), 'the offer notification'))!;
    link = `/offer/${offerLinkToken(withWorker.api.get<AppConfig>(APP_CONFIG).workflow.offerLinkSecret, n.id)}`;
  });
  afterAll(async () => {
    await withWorker?.close();
  });

  const post = (form: string) => withWorker.http.post(link).type('form').send(form);

  it('reads a date of birth posted as a form (a wrong one is counted, and says so)', async () => {
    const res = await post('dob-day=1&dob-month=1&dob-year=1990');
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/does not match our records/);
  });

  it('answers a form over 4 KB, or with more than 10 fields, with the "problem with the service" page, not a JSON error', async () => {
    for (const form of [`dob-day=1&dob-month=1&dob-year=1990&pad=${'x'.repeat(5000)}`, Array.from({ length: 11 }, (_, i) => `f${i}=1`).join('&')]) {
      const res = await post(form);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toMatch(/Sorry, there is a problem with the service/);
      expect(res.text).not.toMatch(/does not match our records/);
    }
  });

  it('reads a body of another type as no fields: the page asks for the date of birth', async () => {
    const res = await withWorker.http.post(link).set('Content-Type', 'text/plain').send('dob-day=1&dob-month=1&dob-year=1990');
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/Enter your date of birth/);
  });
});
