// ODS codes: organisation codes of trusts (3 characters), their sites (5) and GP practices (6).

/** A trust (e.g. RLQ), an NHS trust site (e.g. RLQ01) or a GP practice (e.g. M81001). */
export function isOdsCode(value: string): boolean {
  return /^[A-Z0-9]{3,6}$/.test(value);
}

export function isGpPracticeCode(value: string): boolean {
  return /^[A-Z]\d{5}$/.test(value);
}
