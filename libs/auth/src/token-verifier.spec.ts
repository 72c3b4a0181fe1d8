// The verified-token cache must never outlive the token: an expired token is refused even if it was
// accepted a moment before, and a token is only ever served from the cache under its own text.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '#config';
import { ensureDevIssuerKey, signDevToken } from '../../../scripts/lib/dev-issuer.mjs';
import { TokenError, TokenVerifier } from './token-verifier.js';

let dir: string;
let keyFile: string;
let verifier: TokenVerifier;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'crosstrust-token-'));
  keyFile = path.join(dir, 'dev-issuer.json');
  await ensureDevIssuerKey(keyFile);
  verifier = new TokenVerifier(loadConfig({ DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused', AUTH_DEV_KEY_FILE: keyFile }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  jest.useRealTimers();
});

describe('TokenVerifier cache', () => {
  it('refuses a token once it has expired, though it was accepted (and cached) before', async () => {
    // Only the clock is faked: promises and I/O run as usual.
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    const t = await signDevToken(keyFile, { roles: ['clinician'], ods: 'RLQ', sub: 'clin', expiresIn: '2m' });
    await expect(verifier.verify(t)).resolves.toMatchObject({ sub: 'clin', ods: 'RLQ' });
    await expect(verifier.verify(t)).resolves.toMatchObject({ sub: 'clin' });
    // Past exp and the 30 s clock tolerance.
    jest.setSystemTime(Date.now() + 2 * 60_000 + 31_000);
    await expect(verifier.verify(t)).rejects.toBeInstanceOf(TokenError);
  });

  it('does not accept a tampered copy of a cached token', async () => {
    const t = await signDevToken(keyFile, { roles: ['booking_clerk'], ods: 'RJC', sub: 'clerk' });
    await verifier.verify(t);
    const [h, p, s] = t.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = [h, Buffer.from(JSON.stringify({ ...claims, roles: ['trust_admin'] })).toString('base64url'), s].join('.');
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(TokenError);
  });
});
