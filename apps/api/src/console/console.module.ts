// The staff console: server-rendered NHS.UK pages for booking clerks, clinicians and trust admins,
// at /console on the API's origin. Its own module beside the JSON controllers; it calls the same
// use cases in process.
import { Module } from '@nestjs/common';
import { ConfigModule } from '#config';
import { PersistenceModule } from '#persistence';
import { TaskQueries, TeamContacts, WorkflowModule } from '#workflow';
import { ConsoleGuard } from './console-access.js';
import { ConsoleAssetsController } from './console-assets.controller.js';
import { ConsoleController } from './console.controller.js';
import { ConsoleSessions } from './console-session.js';
import { IdentityProvider } from './identity-provider.js';
import { SignInController } from './sign-in.controller.js';
import { ReferralActionsController } from './referral-actions.controller.js';
import { ReferralPage } from './referral-page.js';
import { ReferralForms } from './referral-form.js';
import { ClinicalActionsController } from './clinical-actions.controller.js';
import { FollowUpActionsController } from './follow-up-actions.controller.js';
import { OpenReferrals } from './open-referrals.js';
import { ReferralSearch } from './search.js';
import { RedisModule } from '../redis.module.js';
import { WaitingListPagesController } from './waiting-list-pages.controller.js';
import { CapacityPageController } from './capacity-page.controller.js';
import { TeamPageController } from './team-page.controller.js';
import { AdditionalRequirementsPageController } from './additional-requirements-page.controller.js';
import { ConsoleFhirController } from './fhir-download.controller.js';
import { InsightsController } from '../insights/insights.controller.js';
import { DirectoryPageController, GroupPageController } from './directory-pages.controller.js';
import { PatientInitiatedPagesController } from './patient-initiated-pages.controller.js';
import { BookingActionsController, ClinicPagesController } from './booking-actions.controller.js';

@Module({
  imports: [ConfigModule, PersistenceModule, WorkflowModule, RedisModule],
  controllers: [
    ConsoleAssetsController,
    SignInController,
    ConsoleController,
    ReferralActionsController,
    ClinicalActionsController,
    FollowUpActionsController,
    WaitingListPagesController,
    CapacityPageController,
    TeamPageController,
    AdditionalRequirementsPageController,
    ConsoleFhirController,
    InsightsController,
    DirectoryPageController,
    GroupPageController,
    PatientInitiatedPagesController,
    BookingActionsController,
    ClinicPagesController,
  ],
  providers: [ConsoleSessions, IdentityProvider, ConsoleGuard, TaskQueries, TeamContacts, ReferralPage, ReferralForms, OpenReferrals, ReferralSearch],
})
export class ConsoleModule {}
