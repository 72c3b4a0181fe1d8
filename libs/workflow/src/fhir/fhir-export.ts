// The referral as FHIR: the view the caller may read (scoped and minimised there), with the names
// of the trusts and sites it mentions, made into the UK Core Bundle.
import { Inject, Injectable } from '@nestjs/common';
import type { Bundle, ServiceRequest } from '@medplum/fhirtypes';
import type { Caller } from '#auth';
import { APP_CONFIG, type AppConfig } from '#config';
import { PrismaService } from '#persistence';
import { ReferralQueries } from '../referral-queries.js';
import { SiteNames } from '../site-names.js';
import { referralBundle } from './referral-bundle.js';

@Injectable()
export class FhirExport {
  constructor(
    private readonly prisma: PrismaService,
    private readonly queries: ReferralQueries,
    private readonly sites: SiteNames,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The referral's Bundle; 404 (ReferralNotFoundError) when the caller may not see it. `base`: the FHIR base URL. */
  async bundle(caller: Caller, id: string, base: string): Promise<Bundle> {
    const view = await this.queries.get(caller, id);
    const [{ rows }, sites] = await Promise.all([this.prisma.sql.query<{ ods: string; name: string }>('SELECT ods, name FROM trust'), this.sites.all()]);
    return referralBundle(view, { trusts: new Map(rows.map((r) => [r.ods, r.name])), sites }, base, {
      reofferWindowDays: this.config.workflow.reofferWindowDays,
    });
  }

  /** The referral's ServiceRequest alone, as its Bundle has it (what a BaRS response's focus is). */
  async serviceRequest(caller: Caller, id: string, base: string): Promise<{ fullUrl: string; resource: ServiceRequest }> {
    const entry = (await this.bundle(caller, id, base)).entry!.find((e) => e.resource?.resourceType === 'ServiceRequest')!;
    return { fullUrl: entry.fullUrl!, resource: entry.resource as ServiceRequest };
  }
}
