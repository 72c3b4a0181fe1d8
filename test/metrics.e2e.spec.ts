// What operators see: Prometheus /metrics on the API (METRICS_TOKEN) and on the worker's own
// metrics server, with labels only (route templates, statuses, queue and job names), and the
// read-only queue dashboard at /admin/queues for trust admins.
import { beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { bearer, drained, driveTo, token, useStack, waitUntil } from './support/stack.js';
import { WorkerMetricsServer } from '../apps/worker/src/metrics/metrics-server.js';

/** When this file began: audit rows written before it belong to other suites. */
const FILE_STARTED = new Date();

// Read by each app's config when the stack starts (jest gives this file its own process.env).
const METRICS_TOKEN = 'metrics-e2e-token-0123456789';
process.env.METRICS_TOKEN = METRICS_TOKEN;
process.env.METRICS_PORT = '0'; // the worker's metrics server on any free port
process.env.METRICS_HOST = '127.0.0.1';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** One sample's value, or null when the series is absent. Labels are matched as written, in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return null;
}

/** A GET to the worker's metrics server on a fresh connection (no keep-alive socket left behind). */
function workerGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
  });
}

const { s, c } = useStack();
let driven: { id: string; nhs: string; body: { patient: Record<string, unknown> } };

beforeAll(async () => {
  driven = await driveTo(s, c, 'DISCHARGED');
  await drained(s);
  // A request no route matches, with a referral-like id in its path.
  await s.http.get(`/v1/no-such-route/${driven.id}`).set(bearer(c.clinRLQ)).expect(404);
}, 120_000);

const scrapeApi = async () => {
  const res = await s.http.get('/metrics').set(bearer(METRICS_TOKEN));
  expect(res.status).toBe(200);
  return res.text;
};

/** Nothing in a scrape may identify a referral or a patient. */
function expectNoPatientData(text: string) {
  expect(text).not.toMatch(UUID);
  expect(text).not.toContain(driven.nhs);
  for (const v of ['familyName', 'givenName', 'postcode', 'email', 'phone', 'address']) expect(text).not.toContain(String(driven.body.patient[v]));
}

