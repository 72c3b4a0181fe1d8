// The HTTP API: controllers, guards and validation. It writes state and outbox rows; it enqueues nothing.
import { Module, type DynamicModule } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigModule, loggingModule } from '#config';
import { PersistenceModule } from '#persistence';
import { AuthModule } from '#auth';
import { OutboxDirect, TaskQueries, TeamContacts, WorkflowModule } from '#workflow';
import { ProducerQueues } from '#queue';
import { ReferralsController } from './referrals.controller.js';
import { BookingChangesController, BookingPolicyController, ClinicsController } from './booking-changes.controller.js';
import { AppointmentLinks, AppointmentPageController } from './offer-page/appointment-page.controller.js';
import { AdditionalRequirementsController } from './additional-requirements.controller.js';
import { ClinicalController, ReasonCodesController } from './clinical.controller.js';
import { PatientController } from './patient.controller.js';
import { CapacityController } from './capacity.controller.js';
import { MatchingController } from './matching.controller.js';
import { PidmasController } from './pidmas.controller.js';
import { InsightsApiController } from './insights.controller.js';
import { HealthController } from './health.controller.js';
import { NotifyCallbackController } from './notify-callback.controller.js';
import { TasksController, TeamContactsController } from './tasks.controller.js';
import { HttpErrorsFilter } from './http/http-errors.filter.js';
import { RedisModule } from './redis.module.js';
import { AuditController } from './audit.controller.js';
import { LongWaitersController, WaitingListController } from './waiting-list.controller.js';
import { AuditInterceptor } from './http/audit.interceptor.js';
import { RateLimitInterceptor } from './http/rate-limit.interceptor.js';
import { ApiMetrics } from './operator/api-metrics.js';
import { MonitoredQueues } from './operator/monitored-queues.js';
import { OfferPageController } from './offer-page/offer-page.controller.js';
import { OptInPageController } from './offer-page/opt-in-page.controller.js';
import { OfferLinkService } from './offer-page/offer-link.service.js';
import { ConsoleModule } from './console/console.module.js';
import { FhirModule } from './fhir/fhir.module.js';
import { DirectoryController, GroupController, PostcodesController } from './directory.controller.js';

@Module({
  imports: [ConfigModule, PersistenceModule, AuthModule, WorkflowModule, RedisModule, ConsoleModule, FhirModule, TerminusModule.forRoot({ logger: false })],
  controllers: [
    ReferralsController,
    AdditionalRequirementsController,
    ClinicalController,
    ReasonCodesController,
    PatientController,
    CapacityController,
    MatchingController,
    PidmasController,
    InsightsApiController,
    AuditController,
    WaitingListController,
    LongWaitersController,
    HealthController,
    NotifyCallbackController,
    TasksController,
    TeamContactsController,
    OfferPageController,
    OptInPageController,
    DirectoryController,
    PostcodesController,
    GroupController,
    BookingChangesController,
    ClinicsController,
    BookingPolicyController,
    AppointmentPageController,
  ],
  providers: [
    { provide: APP_FILTER, useClass: HttpErrorsFilter },
    // Order matters: the rate limit first (a refused request does no work), then the audit trail.
    { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    MonitoredQueues,
    // With OUTBOX_DIRECT_ENQUEUE on, a command's jobs are enqueued by the api itself straight after its commit.
    ProducerQueues,
    OutboxDirect,
    TaskQueries,
    TeamContacts,
    ApiMetrics,
    OfferLinkService,
    AppointmentLinks,
  ],
})
export class ApiModule {
  /** The logger is added here so a test can read the log lines (`logDestination`); by default they go to stdout. */
  static register(opts: { logDestination?: DestinationStream } = {}): DynamicModule {
    return { module: ApiModule, imports: [loggingModule('api', opts.logDestination)] };
  }
}
