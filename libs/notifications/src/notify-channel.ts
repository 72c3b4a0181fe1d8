// The GOV.UK Notify channel: sends email, SMS and letters with the official client, never twice.
import { Logger } from '@nestjs/common';
import notifyClient from 'notifications-node-client';
import type { AppConfig } from '#config';
import { CHANNELS, NOTIFICATION_EVENTS } from './notification-events.js';
import type { DeliveryResult, DeliveryStatus, NotificationChannel, OutgoingMessage, ProviderStatus } from './notification-channel.js';
import { STAFF_WORKLIST_EVENT } from './staff-worklist-template.js';
import { PIDMAS_INVITATION_EVENT } from './pidmas-invitation.js';

type Client = InstanceType<typeof notifyClient.NotifyClient>;

/** A Notify answer that is not 2xx: its status and Notify's error type only, never the payload. */
export class NotifyHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string | null,
  ) {
    super(`GOV.UK Notify answered ${status}${errorType ? ` ${errorType}` : ''}`);
    this.name = 'NotifyHttpError';
  }
}

/** A failure no retry can mend (our API key refused, a template missing from configuration). */
export class NotifyConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

/**
 * The client's HTTP transport, on fetch: a timeout on every request, and errors that carry no
 * request (axios errors hold the request body, with the patient's details, for any logger to print).
 */
