// Channels that deliver a rendered message; the local one records ids (and, in development only, the text) and logs no patient data.
import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '#persistence';
import type { Channel, RenderedMessage } from './notification-events.js';

export interface OutgoingMessage {
  readonly notificationId: string;
  readonly event: string;
  readonly channel: Channel;
  readonly recipient: { email: string | null; phone: string | null; address: string | null };
  readonly message: RenderedMessage;
  /** Named template fields beside the rendered subject and body (ids and plain words, e.g. given_name). */
  readonly personalisation?: Readonly<Record<string, string>>;
  /** A letter's address: the patient's name first, the postcode last (3 to 7 lines). */
  readonly addressLines?: readonly string[];
  /** The accessible format the patient needs letters in, if any. */
  readonly accessibleFormat?: string | null;
}

/**
 * Where a notification is: GOV.UK Notify's statuses, as this service records them, and our own
 * `cancelled`: not sent, because when its turn came it was no longer true (the offer answered, the
 * appointment cancelled or past).
 */
export const DELIVERY_STATUSES = ['created', 'sending', 'delivered', 'permanent-failure', 'temporary-failure', 'technical-failure', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryResult {
  readonly status: 'sending' | 'delivered' | 'permanent-failure' | 'temporary-failure' | 'technical-failure';
  readonly providerReference?: string;
  /** Why the provider refused it (an error type such as ValidationError, never the message content). */
  readonly failureReason?: string;
  /** True when an earlier attempt had already reached the provider and was adopted, not sent again. */
  readonly adopted?: boolean;
}

/** A provider's current status of one notification (for the poll of those without a callback). */
export interface ProviderStatus {
  readonly status: DeliveryStatus;
  /** When the provider says it reached that status (completed_at, or sent_at). */
  readonly providerAt: Date | null;
}

export const NOTIFICATION_CHANNEL = Symbol('NOTIFICATION_CHANNEL');

export interface NotificationChannel {
  send(msg: OutgoingMessage): Promise<DeliveryResult>;
  /** The provider's status of a notification it accepted; absent: the channel knows its result at once. */
  status?(providerReference: string): Promise<ProviderStatus | null>;
}

/**
 * The default without a GOV.UK Notify key: records each message once (keyed by the
 * notification id, as Notify's `reference` is) and logs ids only, never the content.
 *
 * Outside production it also keeps what the message said, its recipient and offer link, in
 * `local_message_text` (the newest `keep` only), so a developer can read it with `npm run messages`
 * and open the link. `keep` is LOCAL_MESSAGES_KEPT, which the configuration holds at 0 in production.
 */
@Injectable()
export class LocalNotificationChannel implements NotificationChannel {
  private readonly logger = new Logger('LocalNotificationChannel');

  constructor(
    private readonly prisma: PrismaService,
    private readonly keep = 0,
  ) {}

  async send(msg: OutgoingMessage): Promise<DeliveryResult> {
    const { rowCount } = await this.prisma.sql.query(
      'INSERT INTO local_message (notification_id, channel) VALUES ($1::uuid, $2) ON CONFLICT (notification_id) DO NOTHING',
      [msg.notificationId, msg.channel],
    );
    if (rowCount === 1) {
      if (this.keep > 0) await this.keepText(msg);
      this.logger.log({ notificationId: msg.notificationId, event: msg.event, channel: msg.channel }, 'notification recorded by the local channel');
    }
    return { status: 'delivered', providerReference: msg.notificationId };
  }

  /**
   * The message's text beside its id, and the oldest beyond `keep` dropped in the same statement
   * (its snapshot does not see the row it inserts, hence `keep - 1`). Two workers at once may
   * leave one or two over, which the next message trims.
   */
  private async keepText(msg: OutgoingMessage): Promise<void> {
    const to =
      msg.channel === 'letter' ? (msg.addressLines?.join(', ') ?? msg.recipient.address) : msg.channel === 'sms' ? msg.recipient.phone : msg.recipient.email;
    await this.prisma.sql.query(
      `WITH trimmed AS (
         DELETE FROM local_message_text WHERE notification_id IN (SELECT notification_id FROM local_message_text ORDER BY seq DESC OFFSET $8)
       )
       INSERT INTO local_message_text (notification_id, event, channel, recipient, subject, body, link)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) ON CONFLICT (notification_id) DO NOTHING`,
      [msg.notificationId, msg.event, msg.channel, to ?? null, msg.message.subject, msg.message.body, msg.personalisation?.offer_url || null, this.keep - 1],
    );
  }
}
