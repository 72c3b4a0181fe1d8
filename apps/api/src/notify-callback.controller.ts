// GOV.UK Notify's delivery-status callbacks: a bearer token we gave Notify (NOTIFY_CALLBACK_TOKEN),
// no JWT. The body holds the recipient (`to`): it is read for the status and never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Body, Controller, Headers, HttpCode, Inject, Post, UnauthorizedException, BadRequestException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '#config';
import { isUuid } from '#domain';
import { Public } from '#auth';
import { PrismaService } from '#persistence';
import { mapNotifyStatus } from '#notifications';
import { recordNotificationStatus } from '#workflow';
import { errorBody } from './http/http-errors.filter.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries the callback token we gave Notify (NOTIFY_CALLBACK_TOKEN); never, without one. */
export function notifyCallbackAuth(token: string | null): (authorization: string | undefined) => boolean {
  const expected = token ? digest(token) : null;
  return (authorization) => {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    // Digests are the same length whatever was sent, so the comparison takes the same time.
    return expected !== null && m !== null && timingSafeEqual(digest(m[1]), expected);
  };
}

/** Notify's callback body (fields we use; it sends others, such as `to` and `template_id`). */
interface NotifyCallback {
  id: string;
  reference: string | null;
  status: string;
  created_at?: string | null;
  completed_at?: string | null;
  sent_at?: string | null;
  notification_type?: string;
}

function parse(body: unknown): NotifyCallback {
  const b = body as Record<string, unknown> | null;
  const str = (k: string) => (typeof b?.[k] === 'string' ? b[k] : null);
  const id = str('id');
  const status = str('status');
  const reference = str('reference');
  // Bad input answers like the rest of the API: details name each field that is wrong.
  const details: Array<{ field: string; messages: string[] }> = [];
  if (!isUuid(id)) details.push({ field: 'id', messages: ["id must be GOV.UK Notify's notification id (a UUID)"] });
  if (!status || !/^[a-z-]{1,40}$/.test(status)) details.push({ field: 'status', messages: ['status must be a GOV.UK Notify status, such as delivered'] });
  if (details.length || !id || !status) throw new BadRequestException(errorBody(400, 'Expected a GOV.UK Notify delivery receipt: id and status', details));
  return { id, status, reference: isUuid(reference) ? reference : null, completed_at: str('completed_at'), sent_at: str('sent_at') };
}

@ApiExcludeController()
@Controller('v1/notify')
@Public()
export class NotifyCallbackController {
  private readonly authorised: (authorization: string | undefined) => boolean;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.authorised = notifyCallbackAuth(config.notify.callbackToken);
  }

  @Post('delivery-status')
  @HttpCode(204)
  async deliveryStatus(@Headers('authorization') authorization: string | undefined, @Body() body: unknown): Promise<void> {
    if (!this.authorised(authorization)) throw new UnauthorizedException('A valid callback bearer token is required');
    const cb = parse(body);
    const at = cb.completed_at ?? cb.sent_at ?? null;
    const providerAt = at && !Number.isNaN(Date.parse(at)) ? new Date(at) : null;
    // Our id is the reference; Notify's id finds a row whose reference was lost. A letter sent by hand
    // from Notify's website has no reference and no row of ours: 204, and nothing changes.
    await this.prisma.sqlTransaction((tx) =>
      recordNotificationStatus(tx, { notificationId: cb.reference, providerId: cb.id, status: mapNotifyStatus(cb.status), providerAt, source: 'callback' }),
    );
  }
}
