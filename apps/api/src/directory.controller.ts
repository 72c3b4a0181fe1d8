// The group's service directory (sites and their services, kept by each trust's admins), postcode
// geography for travel distances (the ONS Postcode Directory, streamed), and the group's membership.
import { PassThrough } from 'node:stream';
import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentCaller, RequirePermission, type Caller } from '#auth';
import { BusinessRuleError, POSTCODE_COLUMNS, ServiceDirectory, UploadRefusedError } from '#workflow';
import { NewTrustDto, ServiceDto, SiteDto } from './dto/directory.dto.js';
import { AddedTrustView, GroupView, PostcodeLoadView, ServiceView, SiteList, SiteView } from './dto/responses/directory.responses.js';
import { bodyDeadline } from './http/request-deadlines.js';
import { uuidParam } from './http/uuid-param.js';

const SITE_ODS = /^[A-Z0-9]{3,6}$/;
/** More than the whole ONS Postcode Directory (about 1.3 GB of CSV); send it gzip-compressed. */
export const POSTCODES_MAX_BYTES = 2 * 1024 ** 3;

function siteOdsParam(siteOds: string): string {
  if (!SITE_ODS.test(siteOds)) throw new BusinessRuleError('siteOds must be an ODS site code (3 to 6 capital letters and digits)', { field: 'siteOds' });
  return siteOds;
}

@ApiTags('directory')
@Controller('v1/directory')
export class DirectoryController {
  constructor(private readonly directory: ServiceDirectory) {}

  @Get('sites')
  @RequirePermission('directory.read')
  @ApiQuery({ name: 'ods', required: false, description: 'Only the sites of this trust' })
  @ApiOperation({ summary: "The sites of the caller's group, each with the services it offers (procedures accepted, exclusions, booking guidance)" })
  @ApiOkResponse({ type: SiteList })
  sites(@CurrentCaller() caller: Caller, @Query('ods') ods?: string): Promise<SiteList> {
    if (ods !== undefined && !/^[A-Z0-9]{3}$/.test(ods)) throw new BusinessRuleError('ods must be a 3-character ODS trust code', { field: 'ods' });
    return this.directory.sites(caller, ods);
  }

  @Put('sites/:siteOds')
  @RequirePermission('directory.write')
  @ApiOperation({
    summary:
      "Add or change a site of the caller's trust: name, address, postcode (placed from the postcode tables) and its booking team's phone (trust_admin; another trust's site: 403)",
  })
  @ApiOkResponse({ type: SiteView })
  @ApiForbiddenResponse({ description: "The site is another trust's" })
  putSite(@CurrentCaller() caller: Caller, @Param('siteOds') siteOds: string, @Body() dto: SiteDto): Promise<SiteView> {
    return this.directory.putSite(caller, siteOdsParam(siteOds), dto);
  }

  @Post('sites/:siteOds/services')
  @HttpCode(201)
  @RequirePermission('directory.write')
  @ApiOperation({
    summary:
      "Add a service a site of the caller's trust offers the group: treatment function, OPCS-4 procedures accepted, exclusions, booking guidance (trust_admin)",
  })
  @ApiCreatedResponse({ type: ServiceView })
  @ApiForbiddenResponse({ description: "The site is another trust's" })
  @ApiNotFoundResponse({ description: 'No such site' })
  addService(@CurrentCaller() caller: Caller, @Param('siteOds') siteOds: string, @Body() dto: ServiceDto): Promise<ServiceView> {
    return this.directory.addService(caller, siteOdsParam(siteOds), dto);
  }

  @Put('services/:id')
  @RequirePermission('directory.write')
  @ApiOperation({ summary: "Change a service of the caller's trust (its treatment function stays) (trust_admin)" })
  @ApiOkResponse({ type: ServiceView })
  @ApiForbiddenResponse({ description: "The service is another trust's" })
  @ApiNotFoundResponse({ description: 'No such service' })
  putService(@CurrentCaller() caller: Caller, @Param('id', uuidParam('id')) id: string, @Body() dto: ServiceDto): Promise<ServiceView> {
    return this.directory.putService(caller, id, dto);
  }
}

