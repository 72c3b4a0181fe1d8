// Types for seed.mjs, used by the TypeScript tests.
export declare function seed(databaseUrl: string, opts?: { demoReferrals?: boolean }): Promise<void>;
