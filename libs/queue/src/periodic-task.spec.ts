import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { PeriodicTask } from './periodic-task.js';

/** A pass whose runs are recorded and ended by hand. */
function passes() {
  const runs: Array<{ end: (v?: number) => void; fail: (e: Error) => void }> = [];
  const run = () =>
    new Promise<number>((resolve, reject) => {
      runs.push({ end: (v = runs.length) => resolve(v), fail: reject });
    });
  return { runs, run };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('PeriodicTask', () => {
  it('runs one pass at a time: the next is scheduled only when the last has ended', async () => {
    const p = passes();
    const task = new PeriodicTask({ run: p.run, intervalMs: 1_000, onError: () => {} });
    task.start();
    jest.advanceTimersByTime(999);
    await flush();
    expect(p.runs).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await flush();
    expect(p.runs).toHaveLength(1);
    // A long pass: no second one starts meanwhile.
    jest.advanceTimersByTime(10_000);
    await flush();
    expect(p.runs).toHaveLength(1);
    p.runs[0].end();
    await flush();
    jest.advanceTimersByTime(999);
    await flush();
    expect(p.runs).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await flush();
    expect(p.runs).toHaveLength(2);
    p.runs[1].end();
    await flush();
    await task.stop();
  });

  it('runNow joins a pass in progress', async () => {
    const p = passes();
    const task = new PeriodicTask({ run: p.run, intervalMs: 1_000, onError: () => {} });
    const a = task.runNow();
    const b = task.runNow();
    await flush();
    expect(p.runs).toHaveLength(1);
    p.runs[0].end(42);
    expect(await a).toBe(42);
    expect(await b).toBe(42);
    expect(task.runNow()).not.toBe(a);
    await flush();
    expect(p.runs).toHaveLength(2);
  });

  it('a failed pass is reported and the next pass still runs; nextInMs sets when', async () => {
    const p = passes();
    const errors: string[] = [];
    const seen: Array<number | null> = [];
    const task = new PeriodicTask({
      run: p.run,
      intervalMs: 1_000,
      onError: (e) => errors.push(e.message),
      nextInMs: (r) => {
        seen.push(r);
        return r === 7 ? 0 : 5_000;
      },
    });
    task.start(0);
    jest.advanceTimersByTime(0);
    await flush();
    p.runs[0].fail(new Error('database away'));
    await flush();
    expect(errors).toEqual(['database away']);
    expect(seen).toEqual([null]);
    jest.advanceTimersByTime(4_999);
    await flush();
    expect(p.runs).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await flush();
    expect(p.runs).toHaveLength(2);
    p.runs[1].end(7); // more to do: the next pass at once
    await flush();
    jest.advanceTimersByTime(0);
    await flush();
    expect(p.runs).toHaveLength(3);
    p.runs[2].end(1);
    await flush();
    await task.stop();
  });

  it('stop waits for the pass in progress and schedules nothing after it', async () => {
    const p = passes();
    const task = new PeriodicTask({ run: p.run, intervalMs: 1_000, onError: () => {} });
    task.start();
    jest.advanceTimersByTime(1_000);
    await flush();
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    expect(task.stopping).toBe(true);
    await flush();
    expect(stopped).toBe(false);
    p.runs[0].end();
    await stopping;
    expect(stopped).toBe(true);
    jest.advanceTimersByTime(60_000);
    await flush();
    expect(p.runs).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a pass that throws at once is reported like any failure, and a stopped task runs no pass', async () => {
    const errors: string[] = [];
    let runs = 0;
    const task = new PeriodicTask<number>({
      run: () => {
        runs++;
        throw new Error('thrown before any await');
      },
      intervalMs: 1_000,
      onError: (e) => errors.push(e.message),
    });
    expect(await task.runNow()).toBeNull();
    expect(errors).toEqual(['thrown before any await']);
    await task.stop();
    expect(await task.runNow()).toBeNull();
    expect(runs).toBe(1);
  });
});
