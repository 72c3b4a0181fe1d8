// The fault suite: 300 referrals driven through every stage while a worker is killed, Redis
// is lost, Postgres goes away, every command is sent twice, and the API is overloaded.
// Each test has its own Postgres, Redis, API and worker processes.
import { afterAll, describe, expect, it } from '@jest/globals';
import autocannon from 'autocannon';
import { signDevToken } from '../../scripts/lib/dev-issuer.mjs';
import { Cluster } from './cluster.js';
import { Driver, expectExactlyOnce, timeToRecover, verify, type Verdict } from './journeys.js';

const REFERRALS = Number(process.env.FAULT_REFERRALS ?? 300);
const CONCURRENCY = Number(process.env.FAULT_CONCURRENCY ?? 50);
const rows: string[] = [];

afterAll(() => {
  const header =
    '| fault injected | referrals | not discharged | duplicated events | duplicated notifications | missing notifications | 5xx (not 503) | 503s | time to recover (s) | run (s) |';
  const table = [header, '|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
  process.stdout.write(`\nFault suite (${REFERRALS} referrals each):\n${table}\n\n`);
});

function record(fault: string, v: Verdict, driver: Driver, recover: number | null, started: number) {
  const s503 = driver.calls.filter((c) => c.status === 503).length;
  rows.push(
    `| ${fault} | ${v.referrals} | ${v.notDischarged} | ${v.duplicateEvents} | ${v.duplicateNotifications + v.duplicateSends} | ${v.missingNotifications} | ${v.bad5xx} | ${s503} | ${recover === null ? 'n/a' : recover.toFixed(1)} | ${((Date.now() - started) / 1000).toFixed(0)} |`,
  );
}

async function withCluster(name: string, fn: (c: Cluster) => Promise<void>, workers = 1) {
  const cluster = new Cluster(name);
  try {
    await cluster.start({ workers });
    await fn(cluster);
  } finally {
    await cluster.stop();
  }
}

describe('nothing lost, nothing twice', () => {
  it('a worker killed with SIGKILL mid-run, twice', async () => {
    await withCluster('worker-kill', async (cluster) => {
      const started = Date.now();
      const driver = new Driver(cluster);
      await driver.init();
      const kills: number[] = [];
      let lastKill = new Date();
      const { ids, errors } = await driver.run(REFERRALS, CONCURRENCY, 'wk', async (done) => {
        for (const at of [Math.floor(REFERRALS * 0.25), Math.floor(REFERRALS * 0.6)]) {
          if (done >= at && !kills.includes(at)) {
            kills.push(at);
            await cluster.killWorker('SIGKILL');
            lastKill = new Date();
            cluster.startWorker();
          }
        }
      });
      const recover = await timeToRecover(cluster, lastKill);
      const v = await verify(cluster, driver, ids, errors);
      record('worker SIGKILL x2, new worker started', v, driver, recover, started);
      expect(kills).toHaveLength(2);
      expectExactlyOnce(v, REFERRALS);
    });
  });

  it('Redis stopped, flushed and restarted mid-run', async () => {
    await withCluster('redis-flush', async (cluster) => {
      const started = Date.now();
      const driver = new Driver(cluster);
      await driver.init();
      let restored: Date | null = null;
      const { ids, errors } = await driver.run(REFERRALS, CONCURRENCY, 'rf', async (done) => {
        if (done >= Math.floor(REFERRALS * 0.4) && !restored) {
          restored = new Date(0);
          await cluster.stopRedis();
          await new Promise((r) => setTimeout(r, 2000));
          await cluster.startRedis();
          restored = new Date();
        }
      });
      const recover = await timeToRecover(cluster, restored ?? new Date());
      const v = await verify(cluster, driver, ids, errors);
      record('Redis stopped, flushed, restarted', v, driver, recover, started);
      expectExactlyOnce(v, REFERRALS);
    });
  });

  it('Postgres stopped for 10 s mid-run', async () => {
    await withCluster('pg-outage', async (cluster) => {
      const started = Date.now();
      const driver = new Driver(cluster);
      await driver.init();
      let restored: Date | null = null;
      const { ids, errors } = await driver.run(REFERRALS, CONCURRENCY, 'pg', async (done) => {
        if (done >= Math.floor(REFERRALS * 0.4) && !restored) {
          restored = new Date(0);
          await cluster.stopPostgres();
          await new Promise((r) => setTimeout(r, 10_000));
          await cluster.startPostgres();
          restored = new Date();
        }
      });
      const recover = await timeToRecover(cluster, restored ?? new Date());
      const v = await verify(cluster, driver, ids, errors);
      record('Postgres down 10 s', v, driver, recover, started);
      expect(driver.calls.some((c) => c.status === 503 || c.status === 0)).toBe(true);
      expectExactlyOnce(v, REFERRALS);
    });
  });

  it('every command sent twice, and 20 conflicting commands at one referral', async () => {
    await withCluster('twice', async (cluster) => {
      const started = Date.now();
      const driver = new Driver(cluster, { twice: true });
      await driver.init();
      const { ids, errors } = await driver.run(REFERRALS, CONCURRENCY, 'tw');
      const v = await verify(cluster, driver, ids, errors);

      // 20 clinicians at once on one referral: one wins.
      const single = new Driver(cluster);
      await single.init();
      const key = process.env.AUTH_DEV_KEY_FILE!;
      const clerk = await signDevToken(key, { roles: ['booking_clerk'], ods: 'RLQ' });
      const clin = await signDevToken(key, { roles: ['clinician'], ods: 'RLQ' });
      const open = await single.call('POST', '/v1/referrals', clerk, {
        patient: { nhsNumber: '9434765919', familyName: 'Race', givenName: 'Ria', dateOfBirth: '1950-02-02', postcode: 'HR1 2ER', gpPracticeOds: 'M81001' },
        specialtyCode: '110',
        procedureCode: 'W371',
        rttClockStart: new Date(Date.now() - 70 * 7 * 86_400_000).toISOString().slice(0, 10),
        pathwayId: 'RACE-1',
        priority: 'P4',
      });
      const id = open.json.id;
      for (let i = 0; i < 200; i++) {
        const r = await single.call('GET', `/v1/referrals/${id}`, clin);
        if (r.json.status === 'AWAITING_CLINICAL_REVIEW') break;
        await new Promise((res) => setTimeout(res, 100));
      }
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          single.call(
            'POST',
            `/v1/referrals/${id}/clinical-review`,
            clin,
            i % 2 ? { decision: 'suitable' } : { decision: 'not_suitable', reasonCode: 'FRAILTY' },
          ),
        ),
      );
      record('every command twice; 20 conflicting at once', v, driver, null, started);
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(19);
      expectExactlyOnce(v, REFERRALS);
    });
  });

  it('the API overloaded past what it can serve', async () => {
    await withCluster('overload', async (cluster) => {
      const started = Date.now();
      const driver = new Driver(cluster);
      await driver.init();
      const clin = await signDevToken(process.env.AUTH_DEV_KEY_FILE!, { roles: ['clinician'], ods: 'RLQ', sub: 'load' });
      const load = autocannon({
        url: `${cluster.base}/v1/referrals?limit=50`,
        connections: 200,
        duration: 15,
        headers: { authorization: `Bearer ${clin}` },
      });
      const [run, result] = await Promise.all([driver.run(REFERRALS, CONCURRENCY, 'ol'), load]);
      const v = await verify(cluster, driver, run.ids, run.errors);
      record(`API overloaded (autocannon 200 connections, ${Math.round(result.requests.average)} req/s served)`, v, driver, null, started);
      expect(result['5xx']).toBe(0);
      expect(result.non2xx).toBe(0);
      expectExactlyOnce(v, REFERRALS);
    });
  });
});
