// Synthetic NHS numbers for demo data, tests and benchmarks: nine digits and their Modulus 11
// check digit (the rule libs/domain/src/nhs-number.ts validates). The callers keep their own
// ranges (999... is the test range) and counters.

/** `body` (nine digits) with its check digit, or null when none fits (the check digit would be 10). */
export function withCheckDigit(body) {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (body.charCodeAt(i) - 48) * (10 - i);
  const check = (11 - (sum % 11)) % 11;
  return check === 10 ? null : body + check;
}
