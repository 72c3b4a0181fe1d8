// Types for dev-issuer.mjs, used by the TypeScript tests.
export declare const DEV_ISSUER: string;
export declare const DEV_AUDIENCE: string;
export declare function ensureDevIssuerKey(file: string): Promise<{ privateJwk: Record<string, unknown>; publicJwk: Record<string, unknown> }>;
export declare function signDevToken(
  file: string,
  opts: { roles: string[]; ods?: string; nhsNumber?: string; sub?: string; expiresIn?: string; extra?: Record<string, unknown> },
): Promise<string>;
