// Sends one patient-initiated mutual aid invitation (table pidmas_invitation), once, through the same
// channel as every patient message (GOV.UK Notify, or the local one): the contact details are read
// from the trust's patient record now, the link is computed (never stored or queued). Provided by the
// worker, which has the channel.
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { DeferJobError, OnJob, OnJobFailedForGood, type JobPayloads } from '#queue';
import {
  letterAddress,
  NOTIFICATION_CHANNEL,
  optInLinkToken,
  optInLinkUrl,
  PIDMAS_INVITATION_EVENT,
  quietUntil,
  renderPidmasInvitation,
  type NotificationChannel,
} from '#notifications';
import type { StepOutcome } from '../automated-steps.js';
import { contactOf, ENTRY_CONTACT_SQL, invitationChannel } from './patient-initiated.js';

@Injectable()
export class SendPidmasInvitation {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnJob('pidmas-invitation.send')
  async send({ invitationId }: JobPayloads['pidmas-invitation.send']): Promise<StepOutcome> {
    const { rows } = await this.prisma.sql.query<{
      id: string;
      status: string;
      channel: 'sms' | 'email' | 'letter';
      entry_open: boolean;
      given_name: string;
      family_name: string;
      postcode: string;
      known_family_name: string | null;
      address: string | null;
      phone: string | null;
      email: string | null;
      origin_name: string;
    }>(
      `SELECT i.id::text AS id, i.status, i.channel, (e.status = 'open' AND e.referral_id IS NULL) AS entry_open, e.given_name, e.family_name, e.postcode,
              p.family_name AS known_family_name, p.address, p.phone, p.email, t.name AS origin_name
       FROM pidmas_invitation i JOIN waiting_list_entry e ON e.id = i.entry_id ${ENTRY_CONTACT_SQL} JOIN trust t ON t.ods = i.origin_ods
       WHERE i.id = $1::uuid`,
      [invitationId],
    );
    const n = rows[0];
    if (!n) return { outcome: 'skipped', reason: 'invitation gone' };
    if (n.status !== 'created') return { outcome: 'skipped', reason: `already ${n.status}` };
    // Referred or off the list since it was written: an invitation would no longer be true.
    if (!n.entry_open) return this.cancel(n.id, 'waiting-list entry closed or referred');
    const contact = contactOf(n);
    const channel = contact[n.channel === 'sms' ? 'phone' : n.channel === 'email' ? 'email' : 'address'] ? n.channel : invitationChannel(contact);
    if (!channel) return this.cancel(n.id, 'no contact details held any more');
    if (channel === 'sms') {
      const until = quietUntil(new Date(), this.config.notify.smsQuietHours);
      if (until) throw new DeferJobError(until.getTime(), 'no SMS in quiet hours (UK time)');
    }
    const url = optInLinkUrl(this.config.http.publicBaseUrl, optInLinkToken(this.config.workflow.offerLinkSecret, n.id));
    const result = await this.channel.send({
      notificationId: n.id,
      event: PIDMAS_INVITATION_EVENT,
      channel,
      recipient: contact,
      message: renderPidmasInvitation({ givenName: n.given_name, originTrustName: n.origin_name, url }),
      // offer_url: the template field of every patient link, so the local channel keeps it for `npm run messages`.
      personalisation: { given_name: n.given_name, origin_trust_name: n.origin_name, notification_id: n.id, offer_url: url },
      addressLines: channel === 'letter' ? letterAddress(`${n.given_name} ${n.family_name}`, contact.address, n.postcode) : undefined,
    });
    await this.prisma.sql.query(
      `UPDATE pidmas_invitation SET status = $2, channel = $3, provider_id = $4, sent_at = now(), updated_at = now() WHERE id = $1::uuid AND status = 'created'`,
      [n.id, result.status, channel, result.providerReference ?? null],
    );
    return { outcome: 'done', reason: result.adopted ? `${result.status} (sent by an earlier attempt)` : result.status };
  }

  /** Its retries used up: the invitation says it failed (the cohort's page counts it); there is no referral to flag. */
  @OnJobFailedForGood('pidmas-invitation.send')
  async failedForGood({ invitationId }: JobPayloads['pidmas-invitation.send']): Promise<StepOutcome> {
    await this.prisma.sql.query(`UPDATE pidmas_invitation SET status = 'technical-failure', updated_at = now() WHERE id = $1::uuid AND status = 'created'`, [
      invitationId,
    ]);
    return { outcome: 'done', reason: 'invitation marked failed' };
  }

  private async cancel(id: string, reason: string): Promise<StepOutcome> {
    await this.prisma.sql.query(`UPDATE pidmas_invitation SET status = 'cancelled', updated_at = now() WHERE id = $1::uuid AND status = 'created'`, [id]);
    return { outcome: 'skipped', reason: `not sent: ${reason}` };
  }
}
