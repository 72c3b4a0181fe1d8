// What the health routes answer with: liveness, and readiness as @nestjs/terminus reports it.
import { ApiProperty } from '@nestjs/swagger';

export class LiveView {
  @ApiProperty({ type: String, enum: ['ok'] })
  status!: 'ok';
}

const dependencies = {
  type: 'object' as const,
  description: 'Per dependency (`postgres`, `redis`): `{status: "up"}`',
  additionalProperties: {
    type: 'object' as const,
    required: ['status'],
    properties: { status: { type: 'string' as const, enum: ['up'] } },
  },
};

export class ReadyView {
  @ApiProperty({ type: String, enum: ['ok'] })
  status!: string;

  @ApiProperty({ ...dependencies, example: { postgres: { status: 'up' }, redis: { status: 'up' } } })
  info!: Record<string, { status: string }>;

  @ApiProperty({ type: 'object', additionalProperties: false, description: 'Empty when ready', example: {} })
  error!: Record<string, never>;

  @ApiProperty({ ...dependencies, example: { postgres: { status: 'up' }, redis: { status: 'up' } } })
  details!: Record<string, { status: string }>;
}
