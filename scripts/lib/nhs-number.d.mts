// Types for nhs-number.mjs, used by the TypeScript tests.
export declare function withCheckDigit(body: string): string | null;
