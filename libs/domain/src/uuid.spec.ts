import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isUuid } from './uuid.js';

describe('isUuid', () => {
  it('accepts every UUID node makes, in either case', () => {
    fc.assert(
      fc.property(
        fc.constant(null).map(() => randomUUID()),
        fc.boolean(),
        (id, upper) => isUuid(upper ? id.toUpperCase() : id),
      ),
    );
  });

  it('refuses what a path or cursor might carry instead', () => {
    for (const bad of [
      '',
      'not-a-uuid',
      '00000000-0000-4000-8000-00000000000',
      '00000000-0000-4000-8000-0000000000000',
      '00000000-0000-4000-8000-00000000000g',
      ' 00000000-0000-4000-8000-000000000000',
      "00000000-0000-4000-8000-000000000000' OR 1=1",
      42,
      null,
      undefined,
    ]) {
      expect(isUuid(bad)).toBe(false);
    }
  });
});
