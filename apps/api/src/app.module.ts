// The HTTP API: controllers, guards and validation. It writes state and outbox rows; it enqueues nothing.
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigModule, loggingModule } from '#config';
import { PersistenceModule } from '#persistence';
import { AuthModule } from '#auth';
import { WorkflowModule } from '#workflow';
import { ReferralsController } from './referrals.controller.js';
import { PatientController } from './patient.controller.js';
import { CapacityController } from './capacity.controller.js';
import { HealthController } from './health.controller.js';
import { HttpErrorsFilter } from './http/http-errors.filter.js';
import { redisProviders } from './redis.provider.js';

@Module({
  imports: [ConfigModule, loggingModule('api'), PersistenceModule, AuthModule, WorkflowModule, TerminusModule.forRoot({ logger: false })],
  controllers: [ReferralsController, PatientController, CapacityController, HealthController],
  providers: [{ provide: APP_FILTER, useClass: HttpErrorsFilter }, ...redisProviders],
})
export class ApiModule {}
