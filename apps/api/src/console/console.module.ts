// The staff console: server-rendered NHS.UK pages for booking clerks, clinicians and trust admins,
// at /console on the API's origin. Its own module beside the JSON controllers; it calls the same
// use cases in process.
import { Module } from '@nestjs/common';
import { ConfigModule } from '#config';
import { PersistenceModule } from '#persistence';
import { TaskQueries, WorkflowModule } from '#workflow';
import { ConsoleGuard } from './console-access.js';
import { ConsoleAssetsController } from './console-assets.controller.js';
import { ConsoleController } from './console.controller.js';
import { ConsoleSessions } from './console-session.js';
import { IdentityProvider } from './identity-provider.js';
import { SignInController } from './sign-in.controller.js';

@Module({
  imports: [ConfigModule, PersistenceModule, WorkflowModule],
  controllers: [ConsoleAssetsController, SignInController, ConsoleController],
  providers: [ConsoleSessions, IdentityProvider, ConsoleGuard, TaskQueries],
})
export class ConsoleModule {}
