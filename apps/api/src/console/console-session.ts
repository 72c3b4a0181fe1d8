// The console's session: an encrypted, HttpOnly cookie (JWE, dir + A256GCM, with jose) holding who
// signed in and their CSRF token, with an idle and an absolute timeout. No server-side store: the
// cookie is the session, so any api process serves any request; signing out clears it (and the
// identity provider's session, through RP-initiated logout).
import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EncryptJWT, jwtDecrypt } from 'jose';
import { APP_CONFIG, type AppConfig } from '#config';
import { isRole, type Role } from '#auth';

export interface ConsoleSession {
  readonly sub: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly ods: string;
  readonly trustName: string;
  /** Sent back in every form of the session (CSRF). */
  readonly csrf: string;
  /** Seconds since the epoch. */
  readonly signedInAt: number;
  readonly seenAt: number;
}

/** What the sign-in keeps between sending the person to the provider and their return (10 minutes). */
export interface SignInState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
}

export const SESSION_COOKIE = 'ct_console';
export const SIGN_IN_COOKIE = 'ct_console_signin';
const SIGN_IN_SECONDS = 600;
/** The cookie is re-written (seenAt moved on) at most this often, not on every request. */
const TOUCH_SECONDS = 60;

const now = () => Math.floor(Date.now() / 1000);

@Injectable()
export class ConsoleSessions {
  private readonly key: Uint8Array;
  private readonly idleSeconds: number;
  private readonly absoluteSeconds: number;
  /** Secure cookies outside plain-HTTP development. */
  readonly secure: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const c = config.console;
    this.key = createHash('sha256')
      .update(c?.sessionSecret ?? randomBytes(32))
      .digest();
    this.idleSeconds = (c?.idleMinutes ?? 30) * 60;
    this.absoluteSeconds = (c?.absoluteHours ?? 12) * 3600;
    this.secure = config.http.publicBaseUrl.startsWith('https:');
  }

  newSession(who: { sub: string; name: string; roles: readonly Role[]; ods: string; trustName: string }): ConsoleSession {
    const t = now();
    return { ...who, csrf: randomBytes(24).toString('base64url'), signedInAt: t, seenAt: t };
  }

  private readonly perRequest = new WeakMap<object, { value: string | undefined; result: ReturnType<ConsoleSessions['open']> }>();

  /**
   * A request's session cookie opened once per request: the per-address rate limit (which counts
   * requests without a session) and the console's guard both ask (as TokenVerifier.verifyFor).
   */
  openFor(req: object, cookieHeader: string | undefined): ReturnType<ConsoleSessions['open']> {
    const value = cookieValue(cookieHeader, SESSION_COOKIE);
    const seen = this.perRequest.get(req);
    if (seen && seen.value === value) return seen.result;
    const result = this.open(value);
    this.perRequest.set(req, { value, result });
    return result;
  }

  /** The session in a cookie value, or null when absent, unreadable, idle too long or too old. */
  async open(value: string | undefined): Promise<{ session: ConsoleSession; touch: boolean } | null> {
    const payload = await this.decrypt(value, 'session');
    if (!payload) return null;
    const s = payload as unknown as ConsoleSession;
    if (typeof s.sub !== 'string' || typeof s.ods !== 'string' || typeof s.csrf !== 'string' || !Array.isArray(s.roles)) return null;
    const t = now();
    if (t - s.signedInAt > this.absoluteSeconds || t - s.seenAt > this.idleSeconds) return null;
    const roles = s.roles.filter(isRole);
    return { session: { ...s, roles }, touch: t - s.seenAt >= TOUCH_SECONDS };
  }

  async sessionCookie(s: ConsoleSession, touch = false): Promise<string> {
    const session = touch ? { ...s, seenAt: now() } : s;
    const value = await this.encrypt({ ...session }, 'session', session.signedInAt + this.absoluteSeconds);
    // No Max-Age: the cookie goes when the browser closes; the timeouts live inside it.
    return this.cookie(SESSION_COOKIE, value);
  }

  async signInCookie(state: SignInState): Promise<string> {
    return this.cookie(SIGN_IN_COOKIE, await this.encrypt({ ...state }, 'sign-in', now() + SIGN_IN_SECONDS), SIGN_IN_SECONDS);
  }

  async openSignIn(value: string | undefined): Promise<SignInState | null> {
    const p = await this.decrypt(value, 'sign-in');
    if (!p || typeof p.state !== 'string' || typeof p.verifier !== 'string' || typeof p.nonce !== 'string' || typeof p.returnTo !== 'string') return null;
    return p as unknown as SignInState;
  }

  cleared(name: string): string {
    return this.cookie(name, '', 0);
  }

  private cookie(name: string, value: string, maxAge?: number): string {
    const parts = [`${name}=${value}`, 'Path=/console', 'HttpOnly', 'SameSite=Lax'];
    if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
    if (this.secure) parts.push('Secure');
    return parts.join('; ');
  }

  private encrypt(payload: Record<string, unknown>, purpose: string, exp: number): Promise<string> {
    return new EncryptJWT(payload).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: purpose }).setExpirationTime(exp).encrypt(this.key);
  }

  private async decrypt(value: string | undefined, purpose: string): Promise<Record<string, unknown> | null> {
    if (!value) return null;
    try {
      const { payload, protectedHeader } = await jwtDecrypt(value, this.key, { contentEncryptionAlgorithms: ['A256GCM'], keyManagementAlgorithms: ['dir'] });
      // A sign-in cookie is never a session, nor the other way round.
      return protectedHeader.cty === purpose ? payload : null;
    } catch {
      return null;
    }
  }
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Where to go after signing in: only a path of the console itself (no open redirect). */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string') return '/console';
  if (!/^\/console(?:[/?#]|$)/.test(value) || value.includes('\\') || /[\u0000-\u001f]/.test(value)) return '/console';
  // `/console/../..` is normalised by the browser: resolve it here and check again.
  const resolved = new URL(value, 'http://x').pathname;
  return /^\/console(?:\/|$)/.test(resolved) ? value : '/console';
}
