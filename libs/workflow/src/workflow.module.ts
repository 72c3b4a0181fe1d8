// The workflow use cases, for the API (human steps and reads) and the worker (automated steps).
import { Module } from '@nestjs/common';
import { AutomatedSteps } from './automated-steps.js';
import { OfferMatcher } from './offer-matcher.js';
import {
  AdditionalRequirementsRecord,
  Bookings,
  ClinicalPackage,
  ClinicalReview,
  Consent,
  InformationRequests,
  ClinicSessions,
  OpenReferral,
  PatientContact,
  ReferralExits,
  TransferOfCare,
  Reoffer,
  TreatmentAndDischarge,
} from './referral/index.js';
import { ATTACHMENT_STORE, Attachments, PostgresAttachmentStore } from './attachments/index.js';
import { ReferralQueries } from './referral-queries.js';
import { CapacityService } from './capacity.js';
import { MatchingRuns } from './matching-runs.js';
import { WaitingListImports } from './waiting-list/waiting-list-imports.js';
import { WaitingListImporter } from './waiting-list/waiting-list-importer.js';
import { LongWaiters } from './waiting-list/long-waiters.js';
import { DemographicsCheck } from './patient-record.js';
import { OutboxCompletions } from './outbox/outbox.js';
import { NeedsAttention } from './outbox/needs-attention.js';
import { SiteNames } from './site-names.js';
import { BarsIntake, FhirExport } from './fhir/index.js';
import { InsightQueries } from './insights/insight-queries.js';
import { InsightFigures } from './insights/insight-figures.js';
import { WeeklyReports } from './insights/weekly-reports.js';
import { ServiceDirectory } from './directory/service-directory.js';
import { PatientInitiated } from './pidmas/patient-initiated.js';

/** The steps people take, one provider per stage. */
const REFERRAL_STEPS = [
  OpenReferral,
  ClinicalReview,
  Consent,
  TransferOfCare,
  Reoffer,
  Bookings,
  TreatmentAndDischarge,
  ReferralExits,
  PatientContact,
  AdditionalRequirementsRecord,
  ClinicalPackage,
  InformationRequests,
  Attachments,
  ClinicSessions,
];

/** What the api and the worker use; the providers behind them stay inside. */
const EXPORTED = [
  OutboxCompletions,
  NeedsAttention,
  ...REFERRAL_STEPS,
  ReferralQueries,
  AutomatedSteps,
  CapacityService,
  MatchingRuns,
  WaitingListImports,
  WaitingListImporter,
  LongWaiters,
  SiteNames,
  FhirExport,
  BarsIntake,
  InsightQueries,
  InsightFigures,
  WeeklyReports,
  ServiceDirectory,
  PatientInitiated,
];

/** Where attachments' bytes live: Postgres locally; a blob store binds here instead. */
const STORES = [{ provide: ATTACHMENT_STORE, useClass: PostgresAttachmentStore }];

@Module({ providers: [DemographicsCheck, OfferMatcher, ...STORES, ...EXPORTED], exports: EXPORTED })
export class WorkflowModule {}
