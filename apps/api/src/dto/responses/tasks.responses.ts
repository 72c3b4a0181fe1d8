// What the tasks and team-contacts routes answer with (libs/workflow/src/tasks-queries.service.ts).
import { ApiProperty } from '@nestjs/swagger';
import { TASK_STATUSES, TASK_TEAMS } from '#workflow';
import { DATE_TIME, ODS, UUID } from './common.js';

export class TaskView {
  @ApiProperty(UUID)
  id!: string;

  @ApiProperty(ODS)
  trustOds!: string;

  @ApiProperty({ enum: TASK_TEAMS })
  team!: string;

  @ApiProperty({
    type: String,
    example: 'offer_unanswered',
    description: 'What needs doing: offer_unanswered, notification_failed, accessible_format, demographics_mismatch, staff_email_failed...',
  })
  kind!: string;

  @ApiProperty({ ...UUID, nullable: true })
  referralId!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'What the task is about (ids and codes, never patient details)' })
  detail!: unknown;

  @ApiProperty({ enum: TASK_STATUSES })
  status!: string;

  @ApiProperty(DATE_TIME)
  createdAt!: string;

  @ApiProperty({ ...DATE_TIME, nullable: true })
  completedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Subject of whoever completed it' })
  completedBy!: string | null;
}

export class TaskPage {
  @ApiProperty({ type: () => [TaskView], description: 'Oldest first' })
  items!: TaskView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })
  nextCursor!: string | null;
}

export class TeamContactView {
  @ApiProperty(ODS)
  trustOds!: string;

  @ApiProperty({ enum: TASK_TEAMS })
  team!: string;

  @ApiProperty({ type: String, format: 'email', example: 'booking-team.rlq@example.nhs.uk' })
  email!: string;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;

  @ApiProperty({ type: String, description: 'Subject of the admin who set it' })
  updatedBy!: string;
}

export class TeamContactList {
  @ApiProperty({ type: () => [TeamContactView], description: 'By team' })
  items!: TeamContactView[];
}
