// Queue errors: logged with the message only, at most once a minute per queue.
import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { logQueueErrors } from './queue-errors.js';

describe('logQueueErrors', () => {
  it('warns with the queue and the message, then at most once per interval, counting what it held back', () => {
    const lines: Array<[Record<string, unknown>, string]> = [];
    const emitter = new EventEmitter();
    let t = 0;
    logQueueErrors(emitter, 'notifications', { warn: (o, m) => lines.push([o, m]) }, 60_000, () => t);
    emitter.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    t = 1_000;
    emitter.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    emitter.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    t = 61_000;
    emitter.emit('error', new Error("READONLY You can't write against a read only replica."));
    expect(lines).toEqual([
      [{ queue: 'notifications', error: 'connect ECONNREFUSED 127.0.0.1:6379' }, 'queue error'],
      [{ queue: 'notifications', error: "READONLY You can't write against a read only replica.", alsoSince: 2 }, 'queue error'],
    ]);
  });

  it('keeps a long message short', () => {
    const lines: Array<Record<string, unknown>> = [];
    const emitter = new EventEmitter();
    logQueueErrors(emitter, 'workflow', { warn: (o) => lines.push(o) });
    emitter.emit('error', new Error('x'.repeat(1000)));
    expect(String(lines[0].error)).toHaveLength(200);
  });
});
