// Redis memory per 1,000 jobs, measured: a fresh redis-server, BullMQ queues with the project's
// prefix, job options (lib/queue jobOptions) and payload shapes (ids only), then INFO memory
// before and after. Needs dist/ (npm run build). Used for docs/scaling.md.
//   node scripts/measure-redis-memory.mjs [jobs=10000]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { jobOptions, outboxJob, producerConnection, workerConnection } from '#queue';
import { startRedis } from './lib/local-services.mjs';

const N = Number(process.argv[2] ?? 10_000);
const prefix = '{crosstrust}';
const dir = mkdtempSync(path.join(os.tmpdir(), 'ct-redis-mem-'));
const redis = await startRedis(dir);
const url = `redis://127.0.0.1:${redis.port}`;
const admin = new Redis(url);
const used = async () => {
  const info = await admin.info('memory');
  const v = (k) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)[1]);
  return { used: v('used_memory'), rss: v('used_memory_rss') };
};
const kb = (b) => (b / 1024).toFixed(0);
const per1000 = (b) => `${(((b / N) * 1000) / 1024 / 1024).toFixed(2)} MiB`;

// The mix one referral journey enqueues: screen, make-offers, 2 dispatches, 6 notifications.
const mix = (i) => {
  const referralId = randomUUID();
  const k = i % 10;
  if (k === 0) return outboxJob('referral.screen', { referralId }, String(1_000_000 + i));
  if (k === 1) return outboxJob('referral.make-offers', { referralId }, String(1_000_000 + i));
  if (k === 2) return outboxJob('transfer.dispatch', { referralId }, String(1_000_000 + i));
  if (k === 3) return outboxJob('discharge.dispatch', { referralId }, String(1_000_000 + i));
  const notificationId = randomUUID();
  return outboxJob('notification.send', { referralId, notificationId }, notificationId);
};
const queueOf = {
  'referral.screen': 'workflow',
  'referral.make-offers': 'workflow',
  'transfer.dispatch': 'dispatch',
  'discharge.dispatch': 'dispatch',
  'notification.send': 'notifications',
};

const queues = Object.fromEntries(['workflow', 'dispatch', 'notifications'].map((n) => [n, new Queue(n, { connection: producerConnection(url), prefix })]));
try {
  await Promise.all(Object.values(queues).map((q) => q.waitUntilReady()));
  const before = await used();
  const jobs = Array.from({ length: N }, (_, i) => mix(i));
  // One add per job, as the outbox relay does (add, not addBulk: a repeat id is a no-op).
  for (let i = 0; i < jobs.length; i += 200) {
    await Promise.all(jobs.slice(i, i + 200).map((j) => queues[queueOf[j.name]].add(j.name, j.payload, jobOptions(j.name, j.jobId))));
  }
  const waiting = await used();
  const sample = await admin.memory('USAGE', `${prefix}:notifications:${jobs.find((j) => j.name === 'notification.send').jobId}`);
  // Run them all with a no-op processor: completed jobs are kept (removeOnComplete: 24 h, at most 50,000 per queue).
  let finished = 0;
  const workers = Object.keys(queues).map(
    (n) => new Worker(n, async () => ({ outcome: 'done' }), { connection: workerConnection(url), prefix, concurrency: 50 }),
  );
  workers.forEach((w) => w.on('completed', () => finished++));
  while (finished < N) await new Promise((r) => setTimeout(r, 100));
  await Promise.all(workers.map((w) => w.close()));
  const completed = await used();
  const counts = Object.fromEntries(await Promise.all(Object.entries(queues).map(async ([n, q]) => [n, await q.getJobCounts('waiting', 'completed')])));
  console.log(JSON.stringify({ jobs: N, redisVersion: (await admin.info('server')).match(/redis_version:(\S+)/)[1], counts }, null, 0));
  console.log(`baseline used_memory ${kb(before.used)} KiB`);
  console.log(
    `${N} waiting: used_memory +${kb(waiting.used - before.used)} KiB = ${per1000(waiting.used - before.used)} per 1,000 waiting jobs (rss +${kb(waiting.rss - before.rss)} KiB); MEMORY USAGE of one notification job hash: ${sample} B`,
  );
  console.log(
    `${N} completed (kept): used_memory +${kb(completed.used - before.used)} KiB = ${per1000(completed.used - before.used)} per 1,000 completed jobs kept (rss +${kb(completed.rss - before.rss)} KiB)`,
  );
} finally {
  await Promise.all(Object.values(queues).map((q) => q.close()));
  admin.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
