// Jest runs TypeScript through SWC (with decorator metadata, which Nest's DI needs) as ES modules.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

const libs = ['domain', 'persistence', 'queue', 'workflow', 'notifications', 'auth', 'config', 'metrics', 'telemetry'];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((l) => [`^#${l}$`, `<rootDir>/libs/${l}/src/index.ts`])),
    '^#prisma-client$': '<rootDir>/generated/prisma/client.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.e2e.spec.ts', '<rootDir>/test/use-cases/**/*.spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // Per checkout, not shared in /tmp: the order of test files comes from this cache (slowest and
  // failed first), so a fresh clone runs them in the order CI does, as CI has no cache either.
  cacheDirectory: '<rootDir>/.data/jest-cache',
};
