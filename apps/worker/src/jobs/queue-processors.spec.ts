// The notifications queue's Worker options: Notify's rate limit as BullMQ's `limiter`, only with Notify.
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '#config';
import { notificationsWorkerOptions } from './queue-processors.js';

const env = { DATABASE_URL: 'postgres://unused', REDIS_URL: 'redis://unused' };
const notify = {
  NOTIFY_API_KEY: 'test-11111111-1111-4111-8111-111111111111-22222222-2222-4222-8222-222222222222',
  NOTIFY_TEMPLATES: '{}',
};

describe('notificationsWorkerOptions', () => {
  it("gives the Worker Notify's rate limit as its limiter, from the configuration", () => {
    const config = loadConfig({ ...env, ...notify, NOTIFY_RATE_LIMIT_MAX: '2', NOTIFY_RATE_LIMIT_DURATION_MS: '1000' });
    expect(notificationsWorkerOptions(config.notify, {})).toEqual({
      limiter: { max: 2, duration: 1000 },
      lockDuration: 30_000,
      stalledInterval: 30_000,
      maxStalledCount: 3,
    });
    // Notify's own limit by default: 3,000 a minute.
    expect(notificationsWorkerOptions(loadConfig({ ...env, ...notify }).notify, {}).limiter).toEqual({ max: 3000, duration: 60_000 });
  });

  it('sets no limiter for the local channel (no NOTIFY_API_KEY)', () => {
    const options = notificationsWorkerOptions(loadConfig({ ...env, NOTIFY_RATE_LIMIT_MAX: '2' }).notify, { JOB_LOCK_MS: '5000' });
    expect(options).toEqual({ lockDuration: 5000, stalledInterval: 5000, maxStalledCount: 3 });
    expect(options).not.toHaveProperty('limiter');
  });
});
