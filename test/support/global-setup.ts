// Jest global setup: the e2e suites need the services `npm test` starts (scripts/test.mjs).
export default async function globalSetup(): Promise<void> {
  const argv = process.argv.join(' ');
  const e2e = !/libs\//.test(argv) || /e2e/.test(argv);
  if (e2e && (!process.env.DATABASE_URL || !process.env.REDIS_URL)) {
    // Unit tests alone need nothing; e2e suites say plainly how to run them.
    process.env.CROSSTRUST_SERVICES_MISSING = '1';
  }
}
