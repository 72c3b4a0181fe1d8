// Production-shaped authentication: tokens from an OpenID Connect issuer (CIS2 for staff, NHS
// login for patients), verified against its JWKS with issuer and audience checked.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { bearer, useEnv, useStack } from './support/stack.js';

const ISSUER = 'https://am.nhsidentity.example/openam/oauth2/realms/root/realms/oidc';
const AUDIENCE = 'crosstrust-api';

describe('AUTH_MODE=oidc', () => {
  let jwks: Server;
  let key: CryptoKey;
  let port: number;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    const pub = { ...(await exportJWK(pair.publicKey)), kid: 'cis2-1', alg: 'RS256', use: 'sig' };
    jwks = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [pub] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    port = (jwks.address() as { port: number }).port;
  });
  useEnv(() => ({ AUTH_MODE: 'oidc', AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks`, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }));
  const { s } = useStack({ worker: false });
  afterAll(async () => {
    await new Promise((r) => jwks?.close(r));
  });

  /** `exp` or `iat` null: the claim is left out. */
  const sign = (
    claims: Record<string, unknown>,
    opts: { iss?: string; aud?: string; exp?: string | number | null; iat?: number | null; nbf?: string | number; alg?: string } = {},
  ) => {
    let jwt = new SignJWT({ roles: ['clinician'], ods: 'RLQ', ...claims })
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: 'cis2-1' })
      .setSubject('cis2-user-1')
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? AUDIENCE);
    if (opts.iat !== null) jwt = jwt.setIssuedAt(opts.iat);
    if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? '5m');
    if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
    return jwt.sign(key);
  };
  const now = () => Math.floor(Date.now() / 1000);

  it("accepts the issuer's token", async () => {
    const res = await s.http.get('/v1/referrals?limit=1').set(bearer(await sign({})));
    expect(res.status).toBe(200);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example' }],
    ['another audience', { aud: 'someone-else' }],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 3600 }],
    ['a token not valid yet', { nbf: Math.floor(Date.now() / 1000) + 3600 }],
  ])('refuses %s with 401', async (_l, opts) => {
    const res = await s.http.get('/v1/referrals?limit=1').set(bearer(await sign({}, opts)));
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/Invalid bearer token/);
  });

  it.each([
    ['a token without exp (it would never expire)', {}, () => ({ exp: null }), /"exp"/],
    ['a token without iat (its lifetime cannot be known)', {}, () => ({ iat: null }), /"iat"/],
    ['a staff token valid for ten years', {}, () => ({ iat: now(), exp: now() + 10 * 365 * 86_400 }), /staff tokens may be valid for at most 12 h/],
    ['a staff token valid for 13 hours (a CIS2 session lasts 12)', {}, () => ({ iat: now(), exp: now() + 13 * 3600 }), /at most 12 h/],
    [
      'an NHS login token valid for 2 hours',
      { roles: ['patient'], nhs_number: '9434765919' },
      () => ({ iat: now(), exp: now() + 2 * 3600 }),
      /patient tokens may be valid for at most 1 h/,
    ],
    ['a token issued in the future', {}, () => ({ iat: now() + 3600, exp: now() + 7200 }), /issued in the future/],
  ])('refuses %s with 401 saying why', async (_l, claims, opts, why) => {
    const res = await s.http.get('/v1/referrals?limit=1').set(bearer(await sign(claims, opts())));
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(why);
  });

  it('accepts a CIS2 token for a whole 12-hour session and an NHS login token for its hour', async () => {
    expect((await s.http.get('/v1/referrals?limit=1').set(bearer(await sign({}, { iat: now(), exp: now() + 12 * 3600 })))).status).toBe(200);
    const patient = await sign({ roles: ['patient'], nhs_number: '9434765919' }, { iat: now(), exp: now() + 3600 });
    expect((await s.http.get('/v1/patient/referrals').set(bearer(patient))).status).toBe(200);
  });

  it('refuses the local development issuer once configured for OIDC', async () => {
    const { signDevToken } = await import('../scripts/lib/dev-issuer.mjs');
    const dev = await signDevToken(process.env.AUTH_DEV_KEY_FILE!, { roles: ['clinician'], ods: 'RLQ' });
    expect((await s.http.get('/v1/referrals?limit=1').set(bearer(dev))).status).toBe(401);
  });

  it('refuses an HMAC token made with the public key as its secret (algorithm confusion)', async () => {
    const pub = JSON.stringify(((await (await fetch(process.env.AUTH_JWKS_URL!)).json()) as { keys: unknown[] }).keys[0]);
    const hmac = await new SignJWT({ roles: ['trust_admin'], ods: 'RLQ' })
      .setProtectedHeader({ alg: 'HS256', kid: 'cis2-1' })
      .setSubject('attacker')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pub));
    expect((await s.http.get('/v1/referrals?limit=1').set(bearer(hmac))).status).toBe(401);
  });
});
