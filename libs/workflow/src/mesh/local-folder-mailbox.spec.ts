// The local folder mailbox's message ids: unique, oldest first, in MESH's form.
import { describe, expect, it } from '@jest/globals';
import { newMessageId } from './local-folder-mailbox.js';

describe('the local folder mailbox message ids', () => {
  it('are never the same twice, however many are made at once', () => {
    // 100,000 at once: ids of the time to the second and six random hex digits gave hundreds of pairs.
    const ids = Array.from({ length: 100_000 }, () => newMessageId());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('list oldest first, within a millisecond too', () => {
    const at = Date.UTC(2026, 11, 4, 16, 23, 12, 238) + 60_000; // later than any id made before in this file
    const ids = [newMessageId(at), newMessageId(at), newMessageId(at + 1), newMessageId(at), newMessageId(at + 2)];
    expect([...ids].sort()).toEqual(ids);
  });

  it('keep to MESH form: the time to the millisecond, a sequence, six hex digits', () => {
    const id = newMessageId(Date.UTC(2027, 0, 1, 0, 0, 0, 5));
    expect(id).toMatch(/^20270101000000005\d{3}_[0-9A-F]{6}$/);
  });

  it('borrow the next millisecond after a thousand in one', () => {
    const at = Date.UTC(2027, 0, 2, 0, 0, 0, 0);
    const ids = Array.from({ length: 1_001 }, () => newMessageId(at));
    expect(ids[999]).toMatch(/^20270102000000000999_/);
    expect(ids[1000]).toMatch(/^20270102000000001000_/);
  });
});
