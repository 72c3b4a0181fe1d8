// The console's OpenID Connect client (openid-client): authorization code flow with PKCE against
// OIDC_ISSUER_URL (NHS CIS2 in production, the local provider under `npm start`), and the claims
// it maps to a person: name, roles and the ODS code of the organisation they act for.
import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { APP_CONFIG, type AppConfig } from '#config';
import { isRole, type Role } from '#auth';

export class SignInRefusedError extends Error {}

@Injectable()
export class IdentityProvider {
  private readonly logger = new Logger(IdentityProvider.name);
  private discovered: Promise<oidc.Configuration> | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get configured(): boolean {
    return this.config.console !== null;
  }

  /** The provider's metadata, fetched once (again after a failure, so a provider started late is found). */
  private configuration(): Promise<oidc.Configuration> {
    const c = this.config.console;
    if (!c) throw new SignInRefusedError('Sign-in is not configured (OIDC_ISSUER_URL)');
    this.discovered ??= oidc
      .discovery(
        new URL(c.issuerUrl),
        c.clientId,
        c.clientSecret,
        undefined,
        // Plain HTTP only to a development provider; config refuses an http: issuer in production.
        c.issuerUrl.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((e: unknown) => {
        this.discovered = null;
        this.logger.warn(`The identity provider could not be reached: ${e instanceof Error ? e.message : String(e)}`);
        throw new SignInRefusedError('The sign-in service cannot be reached just now');
      });
    return this.discovered;
  }

  redirectUri(): string {
    return `${this.config.http.publicBaseUrl}/console/auth/callback`;
  }

  async authorizationUrl(): Promise<{ url: string; state: string; nonce: string; verifier: string }> {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(),
      scope: 'openid profile crosstrust',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, verifier };
  }

  /** Exchanges the code for tokens and reads the person from the ID token. */
  async person(
    callbackUrl: URL,
    expected: { state: string; nonce: string; verifier: string },
  ): Promise<{ sub: string; name: string; roles: Role[]; ods: string }> {
    const config = await this.configuration();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: expected.verifier,
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (e) {
      this.logger.warn(`A sign-in was refused: ${e instanceof Error ? e.message : String(e)}`);
      throw new SignInRefusedError('The sign-in could not be completed');
    }
    const names = this.config.console!.claims;
    const raw = claims?.[names.roles];
    const roles = (Array.isArray(raw) ? raw : [raw]).filter(isRole).filter((r) => r !== 'patient' && r !== 'integration');
    const ods = claims?.[names.ods];
    const name = claims?.[names.name];
    if (!claims?.sub || roles.length === 0 || typeof ods !== 'string' || !/^[A-Z0-9]{3,6}$/.test(ods)) {
      throw new SignInRefusedError('Your account has no staff role at a trust of the group');
    }
    return { sub: claims.sub, name: typeof name === 'string' && name ? name : claims.sub, roles, ods };
  }

  /** Where to send the browser to end the provider's session too (null: the provider has no end-session endpoint). */
  async endSessionUrl(): Promise<string | null> {
    try {
      const config = await this.configuration();
      if (!config.serverMetadata().end_session_endpoint) return null;
      return oidc.buildEndSessionUrl(config, { post_logout_redirect_uri: `${this.config.http.publicBaseUrl}/console/signed-out` }).href;
    } catch {
      return null;
    }
  }

  /** The provider's origin, for the Content-Security-Policy's form-action (sign-out posts go there through a redirect). */
  issuerOrigin(): string | null {
    return this.config.console ? new URL(this.config.console.issuerUrl).origin : null;
  }
}
