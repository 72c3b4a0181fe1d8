// The tasks worklist of a trust's booking and clinical teams, and the addresses those teams are
// emailed at when work lands on their worklists (managed by the trust's admin).
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { TASK_STATUSES, TASK_TEAMS, TaskQueries, TeamContacts, BusinessRuleError, type TaskStatus, type TaskTeam } from '#workflow';
import { uuidParam } from './http/uuid-param.js';
import { PageQueryDto } from './dto/page-query.dto.js';
import { TaskPage, TaskView, TeamContactList, TeamContactView } from './dto/responses/tasks.responses.js';

export class TaskQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TASK_TEAMS })
  @IsOptional()
  @IsIn(TASK_TEAMS, { message: `$property must be one of ${TASK_TEAMS.join(', ')}` })
  team?: TaskTeam;

  @ApiPropertyOptional({ example: 'offer_unanswered' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_]{0,63}$/, { message: '$property must be a task kind such as offer_unanswered' })
  kind?: string;

  @ApiPropertyOptional({ enum: TASK_STATUSES, default: 'OPEN' })
  @IsOptional()
  @IsIn(TASK_STATUSES, { message: `$property must be one of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus;
}

export class TeamContactDto {
  @ApiProperty({ example: 'booking-team.rlq@example.nhs.uk', description: "The team's shared mailbox (no personal addresses needed)" })
  @IsEmail({}, { message: '$property must be an email address' })
  @MaxLength(254)
  email!: string;
}

@ApiTags('tasks')
@Controller('v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TaskQueries) {}

  @Get()
  @RequirePermission('task.read')
  @ApiOperation({ summary: "Tasks of the caller's trust (unanswered offers, undeliverable notifications...), oldest first, keyset-paginated" })
  @ApiOkResponse({ type: TaskPage })
  list(@CurrentCaller() caller: Caller, @Query() q: TaskQueryDto): Promise<TaskPage> {
    return this.tasks.list(caller.ods!, q);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @RequirePermission('task.complete')
  @ApiOperation({ summary: "Mark a task of the caller's trust done" })
  @ApiNotFoundResponse({ description: "Not there, or another trust's task" })
  @ApiConflictResponse({ description: 'Already done' })
  @ApiOkResponse({ type: TaskView, description: 'The task, done' })
  complete(@CurrentCaller() caller: Caller, @Param('id', uuidParam('id')) id: string): Promise<TaskView> {
    return this.tasks.complete(caller.ods!, caller.sub, id);
  }
}

@ApiTags('tasks')
@Controller('v1/team-contacts')
export class TeamContactsController {
  constructor(private readonly contacts: TeamContacts) {}

  @Get()
  @RequirePermission('team-contact.read')
  @ApiOperation({ summary: "Where each team of the caller's trust is emailed when work lands on its worklist" })
  @ApiOkResponse({ type: TeamContactList })
  list(@CurrentCaller() caller: Caller): Promise<TeamContactList> {
    return this.contacts.list(caller.ods!);
  }

  @Put(':team')
  @RequirePermission('team-contact.write')
  @ApiOperation({ summary: "Set the address a team of the caller's trust is emailed at (trust_admin)" })
  @ApiOkResponse({ type: TeamContactView })
  put(@CurrentCaller() caller: Caller, @Param('team') team: string, @Body() dto: TeamContactDto): Promise<TeamContactView> {
    if (!(TASK_TEAMS as readonly string[]).includes(team)) throw new BusinessRuleError(`team must be one of ${TASK_TEAMS.join(', ')}`, { field: 'team' });
    return this.contacts.put(caller.ods!, team as TaskTeam, dto.email, caller.sub);
  }
}