describe('GET /metrics on the API', () => {
  it('needs the metrics token', async () => {
    const none = await s.http.get('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await s.http.get('/metrics').set(bearer('not-the-metrics-token-at-all'))).status).toBe(401);
    // A user's JWT is not the metrics token, not even a trust admin's.
    expect((await s.http.get('/metrics').set(bearer(c.adminRLQ))).status).toBe(401);
  });

  it('times HTTP requests by method, route template and status, never the raw URL', async () => {
    expect((await s.http.get('/admin/queues/api/queues')).status).toBe(401);
    const consoleQueues = (await s.http.get('/console/queues/api/queues')).status;
    const text = await scrapeApi();
    const count = (method: string, route: string, status: string) =>
      sample(text, 'crosstrust_http_request_duration_seconds_count', { app: 'api', method, route, status });
    expect(count('POST', '/v1/referrals', '201')).toBeGreaterThanOrEqual(1);
    expect(count('GET', '/v1/referrals/:id', '200')).toBeGreaterThanOrEqual(1);
    expect(count('POST', '/v1/referrals/:id/discharge', '200')).toBeGreaterThanOrEqual(1);
    expect(count('GET', 'unmatched', '404')).toBeGreaterThanOrEqual(1);
    // The two queue dashboards' own routes (bull-board's, under a prefix) are labelled with the prefix, not "unmatched".
    expect(count('GET', '/admin/queues', '401')).toBeGreaterThanOrEqual(1);
    expect(count('GET', '/console/queues', String(consoleQueues))).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('splat');
    expect(
      sample(text, 'crosstrust_http_request_duration_seconds_bucket', { route: '/v1/referrals/:id', method: 'GET', status: '200', le: '+Inf' }),
    ).toBeGreaterThanOrEqual(1);
    expectNoPatientData(text);
  });

  it('counts referrals by status, every status present', async () => {
    const text = await scrapeApi();
    const discharged = await s.prisma.referral.count({ where: { status: 'DISCHARGED' } });
    expect(discharged).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'crosstrust_referrals', { status: 'DISCHARGED' })).toBe(discharged);
    expect(sample(text, 'crosstrust_referrals', { status: 'IDENTIFIED' })).toBe(await s.prisma.referral.count({ where: { status: 'IDENTIFIED' } }));
    expect(sample(text, 'crosstrust_referrals', { status: 'WITHDRAWN' })).not.toBeNull();
    expect(sample(text, 'crosstrust_metrics_collector_up', { collector: 'referrals' })).toBe(1);
  });

  it('shows outbox lag and queue depth', async () => {
    // A scrape leaves out a collector that took longer than its 2 s (a crowded machine): wait for one with every collector up.
    const text = await waitUntil(
      async () => {
        const t = await scrapeApi();
        return sample(t, 'crosstrust_metrics_collector_up', { collector: 'queues' }) === 1 &&
          sample(t, 'crosstrust_metrics_collector_up', { collector: 'outbox' }) === 1
          ? t
          : '';
      },
      'a scrape with the queue and outbox collectors up',
      20,
    );
    // Drained: nothing waits in the outbox or in any queue.
    expect(sample(text, 'crosstrust_outbox_undispatched_messages')).toBe(0);
    expect(sample(text, 'crosstrust_outbox_oldest_undispatched_age_seconds')).toBe(0);
    for (const queue of ['workflow', 'dispatch', 'notifications']) {
      expect(sample(text, 'crosstrust_queue_jobs', { queue, state: 'waiting' })).toBe(0);
      expect(sample(text, 'crosstrust_queue_oldest_waiting_age_seconds', { queue })).toBe(0);
    }
    // The referral's screening, offers, transfer and discharge steps and its notifications ran.
    expect(sample(text, 'crosstrust_queue_jobs', { queue: 'workflow', state: 'completed' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'crosstrust_queue_jobs', { queue: 'dispatch', state: 'completed' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'crosstrust_queue_jobs', { queue: 'notifications', state: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'crosstrust_metrics_collector_up', { collector: 'outbox' })).toBe(1);
    expect(sample(text, 'crosstrust_metrics_collector_up', { collector: 'queues' })).toBe(1);
  });

  it('shows an undispatched outbox row and how old it is', async () => {
    // A row the relay cannot take yet (claimed by "another relay" for a minute), 30 s old.
    const jobId = `metrics-probe.${Date.now()}`;
    await s.prisma.$executeRaw`INSERT INTO outbox_message (queue, job_name, job_id, payload, created_at, claimed_until)
      VALUES ('workflow', 'referral.screen', ${jobId}, '{}'::jsonb, now() - interval '30 seconds', now() + interval '60 seconds')`;
    try {
      // Scrape-time figures are shared for up to a second: wait for a fresh one.
      const text: string = await waitUntil(
        async () => {
          const t = await scrapeApi();
          return sample(t, 'crosstrust_outbox_undispatched_messages') === 1 ? t : '';
        },
        'the outbox row to show',
        5,
      );
      expect(sample(text, 'crosstrust_outbox_oldest_undispatched_age_seconds')).toBeGreaterThanOrEqual(30);
    } finally {
      await s.prisma.$executeRaw`DELETE FROM outbox_message WHERE job_id = ${jobId}`;
    }
  });

  it('shows how long the oldest job has waited in a queue', async () => {
    // Paused, the queue keeps what is added waiting; the first added (30 s old) is the oldest, not the last (5 s).
    const q = s.queues.find((x) => x.name === 'notifications')!;
    await q.pause();
    const added = [];
    try {
      added.push(
        await q.add(
          'notification.send',
          { referralId: 'probe', notificationId: 'probe-1' },
          { jobId: `probe-1-${Date.now()}`, timestamp: Date.now() - 30_000 },
        ),
      );
      added.push(
        await q.add('notification.send', { referralId: 'probe', notificationId: 'probe-2' }, { jobId: `probe-2-${Date.now()}`, timestamp: Date.now() - 5_000 }),
      );
      const text: string = await waitUntil(
        async () => {
          const t = await scrapeApi();
          return sample(t, 'crosstrust_queue_jobs', { queue: 'notifications', state: 'waiting' }) === 2 ? t : '';
        },
        'two waiting jobs to show',
        20,
      );
      const age = sample(text, 'crosstrust_queue_oldest_waiting_age_seconds', { queue: 'notifications' })!;
      expect(age).toBeGreaterThanOrEqual(30);
      expect(age).toBeLessThan(60);
      expect(sample(text, 'crosstrust_queue_oldest_waiting_age_seconds', { queue: 'workflow' })).toBe(0);
    } finally {
      for (const j of added) await j.remove();
      await q.resume();
    }
  });
});

describe("the worker's metrics server", () => {
  const port = () => {
    const p = s.worker!.get(WorkerMetricsServer).port;
    if (p === null) throw new Error('the worker metrics server is not listening');
    return p;
  };

  it('serves health to anyone and metrics with the token only', async () => {
    expect(await workerGet(port(), '/health/live')).toMatchObject({ status: 200 });
    expect((await workerGet(port(), '/metrics')).status).toBe(401);
    expect((await workerGet(port(), '/metrics', bearer('not-the-metrics-token-at-all'))).status).toBe(401);
    expect((await workerGet(port(), '/nope')).status).toBe(404);
  });

  it('counts jobs by queue, name and outcome, with durations', async () => {
    const res = await workerGet(port(), '/metrics', bearer(METRICS_TOKEN));
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain/);
    const jobs = (queue: string, name: string, outcome: string) => sample(res.body, 'crosstrust_worker_jobs_total', { app: 'worker', queue, name, outcome });
    expect(jobs('workflow', 'referral.screen', 'completed')).toBeGreaterThanOrEqual(1);
    expect(jobs('workflow', 'referral.make-offers', 'completed')).toBeGreaterThanOrEqual(1);
    expect(jobs('dispatch', 'transfer.dispatch', 'completed')).toBeGreaterThanOrEqual(1);
    expect(jobs('dispatch', 'discharge.dispatch', 'completed')).toBeGreaterThanOrEqual(1);
    expect(jobs('notifications', 'notification.send', 'completed')).toBeGreaterThanOrEqual(1);
    const n = sample(res.body, 'crosstrust_worker_job_duration_seconds_count', { queue: 'workflow', name: 'referral.screen', outcome: 'completed' });
    expect(n).toBe(jobs('workflow', 'referral.screen', 'completed'));
    expect(
      sample(res.body, 'crosstrust_worker_job_duration_seconds_sum', { queue: 'workflow', name: 'referral.screen', outcome: 'completed' }),
    ).toBeGreaterThan(0);
    // The process's own figures come along (RSS for the soak).
    expect(sample(res.body, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expectNoPatientData(res.body);
  });
});

describe('the queue dashboard at /admin/queues', () => {
  it('needs a bearer token', async () => {
    const res = await s.http.get('/admin/queues');
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/bearer token is required/);
    expect((await s.http.get('/admin/queues/api/queues')).status).toBe(401);
    expect((await s.http.get('/admin/queues').set(bearer('forged.token.value'))).status).toBe(401);
  });

  it('is refused to every role but trust_admin', async () => {
    const patient = await token({ role: 'patient', nhsNumber: driven.nhs });
    for (const t of [c.clinRLQ, c.clerkRLQ, c.integrationRLQ, patient]) {
      const res = await s.http.get('/admin/queues').set(bearer(t));
      expect({ status: res.status, message: res.body.message }).toMatchObject({
        status: 403,
        message: expect.stringMatching(/may not do this: it needs trust_admin/),
      });
      expect((await s.http.get('/admin/queues/api/queues').set(bearer(t))).status).toBe(403);
    }
  });

  it('opens for a trust admin, read-only', async () => {
    const page = await s.http.get('/admin/queues').set(bearer(c.adminRLQ));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const api = await s.http.get('/admin/queues/api/queues').set(bearer(c.adminRJC));
    expect(api.status).toBe(200);
    const queues = api.body.queues as Array<{ name: string; readOnlyMode: boolean }>;
    expect(queues.map((q) => q.name).sort()).toEqual(['dispatch', 'notifications', 'workflow']);
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
    // Nothing can be changed: our guard refuses it, whatever bull-board would do.
    const pause = await s.http.put('/admin/queues/api/queues/workflow/pause').set(bearer(c.adminRLQ));
    expect(pause.status).toBe(405);
    const retry = await s.http.put('/admin/queues/api/queues/workflow/retry/failed').set(bearer(c.adminRLQ));
    expect(retry.status).toBe(405);
    expect(await s.queues.find((q) => q.name === 'workflow')!.isPaused()).toBe(false);
  });

  it('leaves openings and refusals in the audit trail', async () => {
    // Only this file's requests: other suites in the same database open the dashboard too.
    const trail = await s.prisma.auditEvent.findMany({ where: { action: 'queues.admin', at: { gte: FILE_STARTED } } });
    const seen = new Set(trail.map((e) => `${e.actorSub} ${e.outcome}`));
    expect([...seen]).toEqual(expect.arrayContaining(['admin-rlq 200', 'clin-rlq 403', 'clerk-rlq 403', 'pas-rlq 403']));
    expect([...seen].filter((x) => x.endsWith(' 200'))).toEqual(['admin-rlq 200']);
    expect(seen.has('admin-rjc 200')).toBe(false); // polls of the dashboard's own API are not each recorded
  });

  it('is timed under its mount, not per URL', async () => {
    const text = await scrapeApi();
    expect(sample(text, 'crosstrust_http_request_duration_seconds_count', { method: 'GET', route: '/admin/queues', status: '200' })).toBeGreaterThanOrEqual(1);
    expectNoPatientData(text);
  });
});
