// The limit of the queue alone: plain BullMQ (no Nest, no database), one producer and one
// worker in this process, a processor that does nothing. Jobs per second are measured from the
// first add to the last completion. Prints one JSON line. Run by bench/run.mjs.
import { Queue, Worker } from 'bullmq';

const jobs = Number(process.env.BENCH_BULLMQ_JOBS || 20_000);
const concurrency = Number(process.env.BENCH_BULLMQ_CONCURRENCY || 50);
const u = new URL(process.env.REDIS_URL);
const connection = { host: u.hostname, port: Number(u.port) };
const prefix = `{bench-baseline-${process.pid}}`;
const name = 'baseline';
/** As crosstrust keeps completed jobs (jobOptions in libs/queue), so does the baseline. */
const opts = { removeOnComplete: { age: 3600, count: 50_000 } };
const CHUNK = 500;

const queue = new Queue(name, { connection, prefix });
let done = 0;
let lastAt = 0;
let finished;
const allDone = new Promise((r) => (finished = r));
const worker = new Worker(name, async () => 'ok', { connection: { ...connection, maxRetriesPerRequest: null }, prefix, concurrency, autorun: false });
worker.on('completed', () => {
  done++;
  if (done === jobs) {
    lastAt = Date.now();
    finished();
  }
});
worker.on('failed', (_job, err) => {
  process.stderr.write(`baseline job failed: ${err.message}\n`);
});

try {
  await queue.waitUntilReady();
  await worker.waitUntilReady();
  void worker.run();
  const firstAt = Date.now();
  // Added in bulk chunks while the worker already consumes, as a relay feeding a queue would.
  for (let i = 0; i < jobs; i += CHUNK) {
    const n = Math.min(CHUNK, jobs - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts })));
  }
  const addedAt = Date.now();
  await allDone;
  const seconds = (lastAt - firstAt) / 1000;
  process.stdout.write(JSON.stringify({ jobs, concurrency, seconds, jobsPerSecond: jobs / seconds, addSeconds: (addedAt - firstAt) / 1000 }) + '\n');
} finally {
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
}
