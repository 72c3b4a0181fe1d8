// Questions before deciding (e-RS: "request for information"): the receiving clinician asks the
// referring trust a question while the transfer of care awaits their decision; the referral waits
// in a visible sub-state (an OPEN request, not a status of its own), the referring trust's clinical
// team gets a task (and so its worklist email), and the answer comes back on the timeline.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AWAITING_RECEIVER, TransitionConflictError } from '#domain';
import { isUniqueViolation, PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import { appendEvent, type Tx } from '../referral-transition.js';
import { requireSide } from '../referral-scope.js';
import { raiseTask } from '../tasks.js';
import { ConcurrentChangeError, DuplicateError, ReferralNotFoundError } from '../workflow-errors.js';
import type { LoadedReferral } from '../referral-load.js';
import { loadLocked } from './referral-step.js';

/** A request for information as stored. */
export interface InformationRequestRow {
  readonly id: string;
  readonly question: string;
  readonly status: 'OPEN' | 'ANSWERED' | 'CLOSED';
  readonly askedByName: string | null;
  readonly askedByOds: string;
  readonly askedAt: Date | string;
  readonly answer: string | null;
  readonly answeredByName: string | null;
  readonly answeredByRole: string | null;
  readonly answeredAt: Date | string | null;
}

/** A referral's requests for information, oldest first, as a JSON array on the referral aliased `r`. */
export function informationRequestsSql(): string {
  return `COALESCE((SELECT json_agg(json_build_object('id', q.id, 'question', q.question, 'status', q.status, 'askedByName', q.asked_by_name,
    'askedByOds', q.asked_by_ods, 'askedAt', q.asked_at, 'answer', q.answer, 'answeredByName', q.answered_by_name,
    'answeredByRole', q.answered_by_role, 'answeredAt', q.answered_at) ORDER BY q.asked_at, q.id)
    FROM information_request q WHERE q.referral_id = r.id), '[]')`;
}

export function informationRequestView(q: InformationRequestRow) {
  return {
    id: q.id,
    status: q.status,
    question: q.question,
    askedAt: new Date(q.askedAt).toISOString(),
    askedBy: { name: q.askedByName, ods: q.askedByOds },
    answer: q.answer,
    answeredAt: q.answeredAt ? new Date(q.answeredAt).toISOString() : null,
    answeredBy: q.answeredAt ? { name: q.answeredByName, role: q.answeredByRole } : null,
  };
}

/** The referral's version moves with each question and answer, so a decision made on what was read is checked against it. */
async function bumpVersion(tx: Tx, ref: LoadedReferral): Promise<void> {
  const updated = await tx.query('UPDATE referral SET version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2', [ref.id, ref.version]);
  if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
}

@Injectable()
export class InformationRequests {
  constructor(private readonly prisma: PrismaService) {}

  /** The receiving clinician asks; one question is open at a time (a second is refused with 409 until the first is answered). */
  async ask(caller: Caller, id: string, input: { question: string }): Promise<{ requestId: string }> {
    try {
      return await this.prisma.sqlTransaction(async (tx) => {
        const ref = await loadLocked(tx, caller, id);
        requireSide(caller, ref, 'referral.information-request', 'request information from the referrer');
        if (ref.status !== AWAITING_RECEIVER) {
          throw new TransitionConflictError(
            `A request for information can be made only while the transfer of care awaits your decision; the referral is now ${ref.status}`,
            ref.status,
            [AWAITING_RECEIVER],
          );
        }
        const requestId = randomUUID();
        await tx.query(
          `INSERT INTO information_request (id, referral_id, question, asked_by_sub, asked_by_name, asked_by_ods) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6)`,
          [requestId, id, input.question.trim(), caller.sub, caller.name ?? null, caller.ods],
        );
        await bumpVersion(tx, ref);
        await appendEvent(tx, id, ref.status, 'information_requested', actorOf(caller), { informationRequestId: requestId });
        // The referring trust's clinicians answer it (its booking team may too); the task puts it on
        // their worklist and in their team's worklist email. Ids only: the question is read with the referral.
        await raiseTask(tx, {
          trustOds: ref.originOds,
          team: 'clinical',
          kind: 'information_requested',
          referralId: id,
          key: `information_requested.${requestId}`,
          detail: { informationRequestId: requestId },
        });
        return { requestId };
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new DuplicateError('A request for information is already open on this referral: wait for its answer', { field: 'question' });
      throw e;
    }
  }

  /** The referring trust answers the open request; the sub-state clears and the task is done. */
  async answer(caller: Caller, id: string, requestId: string, input: { answer: string }): Promise<void> {
    await this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadLocked(tx, caller, id);
      requireSide(caller, ref, 'referral.information-answer', 'answer a request for information');
      const { rows } = await tx.query<{ status: string }>('SELECT status FROM information_request WHERE id = $1::uuid AND referral_id = $2::uuid FOR UPDATE', [
        requestId,
        id,
      ]);
      if (!rows[0]) throw new ReferralNotFoundError('Request for information');
      if (rows[0].status !== 'OPEN') throw new DuplicateError('This request for information has already been answered', { field: 'answer' });
      await tx.query(
        `UPDATE information_request SET status = 'ANSWERED', answer = $2, answered_by_sub = $3, answered_by_name = $4, answered_by_role = $5, answered_at = now()
         WHERE id = $1::uuid`,
        [requestId, input.answer.trim(), caller.sub, caller.name ?? null, caller.role],
      );
      await bumpVersion(tx, ref);
      await appendEvent(tx, id, ref.status, 'information_request_answered', actorOf(caller), { informationRequestId: requestId });
      await tx.query(`UPDATE task SET status = 'DONE', completed_at = now(), completed_by = $2 WHERE key = $1 AND status = 'OPEN'`, [
        `information_requested.${requestId}`,
        caller.sub,
      ]);
    });
  }
}

/**
 * Closes a referral's open request for information when the receiver decides (or the referral ends)
 * before it is answered: the sub-state clears and the referring team's task goes with it.
 */
export async function closeOpenInformationRequest(tx: Tx, referralId: string, by: string): Promise<void> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE information_request SET status = 'CLOSED' WHERE referral_id = $1::uuid AND status = 'OPEN' RETURNING id::text AS id`,
    [referralId],
  );
  for (const r of rows)
    await tx.query(`UPDATE task SET status = 'DONE', completed_at = now(), completed_by = $2 WHERE key = $1 AND status = 'OPEN'`, [
      `information_requested.${r.id}`,
      by,
    ]);
}
