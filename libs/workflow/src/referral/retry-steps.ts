// A trust admin re-drives the automated steps of a referral that failed for good (needsAttention).
import { Injectable } from '@nestjs/common';
import { PrismaService } from '#persistence';
import { actorOf, type Caller } from '#auth';
import type { JobName } from '#queue';
import { appendEvent, writeOutbox } from '../referral-transition.js';
import { ConcurrentChangeError, TransitionConflictError } from '../workflow-errors.js';
import { loadVisible } from './referral-step.js';

@Injectable()
export class RetrySteps {
  constructor(private readonly prisma: PrismaService) {}

  async retry(caller: Caller, id: string) {
    return this.prisma.sqlTransaction(async (tx) => {
      const ref = await loadVisible(tx, caller, id);
      if (!ref.needsAttention) {
        throw new TransitionConflictError('Nothing to retry: no automated step of this referral has failed', ref.status);
      }
      const { rows: failed } = await tx.query<{ id: string; queue: string; jobName: JobName; jobId: string; payload: unknown }>(
        `SELECT o.id::text AS id, o.queue, o.job_name AS "jobName", o.job_id AS "jobId", o.payload FROM outbox_message o
         WHERE o.referral_id = $1::uuid AND o.superseded_by IS NULL
           AND o.job_id IN (SELECT e.detail->>'jobId' FROM timeline_event e WHERE e.referral_id = $1::uuid AND e.type = 'needs_attention')
         ORDER BY o.id`,
        [id],
      );
      const updated = await tx.query('UPDATE referral SET needs_attention = false, version = version + 1, updated_at = now() WHERE id = $1::uuid AND version = $2', [id, ref.version]);
      if (updated.rowCount === 0) throw new ConcurrentChangeError(ref.status);
      const eventId = await appendEvent(tx, id, ref.status, 'retry_requested', actorOf(caller), { jobs: failed.map((f) => f.jobName) });
      for (const f of failed) {
        const jobId = `${f.jobId}.r${eventId}`;
        await writeOutbox(tx, id, [{ name: f.jobName, jobId, payload: f.payload as never }]);
        await tx.query('UPDATE outbox_message SET superseded_by = $2 WHERE id = $1::bigint', [f.id, jobId]);
      }
      return { retried: failed.length };
    });
  }
}
