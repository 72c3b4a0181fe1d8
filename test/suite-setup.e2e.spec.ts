// The one way to set up a suite (test/support/stack.ts): useStack starts the stack and the cast for
// a describe's tests and closes them after; useEnv sets what the stack reads and puts it back;
// readyLater is what lets a suite name either before its beforeAll has run.
import { describe, expect, it } from '@jest/globals';
import { bearer, readyLater, token, useEnv, useStack } from './support/stack.js';

describe('readyLater', () => {
  class Counter {
    n = 0;
    own = Object.assign(() => 'own', { tag: 'kept' });
    bump() {
      return ++this.n;
    }
  }

  it('says where to use it when read before its value is made', () => {
    const later = readyLater<Counter>('the counter', () => undefined);
    expect(() => later.n).toThrow('the counter is made in a beforeAll: use it inside a test or a later hook');
  });

  it('reads, calls (a method with its own `this`) and writes the value once made', () => {
    const made: { counter?: Counter } = {};
    const later = readyLater('the counter', () => made.counter);
    made.counter = new Counter();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the point: a method read off the stand-in keeps its `this`
    const bump = later.bump;
    expect(bump()).toBe(1);
    later.n = 41;
    expect(later.bump()).toBe(42);
    expect(made.counter.n).toBe(42);
    expect(later.own.tag).toBe('kept');
    expect('bump' in later).toBe(true);
  });
});

describe('useEnv', () => {
  const before = { SUITE_SETUP_SET: process.env.SUITE_SETUP_SET, HOME: process.env.HOME };
  let setInside = false;

  describe('inside the describe that uses it', () => {
    useEnv({ SUITE_SETUP_SET: 'on', HOME: undefined });
    it('sets and unsets them for its tests', () => {
      expect(process.env.SUITE_SETUP_SET).toBe('on');
      expect(process.env.HOME).toBeUndefined();
      setInside = true;
    });
  });

  it('puts them back as they were afterwards', () => {
    expect(setInside).toBe(true); // the describe above has run, hooks and all
    expect({ SUITE_SETUP_SET: process.env.SUITE_SETUP_SET, HOME: process.env.HOME }).toEqual(before);
  });
});

describe('useStack', () => {
  useEnv({ RATE_LIMIT_PER_MINUTE: '7' });
  const { s, c } = useStack({ worker: false });

  it('has the stack started with the options and environment given, and the cast signed, inside a test', async () => {
    expect(s.worker).toBeNull();
    expect((await s.http.get('/health/live')).status).toBe(200);
    // A caller of its own: the cast's have been counted by other suites this minute.
    const me = await token({ role: 'booking_clerk', ods: 'RLQ', sub: `suite-setup-${Date.now()}` });
    const res = await s.http.get('/v1/referrals?limit=1').set(bearer(me));
    expect(res.status).toBe(200);
    expect(res.headers['ratelimit-limit']).toBe('7');
    const claims = JSON.parse(Buffer.from(c.clerkRLQ.split('.')[1], 'base64url').toString('utf8')) as { sub: string; ods: string };
    expect(claims).toMatchObject({ sub: 'clerk-rlq', ods: 'RLQ' });
  });
});
