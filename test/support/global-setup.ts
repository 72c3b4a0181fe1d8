// Jest global setup: the e2e suites need the services `npm test` starts (scripts/test.mjs).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default async function globalSetup(): Promise<void> {
  // Where suites claim their blocks of test NHS numbers (nhsNumber() in stack.ts); the workers inherit it.
  process.env.CROSSTRUST_NHS_BLOCKS = mkdtempSync(path.join(tmpdir(), 'crosstrust-nhs-'));
  const argv = process.argv.join(' ');
  const e2e = !/libs\//.test(argv) || /e2e/.test(argv);
  if (e2e && (!process.env.DATABASE_URL || !process.env.REDIS_URL)) {
    // Unit tests alone need nothing; e2e suites say plainly how to run them.
    process.env.CROSSTRUST_SERVICES_MISSING = '1';
  }
}
