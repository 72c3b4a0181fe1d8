// Applies one uploaded waiting-list CSV (staged in Postgres by the API) in batches.
import { Injectable } from '@nestjs/common';
import { WaitingListImporter } from '#workflow';
import type { JobPayloads } from '#queue';
import type { JobHandler } from './job-handler.js';

@Injectable()
export class WaitingListImportHandler implements JobHandler<'waiting-list.import'> {
  readonly jobName = 'waiting-list.import' as const;
  constructor(private readonly importer: WaitingListImporter) {}
  handle(p: JobPayloads['waiting-list.import']) {
    return this.importer.run(p.importId);
  }
  /** No referral to flag: the import is marked failed, with the reason, and its staged rows go. */
  failedForGood(p: JobPayloads['waiting-list.import'], _jobId: string, cause: Error) {
    return this.importer.failedForGood(p.importId, cause);
  }
}
