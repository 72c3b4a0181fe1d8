// The local development token issuer: an ES256 key pair in .data/, and tokens signed with it.
// The server trusts it only when AUTH_MODE=dev (never with NODE_ENV=production).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

export const DEV_ISSUER = 'crosstrust-local-dev';
export const DEV_AUDIENCE = 'crosstrust';

export async function ensureDevIssuerKey(file) {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  const data = {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
  // Another process may have written one meanwhile: keep whichever landed first.
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  renameSync(tmp, file);
  return data;
}

/**
 * Signs a token: { role | roles, ods, nhsNumber, sub, expiresIn }. By default it lasts as long as the
 * server allows by default: 12 hours for staff, 1 hour for a patient (AUTH_*_TOKEN_MAX_SECONDS).
 */
export async function signDevToken(file, { roles, ods, nhsNumber, sub, expiresIn = roles.includes('patient') ? '1h' : '12h', extra = {} }) {
  const { privateJwk } = await ensureDevIssuerKey(file);
  const key = await importJWK(privateJwk, 'ES256');
  const claims = { roles, ...extra };
  if (ods) claims.ods = ods;
  if (nhsNumber) claims.nhs_number = nhsNumber;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid, typ: 'JWT' })
    .setSubject(sub ?? randomUUID())
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}
