// Waiting-list import, worker side: applies a staged upload in batches, each one transaction that
// reads the next rows of the import's staging table (after the last row applied), validates them,
// upserts the good ones by (trust, pathway id), records the bad ones with their row numbers, and
// moves the counters and the last row applied. A crash loses at most the batch in hand: running
// the job again resumes from the last row committed, without duplicates. The transaction that ends
// the import (completed or failed) drops its staging table.
import { Inject, Injectable } from '@nestjs/common';
import { isoDate, PATHWAY_ID, validateWaitingListRow, WAITING_LIST_COLUMNS, type WaitingListRow } from '#domain';
import { PrismaService, queryUnprepared, type SqlRunner } from '#persistence';
import { APP_CONFIG, type AppConfig } from '#config';
import { OnJob, OnJobFailedForGood, RETRY_IMPORT, type JobPayloads } from '#queue';
import type { StepOutcome } from '../automated-steps.js';
import { importJob, MAX_STORED_IMPORT_ERRORS } from './waiting-list-imports.js';
import { dropStagingTableSql, nextBatchSql } from './waiting-list-staging.js';

type StagedRow = { row_number: number; field_count: number } & Record<(typeof WAITING_LIST_COLUMNS)[number], string | null>;

interface ImportState {
  seq: string;
  origin_ods: string;
  mode: 'full' | 'partial';
  status: string;
  header_fields: number;
  accepted: number;
  errors_stored: number;
  applied_through_row: number;
  rows_total: number;
  rows_read: number;
}

const IMPORT_STATE = `SELECT seq::text AS seq, origin_ods, mode, status, header_fields, accepted, errors_stored, applied_through_row, rows_total, rows_read
  FROM waiting_list_import WHERE id = $1::uuid FOR UPDATE`;

/** BullMQ's words for a job whose worker died mid-run more often than allowed (maxStalledCount). */
const STALLED = /stalled more than allowable limit/;

@Injectable()
export class WaitingListImporter {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The job: every staged row, batch by batch, then the close of a full extract. Idempotent. */
  @OnJob('waiting-list.import')
  async run({ importId }: JobPayloads['waiting-list.import']): Promise<StepOutcome> {
    const attempts = await this.start(importId);
    if (attempts === null) return { outcome: 'skipped', reason: 'import gone or already finished' };
    try {
      while ((await this.applyBatch(importId)) > 0);
      await this.finish(importId);
      return { outcome: 'done' };
    } catch (e) {
      if (attempts < RETRY_IMPORT.attempts) throw e;
      // The last attempt: the import itself says it failed.
      await this.failedForGood(importId, e as Error, attempts);
      return { outcome: 'done', reason: 'import failed for good' };
    }
  }

  /** An attempt begins: the import is running. Null when it is gone or already finished; else the attempts so far, this one included. */
  async start(importId: string): Promise<number | null> {
    const { rows } = await this.prisma.sql.query<{ attempts: number }>(
      `UPDATE waiting_list_import SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, now())
       WHERE id = $1::uuid AND status IN ('queued', 'running') RETURNING attempts`,
      [importId],
    );
    return rows[0]?.attempts ?? null;
  }

  /** The job failed for good: no referral to flag, the import itself says so (see failedForGood). */
  @OnJobFailedForGood('waiting-list.import')
  async importFailedForGood({ importId }: JobPayloads['waiting-list.import'], _jobId: string, cause: Error): Promise<StepOutcome> {
    return this.failedForGood(importId, cause);
  }

  /**
   * The import's job failed for good (its retries used up, or its worker killed more often than
   * BullMQ allows, as running out of memory does): there is no referral to flag, so the import
   * says it failed, and why, in words for the trust; its staging table goes. The cause's message
   * is not kept: a driver's error can quote a value of the file.
   */
  async failedForGood(importId: string, cause: Error, attempts?: number): Promise<StepOutcome> {
    const why = STALLED.test(cause.message)
      ? 'the worker applying it stopped before finishing, more often than is allowed (killed, or out of memory)'
      : `it failed ${attempts ? `after ${attempts} attempts ` : ''}(${(cause as { code?: string }).code ?? cause.name})`;
    const failed = await this.fail(importId, `The import stopped: ${why}. Rows applied so far are kept. Upload the file again.`);
    return failed ? { outcome: 'done' } : { outcome: 'skipped', reason: 'import gone or already finished' };
  }

