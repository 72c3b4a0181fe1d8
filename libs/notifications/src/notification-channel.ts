// Channels that deliver a rendered message; the local one records and logs without patient data.
import { Injectable, Logger } from '@nestjs/common';
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

/** The default without a GOV.UK Notify key: marks the message delivered and logs ids only. */
@Injectable()
export class LocalNotificationChannel implements NotificationChannel {
  private readonly logger = new Logger('LocalNotificationChannel');

  async send(msg: OutgoingMessage): Promise<DeliveryResult> {
    this.logger.log({ notificationId: msg.notificationId, event: msg.event, channel: msg.channel }, 'notification recorded by the local channel');
    return { status: 'delivered', providerReference: msg.notificationId };
  }
}
