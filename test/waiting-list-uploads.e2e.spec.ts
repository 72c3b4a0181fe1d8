// What one waiting-list upload may cost, and what becomes of an import whose job dies: per-trust
// upload slots, deadlines for slow and silent uploads and for JSON bodies, limits on rows, row
// length and gzip expansion, batches bounded by bytes, staging dropped with the import, and an
// import marked failed when its worker keeps dying. Real API, worker, Postgres and Redis; the
// limits shortened through the configuration, as an operator would set them.
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { loadConfig } from '#config';
import { jobOptions, producerConnection, workerConnection } from '#queue';
import { stagingTable, WaitingListImporter } from '#workflow';
import { createWorkerApp } from '../apps/worker/src/bootstrap.js';
import { Reconciler } from '../apps/worker/src/loops/reconciler.js';
import { csvLine, WAITING_LIST_HEADER, waitingListRow, type WaitingListCsvRow } from './support/waiting-list.js';
import { rawRequest, type RawAnswer } from './support/raw-http.js';
import { bearer, useStack, waitUntil, type Stack } from './support/stack.js';

process.env.WAITING_LIST_IDLE_TIMEOUT_MS = '1000';
process.env.WAITING_LIST_UPLOAD_TIMEOUT_MS = '4000';
process.env.HTTP_REQUEST_TIMEOUT_MS = '1500';
process.env.WAITING_LIST_MAX_ROWS = '2000';
process.env.WAITING_LIST_BATCH_BYTES = String(64 * 1024);
// WAITING_LIST_UPLOADS_PER_TRUST (1), WAITING_LIST_MAX_ROW_CHARS (8192) and WAITING_LIST_MAX_GZIP_RATIO (100): their defaults.
const BASE_PREFIX = process.env.QUEUE_PREFIX!;

const HEADER = WAITING_LIST_HEADER;
const row = (over: Partial<WaitingListCsvRow> = {}) => csvLine(waitingListRow(over, 'UP'));
const csv = (lines: string[], header = HEADER) => [header, ...lines].join('\n') + '\n';