function fetchTransport(timeoutMs: number) {
  return async (opts: { method: string; url: string; data?: unknown; headers?: Record<string, string>; responseType?: string }) => {
    const body = opts.data === undefined ? undefined : JSON.stringify(opts.data);
    let res: Response;
    try {
      res = await fetch(opts.url, {
        method: opts.method.toUpperCase(),
        headers: { ...opts.headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const err = e as Error;
      throw new Error(err.name === 'TimeoutError' ? `GOV.UK Notify did not answer in ${timeoutMs} ms` : `GOV.UK Notify unreachable (${err.name})`);
    }
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (res.status >= 400) {
      const errors = (data as { errors?: Array<{ error?: unknown }> } | null)?.errors;
      const type = typeof errors?.[0]?.error === 'string' ? errors[0].error : null;
      throw new NotifyHttpError(res.status, type);
    }
    return { status: res.status, data, headers: {} };
  };
}

/** Notify's statuses as this service records them (letters have their own names). */
export function mapNotifyStatus(status: string): Exclude<DeliveryStatus, 'created' | 'cancelled'> {
  switch (status) {
    case 'delivered':
    case 'received': // a letter handed to the postal service
      return 'delivered';
    case 'permanent-failure':
    case 'validation-failed':
    case 'virus-scan-failed':
    case 'cancelled':
      return 'permanent-failure';
    case 'temporary-failure':
      return 'temporary-failure';
    case 'technical-failure':
      return 'technical-failure';
    default: // created, sending, pending, accepted, pending-virus-check
      return 'sending';
  }
}

/**
 * The `event/channel` pairs with no template in NOTIFY_TEMPLATES that will be sent: every patient
 * event by every channel, and the staff worklist email (staff emails go by email only).
 */
export function missingNotifyTemplates(templates: AppConfig['notify']['templates']): string[] {
  const patient = [...NOTIFICATION_EVENTS, PIDMAS_INVITATION_EVENT].flatMap((e) => CHANNELS.filter((c) => !templates[e]?.[c]).map((c) => `${e}/${c}`));
  return templates[STAFF_WORKLIST_EVENT]?.email ? patient : [...patient, `${STAFF_WORKLIST_EVENT}/email`];
}

/**
 * Template ids come from configuration, per event and channel (NOTIFY_TEMPLATES). Each message
 * passes `subject` and `body` (rendered here) and named fields as personalisation, and our
 * notification id as Notify's `reference`. Notify has no idempotency key, so before sending we
 * ask for a notification with our reference and adopt it if an earlier attempt got through.
 */
export class NotifyNotificationChannel implements NotificationChannel {
  private readonly logger = new Logger('NotifyNotificationChannel');
  private readonly client: Client;
  private readonly templates: AppConfig['notify']['templates'];

  constructor(notify: Pick<AppConfig['notify'], 'apiKey' | 'baseUrl' | 'templates' | 'timeoutMs'>) {
    if (!notify.apiKey) throw new Error('NotifyNotificationChannel needs NOTIFY_API_KEY');
    this.client = new notifyClient.NotifyClient(notify.baseUrl, notify.apiKey);
    this.client.setClient(fetchTransport(notify.timeoutMs) as never);
    this.templates = notify.templates;
    const missing = missingNotifyTemplates(this.templates);
    if (missing.length) this.logger.warn({ missing }, 'GOV.UK Notify templates missing from NOTIFY_TEMPLATES: these messages will fail and go to a person');
  }

  async send(msg: OutgoingMessage): Promise<DeliveryResult> {
    const templateId = this.templates[msg.event]?.[msg.channel];
    if (!templateId) throw new NotifyConfigurationError(`no GOV.UK Notify template for ${msg.event}/${msg.channel} in NOTIFY_TEMPLATES`);

    const earlier = await this.findByReference(msg.notificationId);
    if (earlier) return { status: mapNotifyStatus(earlier.status), providerReference: earlier.id, adopted: true };

    const personalisation: Record<string, string> = { subject: msg.message.subject, body: msg.message.body, ...msg.personalisation };
    try {
      const res = await this.post(msg, templateId, personalisation);
      return { status: 'sending', providerReference: res.data.id };
    } catch (e) {
      if (e instanceof NotifyHttpError) {
        // 400: Notify will never take this message (a number that is not a mobile, an address it cannot post to).
        if (e.status === 400) return { status: 'permanent-failure', failureReason: e.errorType ?? 'BadRequestError' };
        if (e.status === 403) throw new NotifyConfigurationError('GOV.UK Notify refused our API key (403): check NOTIFY_API_KEY');
      }
      throw e; // 429, 5xx, a timeout: retried with backoff, and the retry looks for this send first
    }
  }

  async status(providerReference: string): Promise<ProviderStatus | null> {
    try {
      const res = await this.client.getNotificationById(providerReference);
      const n = res.data as { status: string; completed_at?: string | null; sent_at?: string | null };
      const at = n.completed_at ?? n.sent_at ?? null;
      return { status: mapNotifyStatus(n.status), providerAt: at ? new Date(at) : null };
    } catch (e) {
      if (e instanceof NotifyHttpError && e.status === 404) return null;
      throw e;
    }
  }

  private post(msg: OutgoingMessage, templateId: string, personalisation: Record<string, string>) {
    const reference = msg.notificationId;
    switch (msg.channel) {
      case 'email':
        if (!msg.recipient.email) throw new NotifyHttpError(400, 'NoEmailAddress');
        return this.client.sendEmail(templateId, msg.recipient.email, { personalisation, reference });
      case 'sms':
        if (!msg.recipient.phone) throw new NotifyHttpError(400, 'NoPhoneNumber');
        return this.client.sendSms(templateId, msg.recipient.phone, { personalisation, reference });
      case 'letter': {
        const lines = msg.addressLines ?? [];
        if (lines.length < 3) throw new NotifyHttpError(400, 'NoPostalAddress');
        const address = Object.fromEntries(lines.map((l, i) => [`address_line_${i + 1}`, l]));
        return this.client.sendLetter(templateId, {
          personalisation: { ...personalisation, ...address, accessible_format: msg.accessibleFormat ?? '' },
          reference,
        });
      }
    }
  }

  /** The notification an earlier attempt sent with this reference, if Notify has it. */
  private async findByReference(reference: string): Promise<{ id: string; status: string } | null> {
    const res = await this.client.getNotifications(undefined, undefined, reference, undefined);
    const found = (res.data as { notifications?: Array<{ id: string; status: string; reference?: string | null }> }).notifications ?? [];
    return found.find((n) => n.reference === reference) ?? null;
  }
}

/** Letter address lines as Notify wants them: the name first, 3 to 7 lines, the postcode last. */
export function letterAddress(name: string, address: string | null, postcode: string | null): string[] {
  if (!postcode) return [];
  const parts = (address ?? '')
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s && s.replace(/\s/g, '').toUpperCase() !== postcode.replace(/\s/g, '').toUpperCase());
  // Seven lines at most: extra address parts join the sixth.
  const body = parts.length > 5 ? [...parts.slice(0, 4), parts.slice(4).join(', ')] : parts;
  const lines = [name, ...body, postcode];
  return lines.length >= 3 ? lines : [];
}
