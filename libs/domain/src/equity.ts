// The rules of the equity and planning figures (docs/insights.md): the bands people are counted in,
// the disclosure rule that keeps small counts from being published, and the acceptance-skew flag.

/** Counts below this are not shown (NHS statistical disclosure practice): "fewer than 5". */
export const DISCLOSURE_THRESHOLD = 5;
export const SUPPRESSED_TEXT = 'fewer than 5';

/** A count as published: the number, or null with the words when it is too small to show. */
export interface PublishedCount {
  readonly value: number | null;
  readonly text: string;
}

const shown = (n: number): PublishedCount => ({ value: n, text: n.toLocaleString('en-GB') });
const hidden: PublishedCount = { value: null, text: SUPPRESSED_TEXT };

/** Primary suppression only: 1 to 4 hidden; 0 shown (an empty group is the figure planners need). */
export function publish(n: number): PublishedCount {
  return n > 0 && n < DISCLOSURE_THRESHOLD ? hidden : shown(n);
}

/**
 * A column of counts that add up to a total shown beside them. Hiding one cell alone is no use: the
 * total minus the others gives it back. So when exactly one non-zero cell is hidden, the smallest
 * other non-zero cell is hidden too (secondary suppression).
 */
export function publishColumn(counts: readonly number[]): PublishedCount[] {
  const out = counts.map(publish);
  const hiddenAt = out.flatMap((c, i) => (c.value === null ? [i] : []));
  if (hiddenAt.length === 1) {
    let next = -1;
    counts.forEach((n, i) => {
      if (i !== hiddenAt[0] && n > 0 && (next < 0 || n < counts[next])) next = i;
    });
    if (next >= 0) out[next] = hidden;
  }
  return out;
}

/** A rate published only when both its counts are: a rate over a shown denominator would give a hidden numerator back. */
export function publishRate(numerator: PublishedCount, denominator: PublishedCount, rawNumerator: number, rawDenominator: number): string {
  if (numerator.value === null || denominator.value === null || rawDenominator === 0) return rawDenominator === 0 ? 'none offered' : 'not shown';
  return `${Math.round((100 * rawNumerator) / rawDenominator)}%`;
}

/** Age bands of the figures (years at today). */
export const AGE_BANDS = [
  { label: '18 to 39', from: 18, to: 39 },
  { label: '40 to 59', from: 40, to: 59 },
  { label: '60 to 69', from: 60, to: 69 },
  { label: '70 to 79', from: 70, to: 79 },
  { label: '80 and over', from: 80, to: 200 },
] as const;

/** Distance bands: miles from home to the nearest site offered. */
export const DISTANCE_BANDS = [
  { label: 'under 10 miles', from: 0, to: 10 },
  { label: '10 to 25 miles', from: 10, to: 25 },
  { label: '25 to 50 miles', from: 25, to: 50 },
  { label: '50 miles or more', from: 50, to: 100_000 },
] as const;

/** PERSON STATED GENDER CODE, as the figures name it. */
export const SEX_NAMES: Record<string, string> = { '1': 'Male', '2': 'Female', '9': 'Indeterminate', X: 'Not known' };

/** ETHNIC CATEGORY (NHS Data Dictionary, 2001 census groups), as the figures name it. */
export const ETHNIC_CATEGORY_NAMES: Record<string, string> = {
  A: 'White: British',
  B: 'White: Irish',
  C: 'White: any other White background',
  D: 'Mixed: White and Black Caribbean',
  E: 'Mixed: White and Black African',
  F: 'Mixed: White and Asian',
  G: 'Mixed: any other mixed background',
  H: 'Asian or Asian British: Indian',
  J: 'Asian or Asian British: Pakistani',
  K: 'Asian or Asian British: Bangladeshi',
  L: 'Asian or Asian British: any other Asian background',
  M: 'Black or Black British: Caribbean',
  N: 'Black or Black British: African',
  P: 'Black or Black British: any other Black background',
  R: 'Other ethnic groups: Chinese',
  S: 'Other ethnic groups: any other ethnic group',
  Z: 'Not stated',
};

/** The deprivation fifth of an IMD decile: 1 (deciles 1-2, the most deprived fifth) to 5 (9-10, the least). */
export function deprivationFifth(decile: number): number {
  return Math.ceil(decile / 2);
}

/** Each fifth needs at least this many patients offered before the skew flag may fire. */
export const SKEW_MIN_OFFERED = 20;
/** The flag fires when the most deprived fifth accepts at less than this share of the least deprived fifth's rate. */
export const SKEW_RATIO = 0.5;

export interface FifthOutcome {
  readonly offered: number;
  readonly accepted: number;
}

export type SkewFinding =
  | { readonly kind: 'skewed'; readonly mostRate: number; readonly leastRate: number }
  | { readonly kind: 'fair'; readonly mostRate: number; readonly leastRate: number }
  | { readonly kind: 'too-few'; readonly needed: number };

/**
 * The acceptance-skew rule: of patients offered a transfer, the most deprived fifth (IMD deciles 1-2)
 * accepting at less than half the rate of the least deprived fifth (deciles 9-10), when each fifth
 * has at least SKEW_MIN_OFFERED patients offered. Fewer than that, and no flag either way.
 */
export function acceptanceSkew(most: FifthOutcome, least: FifthOutcome): SkewFinding {
  if (most.offered < SKEW_MIN_OFFERED || least.offered < SKEW_MIN_OFFERED) return { kind: 'too-few', needed: SKEW_MIN_OFFERED };
  const mostRate = most.accepted / most.offered;
  const leastRate = least.accepted / least.offered;
  return { kind: mostRate < SKEW_RATIO * leastRate ? 'skewed' : 'fair', mostRate, leastRate };
}

/** The skew finding in words, as the pages, the report and its email say it. */
export function skewInWords(f: SkewFinding, deprivationKnown: boolean): { readonly flagged: boolean; readonly text: string } {
  const pct = (x: number) => `${Math.round(100 * x)}%`;
  if (!deprivationKnown) return { flagged: false, text: 'Deprivation is not known: the postcode directory is not loaded (see docs/insights.md).' };
  if (f.kind === 'too-few')
    return {
      flagged: false,
      text: `Too few patients to tell: each of the most and least deprived fifths needs at least ${f.needed} patients offered a transfer.`,
    };
  if (f.kind === 'fair')
    return { flagged: false, text: `No skew: the most deprived fifth accepted ${pct(f.mostRate)} of offers, the least deprived fifth ${pct(f.leastRate)}.` };
  return {
    flagged: true,
    text: `The most deprived fifth of patients accepted ${pct(f.mostRate)} of offers, less than half the ${pct(f.leastRate)} of the least deprived fifth.`,
  };
}

/** What to do when the flag fires. */
export const SKEW_ACTION =
  'Patients from the most deprived areas often cannot afford or arrange the journey. Ask each patient offered a transfer whether they need transport or other support (their additional requirements), offer travel help before the offer is declined, and look again at sites nearer to them.';
