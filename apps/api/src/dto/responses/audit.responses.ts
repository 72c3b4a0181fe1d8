// What GET /v1/audit answers with (libs/auth/src/audit.service.ts).
import { ApiProperty } from '@nestjs/swagger';
import { ActorView } from './referral.responses.js';
import { DATE_TIME, UUID } from './common.js';

export class AuditEventView {
  @ApiProperty({ type: String, example: '88213', description: 'Increasing; newer events have larger ids' })
  id!: string;

  @ApiProperty(DATE_TIME)
  at!: string;

  @ApiProperty({ type: () => ActorView })
  actor!: ActorView;

  @ApiProperty({ type: String, example: 'referral.read', description: 'The permission the route needed (libs/auth/src/roles.ts): what was done' })
  action!: string;

  @ApiProperty({ ...UUID, nullable: true })
  referralId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The request id (X-Request-Id) the API logged it under' })
  requestId!: string | null;

  @ApiProperty({ type: 'integer', example: 200, description: 'The HTTP status answered' })
  outcome!: number;
}

export class AuditPage {
  @ApiProperty({ type: () => [AuditEventView], description: 'Newest first' })
  items!: AuditEventView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })
  nextCursor!: string | null;
}
