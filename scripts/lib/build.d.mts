// Types for build.mjs, used by the TypeScript suites that run the apps from dist/.
export declare function ensureGenerated(): void;
export declare function ensureBuilt(): void;
