// Verifies bearer JWTs with jose: the local development issuer's key, or an OIDC issuer's JWKS.
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { APP_CONFIG, type AppConfig } from '#config';
import { isRole, type Role } from './roles.js';

export class TokenError extends Error {}

export interface VerifiedClaims {
  readonly sub: string;
  readonly roles: Role[];
  readonly ods: string | null;
  readonly nhsNumber: string | null;
  /** A member of staff's name (the token's `name`, as CIS2 carries it), for the timeline; never a patient's. */
  readonly name: string | null;
}

/** How many verified tokens are remembered, and for at most how long (a key withdrawn from the JWKS stops working within this). */
const CACHE_ENTRIES = 10_000;
const CACHE_MS = 5 * 60_000;
const CLOCK_TOLERANCE_S = 30;

/** A lifetime in words, exact: `12 h`, `721 min`, `45 s`. */
function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

@Injectable()
export class TokenVerifier {
  private keys: JWTVerifyGetKey | null = null;
  /**
   * Tokens already verified, so a client's every request does not pay for a signature check
   * (about a millisecond of CPU for ES256). Only tokens that passed are kept, with their expiry.
   */
  private readonly verified = new Map<string, { claims: VerifiedClaims; until: number }>();
  private readonly perRequest = new WeakMap<object, { token: string; result: Promise<VerifiedClaims> }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private keySet(): JWTVerifyGetKey {
    if (this.keys) return this.keys;
    if (this.config.auth.mode === 'oidc') {
      this.keys = createRemoteJWKSet(new URL(this.config.auth.jwksUrl!));
    } else {
      let file: { publicJwk: Record<string, unknown> };
      try {
        file = JSON.parse(readFileSync(this.config.auth.devKeyFile, 'utf8')) as typeof file;
      } catch {
        throw new Error(`The local development issuer key ${this.config.auth.devKeyFile} is missing: run \`npm run token\` once, or \`npm start\`.`);
      }
      this.keys = createLocalJWKSet({ keys: [file.publicJwk] });
    }
    return this.keys;
  }

  /** Loads the keys now so a misconfiguration stops the app at boot, not at the first request. */
  warmUp(): void {
    this.keySet();
  }

  /**
   * The verification of a request's bearer token, once per request: the per-address rate limit (which
   * counts only requests without a valid token) and the guard both ask, and a bad token is checked once.
   */
  verifyFor(req: object, token: string): Promise<VerifiedClaims> {
    const seen = this.perRequest.get(req);
    if (seen?.token === token) return seen.result;
    const result = this.verify(token);
    this.perRequest.set(req, { token, result });
    return result;
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit) {
      if (now < hit.until) return hit.claims;
      this.verified.delete(token);
    }
    const { claims, exp } = await this.verifyFully(token);
    const expiresAt = exp !== undefined ? (exp + CLOCK_TOLERANCE_S) * 1000 : Infinity;
    if (this.verified.size >= CACHE_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { claims, until: Math.min(now + CACHE_MS, expiresAt) });
    return claims;
  }

  private async verifyFully(token: string): Promise<{ claims: VerifiedClaims; exp: number | undefined }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(), {
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
        clockTolerance: CLOCK_TOLERANCE_S,
        // Without exp a token never expires; without iat its lifetime cannot be known.
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (e) {
      throw new TokenError(`Invalid bearer token: ${(e as Error).message}`);
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter(isRole) : [];
    if (!payload.sub) throw new TokenError('Invalid bearer token: no subject (sub)');
    if (roles.length === 0) throw new TokenError('Invalid bearer token: no known roles');
    const ods = typeof payload.ods === 'string' ? payload.ods : null;
    const nhsNumber = typeof payload.nhs_number === 'string' ? payload.nhs_number : null;
    if (roles.some((r) => r !== 'patient') && !ods) throw new TokenError('Invalid bearer token: staff tokens need an ods claim');
    if (roles.includes('patient') && !nhsNumber) throw new TokenError('Invalid bearer token: patient tokens need an nhs_number claim');
    this.checkLifetime(payload.iat!, payload.exp!, roles);
    // Staff only: a patient's name stays in their record, not on every step they take.
    const name =
      !roles.includes('patient') && typeof payload.name === 'string' && payload.name.trim()
        ? payload.name
            .replace(/[\u0000-\u001f\u007f]/g, ' ')
            .trim()
            .slice(0, 200)
        : null;
    return { claims: { sub: payload.sub, roles, ods, nhsNumber, name }, exp: payload.exp };
  }

  /**
   * A stolen token is good until it expires: refuse one issued to last longer than its issuer's
   * sessions do (staff: AUTH_STAFF_TOKEN_MAX_SECONDS, patients: AUTH_PATIENT_TOKEN_MAX_SECONDS; a token
   * with both kinds of role gets the shorter), or issued in the future, which would stretch it as far.
   */
  private checkLifetime(iat: number, exp: number, roles: readonly Role[]): void {
    if (iat > Date.now() / 1000 + CLOCK_TOLERANCE_S) throw new TokenError('Invalid bearer token: issued in the future ("iat" claim)');
    const limits: Array<[string, number]> = [];
    if (roles.some((r) => r !== 'patient')) limits.push(['staff', this.config.auth.staffTokenMaxSeconds]);
    if (roles.includes('patient')) limits.push(['patient', this.config.auth.patientTokenMaxSeconds]);
    const [kind, max] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
    // The same tolerance as the clock checks: an issuer that stamps iat and exp a second apart (jose's
    // relative times each read the clock) must not make a 1 h token a 3,601 s one refused.
    if (exp - iat > max + CLOCK_TOLERANCE_S)
      throw new TokenError(
        `Invalid bearer token: it is valid for ${duration(exp - iat)} ("exp" - "iat"); ${kind} tokens may be valid for at most ${duration(max)}`,
      );
  }
}
