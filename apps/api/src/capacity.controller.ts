// Capacity each trust declares to the group, per site, specialty and week.
import { Body, Controller, ForbiddenException, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { parseIsoDate } from '#domain';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { CapacityService, BusinessRuleError } from '#workflow';
import { CapacityDeclarationDto } from './dto/capacity.dto.js';
import { CapacityDeclarationView, CapacityList } from './dto/responses/capacity.responses.js';

@ApiTags('capacity')
@Controller('v1/capacity')
export class CapacityController {
  constructor(private readonly capacity: CapacityService) {}

  @Put(':ods/:specialty')
  @RequirePermission('capacity.write')
  @ApiOperation({
    summary:
      "Declare weekly slots offered to the group for a specialty at a site (default the main site), for one of its services (serviceId; default the site's default service for the treatment function), with optional per-week overrides (trust_admin of :ods)",
  })
  @ApiOkResponse({ type: CapacityDeclarationView, description: 'The declaration with its weeks from this week on' })
  declare(
    @CurrentCaller() caller: Caller,
    @Param('ods') ods: string,
    @Param('specialty') specialty: string,
    @Body() dto: CapacityDeclarationDto,
  ): Promise<CapacityDeclarationView> {
    if (caller.ods !== ods) throw new ForbiddenException(`Only an admin of ${ods} may declare its capacity`);
    if (!/^\d{3}$/.test(specialty)) throw new BusinessRuleError('specialty must be a 3-digit treatment function code', { field: 'specialty' });
    const from = parseIsoDate(dto.fromDate);
    const to = parseIsoDate(dto.toDate);
    if (!from) throw new BusinessRuleError('fromDate is not a real date', { field: 'fromDate' });
    if (!to) throw new BusinessRuleError('toDate is not a real date', { field: 'toDate' });
    return this.capacity.declare(ods, specialty, {
      weeklySlots: dto.weeklySlots,
      fromDate: from,
      toDate: to,
      siteOds: dto.siteOds,
      serviceId: dto.serviceId,
      weeks: dto.weeks,
    });
  }

  @Get()
  @RequirePermission('capacity.read')
  @ApiQuery({ name: 'specialty', required: false })
  @ApiOperation({ summary: 'Capacity declared across the group: slots, used and free per site and week from this week on' })
  @ApiOkResponse({ type: CapacityList })
  list(@Query('specialty') specialty?: string): Promise<CapacityList> {
    return this.capacity.list(specialty);
  }
}
