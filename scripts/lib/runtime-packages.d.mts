// Types for runtime-packages.mjs, used by test/runtime-dependencies.e2e.spec.ts.
export declare function runtimePackages(lock: { packages: Record<string, object> }): Set<string>;
