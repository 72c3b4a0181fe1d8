// Matching runs: how the group's free capacity for a specialty could serve its longest waiters.
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { MatchingRuns } from '#workflow';
import { MatchingRunDto } from './dto/capacity.dto.js';
import { uuidParam } from './http/uuid-param.js';
import { MatchingRunView } from './dto/responses/capacity.responses.js';

@ApiTags('capacity')
@Controller('v1/matching/runs')
export class MatchingController {
  constructor(private readonly runs: MatchingRuns) {}

  @Post()
  @HttpCode(201)
  @RequirePermission('matching.run')
  @ApiOperation({
    summary:
      "Propose how the group's free capacity for a specialty could be used for open, unreferred waiting-list entries waiting at least minWeeks: longest wait first (priority breaks ties), nearest site of another trust with room within radiusMiles; counts per cohort band, receiving trust, site and week; placements (who would go where) only for the caller's own trust's waiting list. Changes nothing; the run is stored.",
  })
  @ApiCreatedResponse({ type: MatchingRunView, description: 'The run, stored' })
  run(@CurrentCaller() caller: Caller, @Body() dto: MatchingRunDto): Promise<MatchingRunView> {
    return this.runs.run(caller, { specialtyCode: dto.specialtyCode, minWeeks: dto.minWeeks, radiusMiles: dto.radiusMiles, horizonWeeks: dto.horizonWeeks });
  }

  @Get(':id')
  @RequirePermission('matching.run')
  @ApiOperation({ summary: "A stored matching run of the caller's trust: its parameters and proposal (placements of the trust's own waiting list only)" })
  @ApiNotFoundResponse({ description: "No such run, or another trust's run" })
  @ApiOkResponse({ type: MatchingRunView })
  async get(@CurrentCaller() caller: Caller, @Param('id', uuidParam('id')) id: string): Promise<MatchingRunView> {
    // params and result are the JSON run() stored, of the same shape.
    return (await this.runs.get(caller, id)) as MatchingRunView;
  }
}