@ApiTags('directory')
@Controller('v1/postcodes')
export class PostcodesController {
  constructor(private readonly directory: ServiceDirectory) {}

  @Post('loads')
  @HttpCode(200)
  @RequirePermission('postcodes.load')
  @ApiOperation({
    summary: 'Load postcode geography from the ONS Postcode Directory (ONSPD) CSV, streamed, for travel distances at full-postcode precision (trust_admin)',
    description:
      `Content-Type: text/csv (UTF-8), optionally Content-Encoding: gzip. Header row with at least ${POSTCODE_COLUMNS.required.join(', ')} ` +
      `(and ${POSTCODE_COLUMNS.optional.join(', ')}); other ONSPD columns are ignored. Terminated postcodes (doterm set) are skipped and removed; ` +
      'live ones are added or updated with their LSOAs; each district touched gets the centroid of its live postcodes. One transaction: ' +
      `a refused file changes nothing. At most ${POSTCODES_MAX_BYTES} bytes of CSV; the same upload deadlines as the waiting list.`,
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiHeader({ name: 'Content-Encoding', required: false, schema: { type: 'string', enum: ['identity', 'gzip'] } })
  @ApiOkResponse({ type: PostcodeLoadView })
  @ApiPayloadTooLargeResponse({ description: 'Larger than the most accepted' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not text/csv, or an unsupported Content-Encoding' })
  async load(@Req() request: FastifyRequest): Promise<PostcodeLoadView> {
    const req = request.raw;
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/csv') {
      const message = `Send the ONS Postcode Directory as text/csv (Content-Type was ${type || 'missing'})`;
      throw new UploadRefusedError('UPLOAD_NOT_CSV', message, [{ field: 'Content-Type', messages: [message] }]);
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      const message = `Content-Encoding ${encoding} is not supported: send the CSV as is or gzip-compressed`;
      throw new UploadRefusedError('UPLOAD_NOT_CSV', message, [{ field: 'Content-Encoding', messages: [message] }]);
    }
    const body = new PassThrough();
    const interrupted = () => {
      if (!req.complete) body.destroy(new UploadRefusedError('UPLOAD_UNREADABLE', 'The upload was interrupted'));
    };
    req.once('close', interrupted);
    const deadline = bodyDeadline(request);
    deadline?.claim((message) => body.destroy(new UploadRefusedError('UPLOAD_TOO_SLOW', message, [{ field: 'body', messages: [message] }])));
    req.pipe(body);
    try {
      return await this.directory.loadPostcodes(body, { gzip: encoding === 'gzip', maxBytes: POSTCODES_MAX_BYTES });
    } catch (e) {
      req.unpipe(body);
      if (!req.complete) req.resume();
      throw e;
    } finally {
      req.off('close', interrupted);
      deadline?.release();
    }
  }
}

@ApiTags('directory')
@Controller('v1/group')
export class GroupController {
  constructor(private readonly directory: ServiceDirectory) {}

  @Get()
  @RequirePermission('group.read')
  @ApiOperation({ summary: "The caller's group and its member trusts (which trusts refer to which)" })
  @ApiOkResponse({ type: GroupView })
  group(@CurrentCaller() caller: Caller): Promise<GroupView> {
    return this.directory.group(caller);
  }

  @Post('trusts')
  @HttpCode(201)
  @RequirePermission('group.write')
  @ApiOperation({
    summary:
      "Add a trust to the caller's group, with its main site (group_admin): its admins then keep its sites, services and capacity, and it refers to and receives from the group",
  })
  @ApiCreatedResponse({ type: AddedTrustView })
  addTrust(@CurrentCaller() caller: Caller, @Body() dto: NewTrustDto): Promise<AddedTrustView> {
    return this.directory.addTrust(caller, dto);
  }
}
