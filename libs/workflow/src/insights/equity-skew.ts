// The acceptance-skew rule (libs/domain acceptanceSkew) applied to the equity figures: the deprivation
// rows of IMD deciles 1-2 (the most deprived fifth) against 9-10 (the least deprived fifth).
import { acceptanceSkew, deprivationFifth, type SkewFinding } from '#domain';
import type { EquityRow } from './insight-queries.js';

export function deprivationSkew(all: readonly EquityRow[]): SkewFinding {
  const fifth = (n: number) =>
    all
      .filter((r) => r.dimension === 'deprivation' && r.group !== null && deprivationFifth(Number(r.group)) === n)
      .reduce((a, r) => ({ offered: a.offered + r.offered, accepted: a.accepted + r.accepted }), { offered: 0, accepted: 0 });
  return acceptanceSkew(fifth(1), fifth(5));
}
