// Field validators for the NHS identifiers and dates of the contract.
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isGpPracticeCode, isOdsCode, isRealDateTime, isUkPostcode, isValidNhsNumber, parseIsoDate, sctidProblem } from '#domain';

export const IsNhsNumber = (opts?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isNhsNumber',
      validator: {
        validate: (v) => typeof v === 'string' && isValidNhsNumber(v),
        defaultMessage: () => '$property must be a valid NHS number: 10 digits with a correct Modulus 11 check digit',
      },
    },
    opts,
  );

export const IsOds = (opts?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isOds',
      validator: {
        validate: (v) => typeof v === 'string' && isOdsCode(v),
        defaultMessage: () => '$property must be an ODS code: 3 to 6 capital letters or digits (e.g. RLQ, RLQ01)',
      },
    },
    opts,
  );

export const IsGpPractice = (opts?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isGpPractice',
      validator: {
        validate: (v) => typeof v === 'string' && isGpPracticeCode(v),
        defaultMessage: () => '$property must be a GP practice ODS code: a letter and five digits (e.g. M81001)',
      },
    },
    opts,
  );

export const IsUkPostcode = (opts?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isUkPostcode',
      validator: { validate: (v) => typeof v === 'string' && isUkPostcode(v), defaultMessage: () => '$property must be a UK postcode (e.g. HR1 2ER)' },
    },
    opts,
  );

/** A calendar date, YYYY-MM-DD, that exists; with notFuture, not after today. */
export const IsCalendarDate = (cfg: { notFuture?: boolean } = {}, opts?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isCalendarDate',
      validator: {
        validate: (v) => {
          if (typeof v !== 'string') return false;
          const d = parseIsoDate(v);
          if (!d) return false;
          return !cfg.notFuture || d.getTime() <= Date.now();
        },
        defaultMessage: () => `$property must be a real date as YYYY-MM-DD${cfg.notFuture ? ', not in the future' : ''}`,
      },
    },
    opts,
  );

/** An ISO 8601 date-time with a timezone (e.g. 2026-12-01T09:30:00Z). */
export const IsDateTime = (opts?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isDateTime',
      validator: {
        validate: (v) => typeof v === 'string' && isRealDateTime(v),
        defaultMessage: () => '$property must be an ISO 8601 date-time with a timezone, e.g. 2026-12-01T09:30:00Z',
      },
    },
    opts,
  );

/** A SNOMED CT concept id: 6 to 18 digits, a concept's partition and a correct Verhoeff check digit. */
export const IsSnomedConcept = (opts?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isSnomedConcept',
      validator: {
        validate: (v) => typeof v === 'string' && sctidProblem(v) === null,
        defaultMessage: (a) => `$property ${typeof a?.value === 'string' ? sctidProblem(a.value) : 'must be a SNOMED CT concept id (a string of digits)'}`,
      },
    },
    opts,
  );
