// FHIR R4 over HTTP: the referral export, the CapabilityStatement and BaRS-shaped intake, in a module
// of their own so that their OperationOutcome errors stay with them.
import { Module } from '@nestjs/common';
import { ConfigModule } from '#config';
import { PersistenceModule } from '#persistence';
import { WorkflowModule } from '#workflow';
import { FhirController } from './fhir.controller.js';

@Module({
  imports: [ConfigModule, PersistenceModule, WorkflowModule],
  controllers: [FhirController],
})
export class FhirModule {}
