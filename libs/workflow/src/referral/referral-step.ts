// What every person's step on a referral starts with: the referral as the caller may see it (404
// otherwise), read in the step's transaction; and the clinical note a step may leave.
import { randomUUID } from 'node:crypto';
import type { Caller } from '#auth';
import { loadReferral, type LoadedReferral } from '../referral-load.js';
import type { Tx } from '../referral-transition.js';
import { ReferralNotFoundError } from '../workflow-errors.js';

/** The referral `id` if the caller may see it; else 404 (the same answer whether or not it exists). */
export async function loadVisible(tx: Tx, caller: Caller, id: string): Promise<LoadedReferral> {
  const ref = await loadReferral(tx, id, caller);
  if (!ref) throw new ReferralNotFoundError();
  return ref;
}

/**
 * The same, its row locked until the transaction ends: for a change that moves the version without
 * a transition (the clinical package, a request for information), which then waits for an automated
 * step that is changing the referral (screening, say) instead of failing as a concurrent change.
 */
export async function loadLocked(tx: Tx, caller: Caller, id: string): Promise<LoadedReferral> {
  const ref = await loadReferral(tx, id, caller, { lock: true });
  if (!ref) throw new ReferralNotFoundError();
  return ref;
}

/** A clinical note (review note, discharge summary) with the step that wrote it; nothing when empty. */
export async function saveNote(tx: Tx, referralId: string, kind: string, text: string | undefined, authorSub: string): Promise<void> {
  if (text)
    await tx.query('INSERT INTO clinical_note (id, referral_id, kind, text, author_sub) VALUES ($1::uuid, $2::uuid, $3, $4, $5)', [
      randomUUID(),
      referralId,
      kind,
      text,
      authorSub,
    ]);
}
