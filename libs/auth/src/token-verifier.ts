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
}

@Injectable()
export class TokenVerifier {
  private keys: JWTVerifyGetKey | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private keySet(): JWTVerifyGetKey {
    if (this.keys) return this.keys;
    if (this.config.authMode === 'oidc') {
      this.keys = createRemoteJWKSet(new URL(this.config.authJwksUrl!));
    } else {
      let file: { publicJwk: Record<string, unknown> };
      try {
        file = JSON.parse(readFileSync(this.config.authDevKeyFile, 'utf8'));
      } catch {
        throw new Error(`The local development issuer key ${this.config.authDevKeyFile} is missing: run \`npm run token\` once, or \`npm start\`.`);
      }
      this.keys = createLocalJWKSet({ keys: [file.publicJwk as never] });
    }
    return this.keys;
  }

  /** Loads the keys now so a misconfiguration stops the app at boot, not at the first request. */
  warmUp(): void {
    this.keySet();
  }

  async verify(token: string): Promise<VerifiedClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(), {
        issuer: this.config.authIssuer,
        audience: this.config.authAudience,
        algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
        clockTolerance: 30,
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
    return { sub: payload.sub, roles, ods, nhsNumber };
  }
}
