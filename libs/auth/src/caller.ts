// The authenticated caller of a request, as the token describes them.
import type { Role } from './roles.js';

export interface Caller {
  readonly sub: string;
  readonly roles: readonly Role[];
  /** The role this request acts in: the first of the route's roles the caller holds. */
  readonly role: Role;
  /** Trust ODS code, staff and integrations only. */
  readonly ods: string | null;
  /** Patients only. */
  readonly nhsNumber: string | null;
  /** The person's name from their token or console sign-in (CIS2's `name`), for the timeline; null when it had none. */
  readonly name?: string | null;
}

/** Who did something, as recorded on a referral's timeline. */
export interface Actor {
  readonly sub: string;
  readonly role: string;
  readonly ods: string | null;
  /** The person's name, as people read the timeline. */
  readonly name?: string | null;
}

export function actorOf(caller: Caller): Actor {
  return { sub: caller.sub, role: caller.role, ods: caller.ods, name: caller.name ?? null };
}

/** The system itself, for automated steps. */
export const SYSTEM_ACTOR: Actor = { sub: 'crosstrust-worker', role: 'system', ods: null };
