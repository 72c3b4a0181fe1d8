// Handlers for the automated workflow steps: each delegates to one idempotent use case.
import { Injectable } from '@nestjs/common';
import { AutomatedSteps } from '#workflow';
import type { JobPayloads } from '#queue';
import type { JobHandler } from './job-handler.js';

@Injectable()
export class ScreenReferralHandler implements JobHandler<'referral.screen'> {
  readonly jobName = 'referral.screen' as const;
  constructor(private readonly steps: AutomatedSteps) {}
  handle(p: JobPayloads['referral.screen']) {
    return this.steps.screen(p.referralId);
  }
}

@Injectable()
export class MakeOffersHandler implements JobHandler<'referral.make-offers'> {
  readonly jobName = 'referral.make-offers' as const;
  constructor(private readonly steps: AutomatedSteps) {}
  handle(p: JobPayloads['referral.make-offers']) {
    return this.steps.makeOffers(p.referralId);
  }
}

@Injectable()
export class TransferDispatchHandler implements JobHandler<'transfer.dispatch'> {
  readonly jobName = 'transfer.dispatch' as const;
  constructor(private readonly steps: AutomatedSteps) {}
  handle(p: JobPayloads['transfer.dispatch']) {
    return this.steps.dispatchTransfer(p.referralId);
  }
}

@Injectable()
export class DischargeDispatchHandler implements JobHandler<'discharge.dispatch'> {
  readonly jobName = 'discharge.dispatch' as const;
  constructor(private readonly steps: AutomatedSteps) {}
  handle(p: JobPayloads['discharge.dispatch']) {
    return this.steps.dispatchDischarge(p.referralId);
  }
}
