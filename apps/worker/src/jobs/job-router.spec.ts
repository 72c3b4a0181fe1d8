// The job-to-method binding: every job of the catalogue bound once, or the worker does not boot.
import { describe, expect, it } from '@jest/globals';
import { MetadataScanner, Reflector, type DiscoveryService } from '@nestjs/core';
import { JOB_NAMES, OnJob, OnJobFailedForGood, type JobOutcome, type JobPayloads } from '#queue';
import { discoverJobBindings } from './job-router.js';

const ok = async (): Promise<JobOutcome> => ({ outcome: 'done' });

class Steps {
  @OnJob('referral.screen') async screen(_p: JobPayloads['referral.screen']) {
    return ok();
  }
  @OnJob('referral.make-offers') async makeOffers(_p: JobPayloads['referral.make-offers']) {
    return ok();
  }
  @OnJob('transfer.dispatch') async transfer(_p: JobPayloads['transfer.dispatch']) {
    return ok();
  }
  @OnJob('discharge.dispatch') async discharge(_p: JobPayloads['discharge.dispatch']) {
    return ok();
  }
  @OnJob('decision.dispatch') async decision(_p: JobPayloads['decision.dispatch']) {
    return ok();
  }
  notBound() {
    return 1;
  }
}
class Messages {
  @OnJob('notification.send') async send(_p: JobPayloads['notification.send']) {
    return ok();
  }
  @OnJob('staff-notification.send') async staff(_p: JobPayloads['staff-notification.send']) {
    return ok();
  }
}
class Imports {
  @OnJob('waiting-list.import') async run(_p: JobPayloads['waiting-list.import']) {
    return ok();
  }
  @OnJobFailedForGood('waiting-list.import') async failed(_p: JobPayloads['waiting-list.import'], _id: string, _e: Error) {
    return ok();
  }
}
class Figures {
  @OnJob('insights.refresh') async refresh(_p: JobPayloads['insights.refresh']) {
    return ok();
  }
}
class Invitations {
  @OnJob('pidmas-invitation.send') async send(_p: JobPayloads['pidmas-invitation.send']) {
    return ok();
  }
}
class ScreensToo {
  @OnJob('referral.screen') async screenAgain(_p: JobPayloads['referral.screen']) {
    return ok();
  }
}

const discover = (...instances: object[]) =>
  discoverJobBindings(
    { getProviders: () => instances.map((instance) => ({ instance })) } as unknown as DiscoveryService,
    new MetadataScanner(),
    new Reflector(),
  );

describe('discoverJobBindings', () => {
  it('binds every job of the catalogue to its one method, and the failed-for-good hooks', () => {
    const b = discover(new Steps(), new Messages(), new Imports(), new Figures(), new Invitations(), { plain: true });
    expect([...b.run.keys()].sort()).toEqual([...JOB_NAMES].sort());
    expect([...b.failedForGood.keys()]).toEqual(['waiting-list.import']);
  });

  it('refuses to boot when a job has no method, naming it', () => {
    expect(() => discover(new Steps(), new Messages())).toThrow(/job waiting-list\.import has no @OnJob method/);
  });

  it('refuses to boot when a job is bound twice, naming both methods', () => {
    expect(() => discover(new Steps(), new Messages(), new Imports(), new Figures(), new Invitations(), new ScreensToo())).toThrow(
      /job referral\.screen is bound twice \(Steps\.screen and ScreensToo\.screenAgain\)/,
    );
  });

  it('the same instance provided twice (a class exported by two modules) is one binding, not two', () => {
    const steps = new Steps();
    expect(() => discover(steps, steps, new Messages(), new Imports(), new Figures(), new Invitations())).not.toThrow();
  });
});