/** What the suites below do through the stack of the describe that uses them. */
function through(s: Stack) {
  const upload = (token: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    s.http.post('/v1/waiting-list/imports?mode=partial').set(bearer(token)).set('Content-Type', 'text/csv').set(headers).send(body);
  const finished = (token: string, id: string) =>
    waitUntil(async () => {
      const r = await s.http.get(`/v1/waiting-list/imports/${id}`).set(bearer(token));
      return r.body.status === 'completed' || r.body.status === 'failed' ? r.body : null;
    }, `import ${id} to finish`);
  const importCount = async () => (await s.prisma.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM waiting_list_import')).rows[0].n;
  /** Uploads streaming into Postgres now (a staging table is made in the upload's transaction, so it is not visible from here). */
  const copiesInProgress = async () =>
    (
      await s.prisma.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_progress_copy WHERE datname = current_database() AND command = 'COPY FROM'`,
      )
    ).rows[0].n;
  const stagingExists = async (importId: string) =>
    (await s.prisma.sql.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [stagingTable(importId)])).rows[0].t !== null;
  return { upload, finished, importCount, copiesInProgress, stagingExists };
}

/**
 * An upload sent a row at a time, as a slow client does: the header at once, then a row every
 * `everyMs`, until `endAfterMs` (then the body ends), `silentAfterMs` (then it sends nothing more
 * and keeps the connection open), or an answer arrives.
 */
function slowUpload(port: number, token: string, opts: { everyMs: number; endAfterMs?: number; silentAfterMs?: number }) {
  let timer: NodeJS.Timeout | undefined;
  let sending = true;
  let answered = false;
  const { req, answer } = rawRequest(port, 'POST', '/v1/waiting-list/imports?mode=partial', { ...bearer(token), 'Content-Type': 'text/csv' });
  const stop = () => {
    sending = false;
    clearTimeout(timer);
  };
  req.on('response', () => {
    answered = true;
    stop();
    if (!req.writableEnded) req.end();
  });
  const started = Date.now();
  const send = () => {
    if (!sending) return;
    const elapsed = Date.now() - started;
    if (opts.endAfterMs !== undefined && elapsed >= opts.endAfterMs) {
      stop();
      req.end();
      return;
    }
    if (opts.silentAfterMs !== undefined && elapsed >= opts.silentAfterMs) return stop();
    req.write(row() + '\n');
    timer = setTimeout(send, opts.everyMs);
  };
  req.write(HEADER + '\n');
  send();
  return {
    answer,
    /** Sends the rest of the file: the body ends. */
    finish() {
      stop();
      if (!req.writableEnded) req.end();
    },
    abort() {
      stop();
      if (!answered) req.destroy();
    },
  };
}

describe('waiting-list uploads', () => {
  const { s, c } = useStack();
  const { upload, finished, importCount, copiesInProgress } = through(s);
  let port: number;

  beforeAll(async () => {
    // Listening as in production, so the server's own timeouts (bootstrap.ts) are the ones in force.
    await s.api.listen(0, '127.0.0.1');
    port = (s.api.getHttpServer().address() as AddressInfo).port;
  });

  it("one trust's slow uploads do not hold up another trust's: the trust has its slots (WAITING_LIST_UPLOADS_PER_TRUST), the second of its own is 429", async () => {
    const first = slowUpload(port, c.clerkRLQ, { everyMs: 100 });
    let second: ReturnType<typeof slowUpload> | undefined;
    try {
      await waitUntil(async () => (await copiesInProgress()) >= 1, "RLQ's first upload to stream into Postgres");
      second = slowUpload(port, c.integrationRLQ, { everyMs: 100 });
      let secondAnswer: RawAnswer | null = null;
      void second.answer.then((a) => (secondAnswer = a));
      await waitUntil(async () => secondAnswer ?? (await copiesInProgress()) >= 2, "RLQ's second upload to be answered or to stream");

      // Another trust uploads while RLQ's are in flight.
      const other = await upload(c.clerkRJC, csv([row()]));
      expect({ status: other.status, body: other.body }).toMatchObject({ status: 202, body: { status: 'queued', originOds: 'RJC' } });
      expect(await second.answer).toEqual({
        status: 429,
        body: {
          statusCode: 429,
          error: 'Too Many Requests',
          message: 'Your trust already has a waiting-list upload in progress (WAITING_LIST_UPLOADS_PER_TRUST): try again when it has finished',
        },
      });

      // The first goes on to the end; then the trust may upload again.
      first.finish();
      const accepted = await first.answer;
      expect(accepted).toMatchObject({ status: 202, body: { status: 'queued', originOds: 'RLQ' } });
      expect(await finished(c.clerkRLQ, accepted.body.id)).toMatchObject({ status: 'completed', rejected: 0, accepted: accepted.body.rowsTotal });
      expect((await upload(c.integrationRLQ, csv([row()]))).status).toBe(202);
    } finally {
      first.abort();
      second?.abort();
    }
  });

  it('an upload that sends nothing for WAITING_LIST_IDLE_TIMEOUT_MS is ended with 408 saying so, and nothing of it is kept', async () => {
    const before = await importCount();
    const silent = slowUpload(port, c.clerkRLQ, { everyMs: 50, silentAfterMs: 300 });
    try {
      const answer = await silent.answer;
      const message = 'No data arrived for 1 s (WAITING_LIST_IDLE_TIMEOUT_MS), so the upload was ended and nothing of it was kept: send the file again';
      expect(answer).toEqual({ status: 408, body: { statusCode: 408, error: 'Request Timeout', message, details: [{ field: 'body', messages: [message] }] } });
      // Rolled back before the answer: no COPY left open, no import recorded; the trust's slot is free again.
      expect(await copiesInProgress()).toBe(0);
      expect(await importCount()).toBe(before);
      expect((await upload(c.clerkRLQ, csv([row()]))).status).toBe(202);
    } finally {
      silent.abort();
    }
  });

  it('a slow upload that keeps sending may outlast HTTP_REQUEST_TIMEOUT_MS (202); past WAITING_LIST_UPLOAD_TIMEOUT_MS it is ended with 408', async () => {
    const steady = slowUpload(port, c.clerkRLQ, { everyMs: 200, endAfterMs: 2_500 });
    const endless = slowUpload(port, c.clerkRJC, { everyMs: 200 });
    try {
      const before = await importCount();
      const [ok, cut] = await Promise.all([steady.answer, endless.answer]);
      expect(ok).toMatchObject({ status: 202, body: { status: 'queued', originOds: 'RLQ' } });
      expect(ok.body.rowsTotal).toBeGreaterThan(5);
      const message =
        'The upload took longer than the 4 s allowed (WAITING_LIST_UPLOAD_TIMEOUT_MS), so it was ended and nothing of it was kept: send the file again over a faster connection';
      expect(cut).toEqual({ status: 408, body: { statusCode: 408, error: 'Request Timeout', message, details: [{ field: 'body', messages: [message] }] } });
      expect(await importCount()).toBe(before + 1);
    } finally {
      steady.abort();
      endless.abort();
    }
  });

  it('a JSON body that does not arrive within HTTP_REQUEST_TIMEOUT_MS is 408', async () => {
    const { req, answer: answered } = rawRequest(port, 'POST', '/v1/referrals', {
      ...bearer(c.clerkRLQ),
      'Content-Type': 'application/json',
      'Content-Length': '400',
    });
    req.write('{"patient": {"nhsNumber": "'); // and nothing more
    const answer = await answered;
    const message = 'The request body did not arrive within 1.5 s (HTTP_REQUEST_TIMEOUT_MS): send the request again';
    expect(answer).toEqual({ status: 408, body: { statusCode: 408, error: 'Request Timeout', message, details: [{ field: 'body', messages: [message] }] } });
  });

  it('refuses with 413, keeping nothing: more rows than WAITING_LIST_MAX_ROWS, a row longer than WAITING_LIST_MAX_ROW_CHARS, gzip expanding more than WAITING_LIST_MAX_GZIP_RATIO times', async () => {
    const before = await importCount();
    const rows = (n: number) => Array.from({ length: n }, () => row());

    const tooMany = await upload(c.clerkRLQ, csv(rows(2001)));
    expect({ status: tooMany.status, body: tooMany.body }).toEqual({
      status: 413,
      body: {
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'The file has more than the 2000 rows allowed (WAITING_LIST_MAX_ROWS)',
        details: [{ field: 'body', messages: ['body must have at most 2000 rows'] }],
      },
    });

    const tooLong = await upload(c.clerkRLQ, csv([row(), row({ family_name: 'x'.repeat(9_000) })]));
    expect(tooLong.status).toBe(413);
    expect(tooLong.body.message).toBe(
      'The CSV has a row longer than the 8192 characters allowed (WAITING_LIST_MAX_ROW_CHARS) at line 3: a waiting-list row is a few hundred; is a quote left open?',
    );

    // 2.4 MB of rows that differ only in a long column, in a few kilobytes of gzip.
    const padding = 'x'.repeat(4_000);
    const bomb = gzipSync(
      csv(
        Array.from({ length: 600 }, () => `${row({ pathway_id: 'UP-SAME' })},${padding}`),
        `${HEADER},notes`,
      ),
    );
    const tooCompressed = await upload(c.clerkRLQ, bomb, { 'Content-Encoding': 'gzip' });
    expect(tooCompressed.status).toBe(413);
    expect(tooCompressed.body.message).toBe(
      'The gzip body expands to more than 100 times its size (WAITING_LIST_MAX_GZIP_RATIO), far more than a waiting list does: send the CSV as is, or check what was compressed',
    );
    expect(await importCount()).toBe(before);

    // Within every limit: the most rows allowed, and a gzip file of ordinary rows.
    const atLimit = await upload(c.clerkRLQ, csv(rows(2000)));
    expect({ status: atLimit.status, rowsTotal: atLimit.body.rowsTotal }).toEqual({ status: 202, rowsTotal: 2000 });
    const zipped = await upload(c.clerkRLQ, gzipSync(csv(rows(50))), { 'Content-Encoding': 'gzip' });
    expect({ status: zipped.status, rowsTotal: zipped.body.rowsTotal }).toEqual({ status: 202, rowsTotal: 50 });
    await finished(c.clerkRLQ, atLimit.body.id);
    await finished(c.clerkRLQ, zipped.body.id);
  });
});

describe('the import job', () => {
  const { s, c } = useStack({ worker: false });
  const { upload, stagingExists } = through(s);
  let workflow: Queue | undefined;

  afterAll(async () => {
    await workflow?.close();
    process.env.QUEUE_PREFIX = BASE_PREFIX;
  });

  /**
   * Queues of this test's own (the workers it starts read QUEUE_PREFIX when made): it takes jobs
   * by hand, so no other test's jobs may be there, nor a stalled check another worker ran lately.
   */
  async function ownQueue(name: string): Promise<Queue> {
    await workflow?.close();
    process.env.QUEUE_PREFIX = `${BASE_PREFIX}-${name}`;
    workflow = new Queue('workflow', { connection: producerConnection(process.env.REDIS_URL!), prefix: process.env.QUEUE_PREFIX });
    return workflow;
  }

  /** An upload of `lines`, staged, its job not yet enqueued (no worker, so no outbox relay, runs). */
  async function staged(lines: string[]) {
    const res = await upload(c.clerkRLT, csv(lines));
    expect(res.status).toBe(202);
    return res.body.id as string;
  }

  it('applies a batch of at most WAITING_LIST_BATCH_BYTES of rows (besides WAITING_LIST_BATCH_ROWS), from staging of its own, dropped when the import ends', async () => {
    // 100 rows of 2,000-character names (rejected by validation, but staged and read all the same).
    const id = await staged(Array.from({ length: 100 }, () => row({ family_name: 'N'.repeat(2_000) })));
    expect(await stagingExists(id)).toBe(true);
    const importer = new WaitingListImporter(s.prisma, loadConfig());
    expect(await importer.start(id)).toBe(1);
    const batches: number[] = [];
    for (let n; (n = await importer.applyBatch(id)) > 0;) batches.push(n);
    // 64 KB of values at most, one row more than fits: 32 rows of 2,000-odd bytes, not the 100 that 5,000 rows a batch would take.
    expect(batches).toEqual([32, 32, 32, 4]);
    await importer.run({ importId: id });
    const done = (await s.http.get(`/v1/waiting-list/imports/${id}`).set(bearer(c.clerkRLT))).body;
    expect(done).toMatchObject({ status: 'completed', rowsRead: 100, rejected: 100, accepted: 0 });
    expect(await stagingExists(id)).toBe(false);
  });

  it('an import whose job failed for good while no worker heard (it died first) is marked failed by the reconciler, its staging dropped', async () => {
    const workflow = await ownQueue('died-unheard');
    const id = await staged([row(), row(), row()]);
    const jobId = `waiting-list.import.${id}`;
    // What the outbox relay does, five minutes ago (past the reconciler's grace).
    await workflow.add('waiting-list.import', { importId: id }, jobOptions('waiting-list.import', jobId));
    await s.prisma.sql.query(`UPDATE outbox_message SET dispatched_at = now() - interval '5 minutes' WHERE job_id = $1`, [jobId]);
    // A worker takes the job, begins the import, and fails it for good; then dies before its failure handler runs.
    const dying = new Worker('workflow', null, { connection: workerConnection(process.env.REDIS_URL!), prefix: process.env.QUEUE_PREFIX, autorun: false });
    try {
      const token = randomUUID();
      const job = await dying.getNextJob(token, { block: false });
      expect(job?.id).toBe(jobId);
      await new WaitingListImporter(s.prisma, loadConfig()).start(id);
      await job.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), token);
    } finally {
      await dying.close(true);
    }
    const worker = await createWorkerApp({ logger: false });
    try {
      expect((await worker.get(Reconciler).reconcileOnce()).flagged).toBeGreaterThanOrEqual(1);
      const imp = (await s.http.get(`/v1/waiting-list/imports/${id}`).set(bearer(c.clerkRLT))).body;
      expect(imp).toMatchObject({
        status: 'failed',
        failureReason: expect.stringMatching(/^The import stopped: the worker applying it stopped before finishing/),
        finishedAt: expect.any(String),
      });
      expect(await stagingExists(id)).toBe(false);
      // Finished, though not well: later passes leave it alone.
      const outbox = await s.prisma.sql.query<{ completed: boolean }>('SELECT completed_at IS NOT NULL AS completed FROM outbox_message WHERE job_id = $1', [
        jobId,
      ]);
      expect(outbox.rows).toEqual([{ completed: true }]);
    } finally {
      await worker.close();
    }
  });

  it('an import whose worker keeps dying (killed, out of memory) is marked failed with the reason, its staged rows dropped, the rows applied kept', async () => {
    const workflow = await ownQueue('killed');
    const id = await staged([row(), row(), row(), row()]);
    const jobId = `waiting-list.import.${id}`;
    await workflow.add('waiting-list.import', { importId: id }, jobOptions('waiting-list.import', jobId));

    // A worker takes the job, applies a first batch of two rows, and is killed: its lock is never renewed.
    const killed = new Worker('workflow', null, {
      connection: workerConnection(process.env.REDIS_URL!),
      prefix: process.env.QUEUE_PREFIX,
      lockDuration: 1_000,
      autorun: false,
    });
    // BullMQ's stalled-job check, in a worker whose limit is no stall at all (maxStalledCount 0), so one death is past it:
    // once the lock lapses, the job goes back to wait, marked to fail in the next worker that takes it.
    const checker = new Worker('workflow', null, {
      connection: workerConnection(process.env.REDIS_URL!),
      prefix: process.env.QUEUE_PREFIX,
      maxStalledCount: 0,
      stalledInterval: 200,
      autorun: false,
    });
    try {
      const job = await killed.getNextJob(randomUUID(), { block: false });
      expect(job?.id).toBe(jobId);
      const importer = new WaitingListImporter(s.prisma, { ...loadConfig(), waitingList: { ...loadConfig().waitingList, batchRows: 2 } });
      await importer.start(id);
      expect(await importer.applyBatch(id)).toBe(2);
      await checker.startStalledCheckTimer();
      await waitUntil(async () => (await workflow.getJob(jobId))?.getState().then((st) => st === 'waiting'), 'the stalled check to put the job back');
    } finally {
      await checker.close();
      await killed.close(true);
    }
    expect((await s.http.get(`/v1/waiting-list/imports/${id}`).set(bearer(c.clerkRLT))).body.status).toBe('running');

    // The next worker takes it: BullMQ fails it for good, and the import says so.
    const worker = await createWorkerApp({ logger: false });
    try {
      const imp = await waitUntil(async () => {
        const r = (await s.http.get(`/v1/waiting-list/imports/${id}`).set(bearer(c.clerkRLT))).body;
        return r.status !== 'running' ? r : null;
      }, 'the import to leave running');
      expect(imp).toMatchObject({
        status: 'failed',
        failureReason:
          'The import stopped: the worker applying it stopped before finishing, more often than is allowed (killed, or out of memory). Rows applied so far are kept. Upload the file again.',
        rowsTotal: 4,
        rowsRead: 2,
        accepted: 2,
        finishedAt: expect.any(String),
      });
      expect(await stagingExists(id)).toBe(false);
      const applied = await s.prisma.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM waiting_list_entry WHERE last_import_id = $1::uuid', [id]);
      expect(applied.rows[0].n).toBe(2);
      // Finished, though not well: the reconciler does not send the job round again.
      const outbox = await s.prisma.sql.query<{ completed: boolean }>('SELECT completed_at IS NOT NULL AS completed FROM outbox_message WHERE job_id = $1', [
        jobId,
      ]);
      expect(outbox.rows).toEqual([{ completed: true }]);
    } finally {
      await worker.close();
    }
  });
});
