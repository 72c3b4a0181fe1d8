// Types of local-identity-provider.mjs, for the TypeScript that starts it (tests).
export interface DemoUser {
  readonly username: string;
  readonly name: string;
  readonly role: string;
  readonly ods: string;
}
export const DEMO_USERS: readonly DemoUser[];
export const DEMO_PASSWORD: string;
export interface LocalIdentityProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly port: number;
  close(): Promise<void>;
}
export function startLocalIdentityProvider(opts: {
  port?: number;
  host?: string;
  publicHost?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}): Promise<LocalIdentityProvider>;
