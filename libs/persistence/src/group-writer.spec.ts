import { describe, expect, it } from '@jest/globals';
import { GroupWriter } from './group-writer.js';

/** A write whose calls are recorded and finished by hand. */
function controlledWrite(fails: (items: string[]) => boolean = () => false, code = '23505') {
  const calls: Array<{ items: string[]; finish: () => void }> = [];
  const write = (items: string[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ items, finish: () => (fails(items) ? reject(Object.assign(new Error(`bad: ${items.join(',')}`), { code })) : resolve()) });
    });
  return { calls, write };
}

const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return state;
};

describe('GroupWriter', () => {
  it('writes an item at once when nothing is in flight, and resolves only when it is written', async () => {
    const w = controlledWrite();
    const g = new GroupWriter(w.write);
    const a = g.add('a');
    expect(w.calls.map((c) => c.items)).toEqual([['a']]);
    expect(await settled(a)).toBe('pending');
    w.calls[0].finish();
    expect(await settled(a)).toBe('resolved');
  });

  it('groups the items added while a write is in flight into the next write, at most maxGroup each', async () => {
    const w = controlledWrite();
    const g = new GroupWriter(w.write, 3);
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => g.add(x));
    expect(w.calls.map((c) => c.items)).toEqual([['a']]);
    w.calls[0].finish();
    await settled(all[0]);
    expect(w.calls.map((c) => c.items)).toEqual([['a'], ['b', 'c', 'd']]);
    expect(await settled(all[1])).toBe('pending');
    w.calls[1].finish();
    await settled(all[1]);
    expect(w.calls.map((c) => c.items)).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f']]);
    w.calls[2].finish();
    expect(await Promise.all(all.map(settled))).toEqual(Array(6).fill('resolved'));
    // Quiet again: the next item is written at once.
    void g.add('g');
    expect(w.calls.at(-1)!.items).toEqual(['g']);
  });

  it('when a group fails, writes each of its items alone, so only the bad one rejects', async () => {
    const w = controlledWrite((items) => items.includes('bad'));
    const g = new GroupWriter(w.write);
    const first = g.add('first');
    const rest = ['ok1', 'bad', 'ok2'].map((x) => g.add(x));
    w.calls[0].finish();
    await settled(first);
    expect(w.calls[1].items).toEqual(['ok1', 'bad', 'ok2']);
    w.calls[1].finish();
    await settled(rest[0]);
    expect(w.calls.slice(2).map((c) => c.items)).toEqual([['ok1'], ['bad'], ['ok2']]);
    for (const c of w.calls.slice(2)) c.finish();
    expect(await Promise.all(rest.map(settled))).toEqual(['resolved', 'rejected', 'resolved']);
    await expect(rest[1]).rejects.toThrow('bad: bad');
    expect(await settled(first)).toBe('resolved');
  });

  it('a group that fails for any other reason (the database away) fails as a whole, with no item retried', async () => {
    const w = controlledWrite(() => true, '57P01');
    const g = new GroupWriter(w.write);
    const first = g.add('first');
    const rest = ['a', 'b'].map((x) => g.add(x));
    w.calls[0].finish();
    await settled(first);
    w.calls[1].finish();
    expect(await Promise.all(rest.map(settled))).toEqual(['rejected', 'rejected']);
    expect(w.calls.map((c) => c.items)).toEqual([['first'], ['a', 'b']]);
    await expect(rest[0]).rejects.toThrow('bad: a,b');
  });

  it('idle() waits until every pending item has been written', async () => {
    const w = controlledWrite();
    const g = new GroupWriter(w.write);
    await g.idle(); // nothing pending: at once
    void g.add('a');
    void g.add('b');
    let idle = false;
    const waiting = g.idle().then(() => (idle = true));
    w.calls[0].finish();
    await settled(waiting);
    expect(idle).toBe(false);
    expect(w.calls.at(-1)!.items).toEqual(['b']);
    w.calls[1].finish();
    await waiting;
    expect(idle).toBe(true);
  });
});
