// Who has a referral open for clinical review, so "review next" never gives two clinicians the
// same patient: a Redis key per referral holding the clinician's id, for ten minutes from their
// last look (SET NX: the first to open it keeps it until they leave it that long).
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { REDIS, type RedisClient } from '../redis.provider.js';

const HOLD_MS = 10 * 60_000;

@Injectable()
export class OpenReferrals {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = `${config.redis.queuePrefix}:console:open:`;
  }

  /** Takes the referral for `sub` if nobody else has it open (or renews their own hold); true when it is theirs. */
  async take(referralId: string, sub: string): Promise<boolean> {
    const key = this.prefix + referralId;
    if ((await this.redis.set(key, sub, 'PX', HOLD_MS, 'NX')) === 'OK') return true;
    const holder = await this.redis.get(key);
    if (holder !== sub) return false;
    await this.redis.pexpire(key, HOLD_MS);
    return true;
  }
}
