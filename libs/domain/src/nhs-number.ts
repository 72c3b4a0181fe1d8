// NHS number validation: ten digits with a Modulus 11 check digit.

/** True when `value` is a ten-digit NHS number whose check digit is right. */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(value[i]) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === Number(value[9]);
}

/** Accepts the common written forms ("943 476 5919", "943-476-5919") and returns the ten digits. */
export function normaliseNhsNumber(value: string): string {
  return value.replace(/[\s-]/g, '');
}
