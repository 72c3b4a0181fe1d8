// ODS codes: organisation codes of trusts (3 characters), their sites (5) and GP practices (6).

/** An organisation code: a trust (RLQ), a site (RLQ01), a GP practice (M81001), or another 3-6 character code. */
export function isOdsCode(value: string): boolean {
  return /^[A-Z0-9]{3,6}$/.test(value);
}

export function isGpPracticeCode(value: string): boolean {
  return /^[A-Z]\d{5}$/.test(value);
}
