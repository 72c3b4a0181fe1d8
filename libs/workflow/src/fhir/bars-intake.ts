// BaRS-shaped intake: a message opens a referral exactly as POST /v1/referrals does, or withdraws or
// cancels one; each X-Request-ID is acted on once per sending trust (the same id again: 409).
import { Injectable } from '@nestjs/common';
import type { NewReferral } from '#domain';
import type { Caller } from '#auth';
import { isUniqueViolation, PrismaService } from '#persistence';
import { OpenReferral } from '../referral/open-referral.js';
import { ReferralExits } from '../referral/exits.js';
import { DuplicateError } from '../workflow-errors.js';
import type { UpdateMessage } from './bars-message.js';

@Injectable()
export class BarsIntake {
  constructor(
    private readonly prisma: PrismaService,
    private readonly opening: OpenReferral,
    private readonly exits: ReferralExits,
  ) {}

  /** Opens the referral the message carries (its fields already validated as POST /v1/referrals validates them). */
  open(caller: Caller, requestId: string, input: NewReferral): Promise<string> {
    return this.once(caller, requestId, async () => (await this.opening.open(caller, input, null)).referralId);
  }

  /** Withdraws (revoked) or cancels (entered-in-error) the referral, unless it changed after the sender's version of it. */
  update(caller: Caller, requestId: string, m: UpdateMessage): Promise<string> {
    return this.once(caller, requestId, async () => {
      const opts = { unchangedSince: { at: m.lastUpdated, field: `${m.path}.meta.lastUpdated` } };
      if (m.action === 'withdraw') await this.exits.withdraw(caller, m.referralId, { reason: m.reason ?? undefined }, opts);
      else await this.exits.cancel(caller, m.referralId, { reason: m.reason ?? 'Entered in error by the referring system' }, opts);
      return m.referralId;
    });
  }

  /**
   * Claims the request id, acts, and records the referral; a failure lets the claim go, so the
   * sender may resend after an error (a concurrent duplicate meets the claim and is refused).
   */
  private async once(caller: Caller, requestId: string, act: () => Promise<string>): Promise<string> {
    const ods = caller.ods!;
    try {
      await this.prisma.sql.query('INSERT INTO fhir_message (sender_ods, request_id) VALUES ($1, $2::uuid)', [ods, requestId]);
    } catch (e) {
      if (isUniqueViolation(e)) throw new DuplicateError('This X-Request-ID has already been used: each message needs a new one', { field: 'X-Request-ID' });
      throw e;
    }
    let referralId: string;
    try {
      referralId = await act();
    } catch (e) {
      await this.prisma.sql.query('DELETE FROM fhir_message WHERE sender_ods = $1 AND request_id = $2::uuid', [ods, requestId]);
      throw e;
    }
    await this.prisma.sql.query('UPDATE fhir_message SET referral_id = $3::uuid WHERE sender_ods = $1 AND request_id = $2::uuid', [ods, requestId, referralId]);
    return referralId;
  }
}