  /** One batch in one transaction; returns how many staged rows it took (0: none left). */
  async applyBatch(importId: string, today = new Date()): Promise<number> {
    return this.prisma.sqlTransaction(async (tx) => {
      // The import's row lock orders concurrent runs of one import: each batch starts where the last committed one ended.
      const { rows: found } = await tx.query<ImportState>(IMPORT_STATE, [importId]);
      const imp = found[0];
      if (!imp || imp.status !== 'running') return 0;
      const { rows } = await queryUnprepared<StagedRow>(tx, nextBatchSql(importId), [
        imp.applied_through_row,
        this.config.waitingList.batchRows,
        this.config.waitingList.batchBytes,
      ]);
      if (rows.length === 0) return 0;

      const good = new Map<string, { rowNumber: number; row: WaitingListRow }>();
      const problems: Array<{ row: number; field: string; reason: string }> = [];
      const rejectedRows = new Set<number>();
      const rejectedPathways = new Set<string>();
      const reject = (row: number, field: string, reason: string) => {
        problems.push({ row, field, reason });
        rejectedRows.add(row);
      };
      for (const r of rows) {
        if (r.field_count !== imp.header_fields) {
          reject(r.row_number, 'row', `the row has ${r.field_count} field${r.field_count === 1 ? '' : 's'}; the header has ${imp.header_fields}`);
          continue;
        }
        const out = validateWaitingListRow(r, today);
        if (!out.ok) {
          for (const p of out.problems) reject(r.row_number, p.field, p.reason);
          const pathway = (r.pathway_id ?? '').trim();
          if (PATHWAY_ID.test(pathway)) rejectedPathways.add(pathway);
          continue;
        }
        const first = good.get(out.row.pathwayId);
        if (first) {
          reject(r.row_number, 'pathway_id', `pathway_id appears more than once in this file (first at row ${first.rowNumber})`);
          continue;
        }
        good.set(out.row.pathwayId, { rowNumber: r.row_number, row: out.row });
      }

      let accepted = 0;
      if (good.size) {
        const applied = await upsertEntries(tx, importId, imp, [...good.values()]);
        const notApplied = [...good.keys()].filter((p) => !applied.has(p));
        accepted = good.size;
        if (notApplied.length) {
          // Not applied: listed earlier in this same file (a duplicate), or a newer import has it already.
          const { rows: seen } = await tx.query<{ pathway_id: string; last_import_id: string | null; last_import_row: number | null }>(
            'SELECT pathway_id, last_import_id::text, last_import_row FROM waiting_list_entry WHERE origin_ods = $1 AND pathway_id = ANY($2::text[])',
            [imp.origin_ods, notApplied],
          );
          for (const s of seen) {
            if (s.last_import_id !== importId) continue;
            reject(good.get(s.pathway_id)!.rowNumber, 'pathway_id', `pathway_id appears more than once in this file (first at row ${s.last_import_row})`);
            accepted--;
          }
        }
      }
      // A rejected row still says its pathway is on the list: a full extract must not close it.
      if (rejectedPathways.size) {
        await tx.query(
          'UPDATE waiting_list_entry SET last_seen_seq = $3::bigint WHERE origin_ods = $1 AND pathway_id = ANY($2::text[]) AND last_seen_seq < $3::bigint',
          [imp.origin_ods, [...rejectedPathways], imp.seq],
        );
      }
      const room = Math.max(0, MAX_STORED_IMPORT_ERRORS - imp.errors_stored);
      const kept = problems.sort((a, b) => a.row - b.row || a.field.localeCompare(b.field)).slice(0, room);
      if (kept.length) {
        await tx.query(
          `INSERT INTO waiting_list_import_error (import_id, row_number, field, reason)
           SELECT $1::uuid, * FROM unnest($2::int[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
          [importId, kept.map((p) => p.row), kept.map((p) => p.field), kept.map((p) => p.reason)],
        );
      }
      await tx.query(
        `UPDATE waiting_list_import SET rows_read = rows_read + $2, accepted = accepted + $3, rejected = rejected + $4, errors_stored = errors_stored + $5,
           applied_through_row = $6
         WHERE id = $1::uuid`,
        [importId, rows.length, accepted, rejectedRows.size, kept.length, rows[rows.length - 1].row_number],
      );
      return rows.length;
    });
  }

  /** Every row applied: a full extract closes the trust's open entries it did not list, and the import completes. */
  private async finish(importId: string): Promise<void> {
    await this.prisma.sqlTransaction(async (tx) => {
      const { rows } = await tx.query<ImportState>(IMPORT_STATE, [importId]);
      const imp = rows[0];
      if (!imp || imp.status !== 'running') return;
      // Every staged row read, or the close of a full extract would close entries it lists.
      if (imp.rows_read !== imp.rows_total) throw new Error(`${imp.rows_total - imp.rows_read} staged rows not yet read`);
      let closed = 0;
      // A full extract none of whose rows were good says nothing about the list: it closes nothing.
      if (imp.mode === 'full' && imp.accepted > 0) {
        const out = await tx.query(
          `UPDATE waiting_list_entry SET status = 'closed', closed_at = now(), updated_at = now()
           WHERE origin_ods = $1 AND status = 'open' AND last_seen_seq < $2::bigint`,
          [imp.origin_ods, imp.seq],
        );
        closed = out.rowCount ?? 0;
      }
      await tx.query(`UPDATE waiting_list_import SET status = 'completed', closed = $2, finished_at = now() WHERE id = $1::uuid`, [importId, closed]);
      await tx.query(dropStagingTableSql(importId));
    });
  }

  /** Ends the import as failed, with its reason, and drops its staging table; false when it had already ended. */
  private async fail(importId: string, reason: string): Promise<boolean> {
    return this.prisma.sqlTransaction(async (tx) => {
      const { rowCount } = await tx.query(
        `UPDATE waiting_list_import SET status = 'failed', failure_reason = $2, finished_at = now() WHERE id = $1::uuid AND status IN ('queued', 'running')`,
        [importId, reason],
      );
      // Finished, though not well: the reconciler leaves its job alone.
      await tx.query('UPDATE outbox_message SET completed_at = now() WHERE job_id = $1 AND completed_at IS NULL', [importJob(importId).jobId]);
      await tx.query(dropStagingTableSql(importId));
      return !!rowCount;
    });
  }
}

/**
 * Inserts or refreshes entries by (trust, pathway id); reopens a closed one the extract lists again.
 * An entry already written by this import (a duplicate row) or by a newer one is left alone: it is
 * not in the returned set.
 */
async function upsertEntries(tx: SqlRunner, importId: string, imp: ImportState, rows: Array<{ rowNumber: number; row: WaitingListRow }>): Promise<Set<string>> {
  const col = <T>(f: (r: WaitingListRow) => T) => rows.map((x) => f(x.row));
  const { rows: applied } = await tx.query<{ pathway_id: string }>(
    `INSERT INTO waiting_list_entry (origin_ods, pathway_id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods,
       specialty_code, procedure_code, rtt_clock_start, priority, next_appointment_date, status, last_import_id, last_import_row, last_seen_seq, updated_at)
     SELECT $1, t.pathway_id, t.nhs_number, t.family_name, t.given_name, t.date_of_birth, t.postcode, t.gp_practice_ods,
       t.specialty_code, t.procedure_code, t.rtt_clock_start, t.priority, t.next_appointment_date, 'open', $2::uuid, t.row_number, $3::bigint, now()
     FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::date[], $9::text[], $10::text[], $11::text[], $12::text[], $13::date[], $14::text[], $15::date[], $16::int[])
       AS t(pathway_id, nhs_number, family_name, given_name, date_of_birth, postcode, gp_practice_ods, specialty_code, procedure_code, rtt_clock_start, priority, next_appointment_date, row_number)
     ON CONFLICT (origin_ods, pathway_id) DO UPDATE SET
       nhs_number = EXCLUDED.nhs_number, family_name = EXCLUDED.family_name, given_name = EXCLUDED.given_name,
       date_of_birth = EXCLUDED.date_of_birth, postcode = EXCLUDED.postcode, gp_practice_ods = EXCLUDED.gp_practice_ods,
       specialty_code = EXCLUDED.specialty_code, procedure_code = EXCLUDED.procedure_code, rtt_clock_start = EXCLUDED.rtt_clock_start,
       priority = EXCLUDED.priority, next_appointment_date = EXCLUDED.next_appointment_date,
       status = 'open', closed_at = NULL, last_import_id = EXCLUDED.last_import_id, last_import_row = EXCLUDED.last_import_row,
       last_seen_seq = EXCLUDED.last_seen_seq, updated_at = now()
     WHERE waiting_list_entry.last_import_id IS DISTINCT FROM EXCLUDED.last_import_id AND waiting_list_entry.last_seen_seq <= EXCLUDED.last_seen_seq
     RETURNING pathway_id`,
    [
      imp.origin_ods,
      importId,
      imp.seq,
      col((r) => r.pathwayId),
      col((r) => r.nhsNumber),
      col((r) => r.familyName),
      col((r) => r.givenName),
      col((r) => isoDate(r.dateOfBirth)),
      col((r) => r.postcode),
      col((r) => r.gpPracticeOds),
      col((r) => r.specialtyCode),
      col((r) => r.procedureCode),
      col((r) => isoDate(r.rttClockStart)),
      col((r) => r.priority),
      col((r) => (r.nextAppointmentDate ? isoDate(r.nextAppointmentDate) : null)),
      rows.map((x) => x.rowNumber),
    ],
  );
  return new Set(applied.map((a) => a.pathway_id));
}
