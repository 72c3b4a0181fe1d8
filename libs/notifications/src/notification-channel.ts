// Channels that deliver a rendered message; the local one records and logs without patient data.
import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '#persistence';
import type { Channel, RenderedMessage } from './notification-events.js';

export interface OutgoingMessage {
  readonly notificationId: string;
  readonly event: string;
  readonly channel: Channel;
  readonly recipient: { email: string | null; phone: string | null; address: string | null };
  readonly message: RenderedMessage;
}

export interface DeliveryResult {
  readonly status: 'sending' | 'delivered' | 'permanent-failure';
  readonly providerReference?: string;
}

export const NOTIFICATION_CHANNEL = Symbol('NOTIFICATION_CHANNEL');

export interface NotificationChannel {
  send(msg: OutgoingMessage): Promise<DeliveryResult>;
}

/**
 * The default without a GOV.UK Notify key: records each message once (keyed by the
 * notification id, as Notify's `reference` is) and logs ids only, never the content.
 */
@Injectable()
export class LocalNotificationChannel implements NotificationChannel {
  private readonly logger = new Logger('LocalNotificationChannel');

  constructor(private readonly prisma: PrismaService) {}

  async send(msg: OutgoingMessage): Promise<DeliveryResult> {
    const inserted = await this.prisma.$executeRaw`
      INSERT INTO local_message (notification_id, channel) VALUES (${msg.notificationId}::uuid, ${msg.channel})
      ON CONFLICT (notification_id) DO NOTHING`;
    if (inserted === 1) {
      this.logger.log({ notificationId: msg.notificationId, event: msg.event, channel: msg.channel }, 'notification recorded by the local channel');
    }
    return { status: 'delivered', providerReference: msg.notificationId };
  }
}
