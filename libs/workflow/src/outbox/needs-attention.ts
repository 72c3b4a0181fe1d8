// "Needs attention": a referral whose automated step failed for good is flagged (with a timeline
// event naming the job), and a trust admin re-drives its failed steps (each as a new outbox row
// that supersedes the old one).
import { Injectable } from '@nestjs/common';
import type { ReferralStatus } from '#domain';
import { PrismaService } from '#persistence';
import { actorOf, SYSTEM_ACTOR, type Caller } from '#auth';
import { appendEvent } from '../referral-transition.js';
import { ConcurrentChangeError, TransitionConflictError } from '../workflow-errors.js';
import { loadVisible } from '../referral/referral-step.js';
import type { StepOutcome } from '../automated-steps.js';
import { failedSteps, markCompletedIn, supersede, writeOutbox } from './outbox.js';

@Injectable()
export class NeedsAttention {
  constructor(private readonly prisma: PrismaService) {}

  /** A job exhausted its retries: a person must see its referral on a worklist. Once per job id. */
  async flag(referralId: string, jobName: string, jobId: string, reason: string): Promise<StepOutcome> {
    return this.prisma.sqlTransaction(async (tx) => {
      const { rows } = await tx.query<{ status: ReferralStatus }>('SELECT status FROM referral WHERE id = $1::uuid FOR UPDATE', [referralId]);
      const ref = rows[0];
      if (!ref) return { outcome: 'skipped', reason: 'referral gone' };
      const seen = await tx.query(`SELECT 1 FROM timeline_event WHERE referral_id = $1::uuid AND type = 'needs_attention' AND detail->>'jobId' = $2 LIMIT 1`, [
        referralId,
        jobId,
      ]);
      if (seen.rowCount) return { outcome: 'skipped', reason: 'already flagged' };
      await tx.query('UPDATE referral SET needs_attention = true, version = version + 1, updated_at = now() WHERE id = $1::uuid', [referralId]);
      // Finished, though not well: a person retries it, the reconciler leaves it alone.
      await markCompletedIn(tx, jobId);
      await appendEvent(tx, referralId, ref.status, 'needs_attention', SYSTEM_ACTOR, { jobName, jobId, reason: reason.slice(0, 500) });
      return { outcome: 'done' };
    });
  }

  /** A trust admin runs again the steps that failed for good, and the flag clears. */
  async retry(caller: Caller, id: string): Promise<{ retried: number }> {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      if (!ref.needsAttention) {
        throw new TransitionConflictError('Nothing to retry: no automated step of this referral has failed', ref.status);
      }
      const failed = await failedSteps(tx, id);
      const updated = await tx.query(
        'UPDATE referral SET needs_attention = false, version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2',
        [id, ref.version],
      );
      if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
      const eventId = await appendEvent(tx, id, ref.status, 'retry_requested', actorOf(caller), { jobs: failed.map((f) => f.jobName) });
      for (const f of failed) {
        const jobId = `${f.jobId}.r${eventId}`;
        await writeOutbox(tx, id, [{ name: f.jobName, jobId, payload: f.payload as never }]);
        await supersede(tx, f.id, jobId);
      }
      return { retried: failed.length };
    });
  }
}
