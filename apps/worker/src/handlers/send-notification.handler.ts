// The notification.send job: runs the SendNotification use case (libs/workflow/src/notifications/).
import { Injectable } from '@nestjs/common';
import type { JobPayloads } from '#queue';
import { SendNotification } from '#workflow';
import type { JobHandler } from './job-handler.js';

@Injectable()
export class SendNotificationHandler implements JobHandler<'notification.send'> {
  readonly jobName = 'notification.send' as const;
  constructor(private readonly sending: SendNotification) {}
  handle(p: JobPayloads['notification.send']) {
    return this.sending.send(p.notificationId);
  }
}
