// The referral as FHIR R4 from the console: the same Bundle as GET /v1/referrals/:id/fhir (scoped
// and minimised by role the same way, audited as referral.fhir-export), as a file to download.
import { Controller, Get, Inject, Param, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '#config';
import { Public } from '#auth';
import { isUuid } from '#domain';
import { FhirExport } from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import { FHIR_JSON, fhirBase } from '../fhir/fhir-http.js';

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console')
export class ConsoleFhirController {
  private readonly base: string;

  constructor(
    private readonly fhir: FhirExport,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.base = fhirBase(config.http.publicBaseUrl);
  }

  @Get('referrals/:id/fhir')
  @ConsoleAccess('referral.fhir-export')
  async download(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!isUuid(id)) throw new ConsolePageError(404, 'Page not found', 'There is no referral at this address, or it is not one your trust can see.');
    const bundle = await this.fhir.bundle(req.caller!, id, this.base);
    res.header('Content-Type', FHIR_JSON);
    res.header('Content-Disposition', `attachment; filename="referral-${id}.fhir.json"`);
    return JSON.stringify(bundle, null, 2);
  }
}
