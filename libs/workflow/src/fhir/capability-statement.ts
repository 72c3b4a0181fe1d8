// What the FHIR endpoints support, as GET /fhir/r4/metadata answers it (a CapabilityStatement).
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { UK_CORE } from './fhir-codes.js';

/** `base`: the FHIR base URL; `date`: when this software was released or started. */
export function capabilityStatement(base: string, date: string): CapabilityStatement {
  const read = (type: keyof typeof UK_CORE) => ({
    type,
    profile: UK_CORE[type],
    documentation: 'Exported within the referral Bundle of GET /v1/referrals/{id}/fhir; not read on its own',
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'crosstrust',
    kind: 'instance',
    implementation: { description: 'crosstrust: cross-trust patient transfer workflow', url: base },
    software: { name: 'crosstrust' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Bearer tokens as the rest of the API. The referral export is GET /v1/referrals/{id}/fhir (staff of a party trust); ' +
          'BaRS-shaped referrals arrive at $process-message (integration role, X-Request-ID required).',
        security: { cors: false, description: 'OAuth2 bearer token (NHS CIS2 for staff, a service token for integrations)' },
        resource: [
          ...(['Patient', 'Organization', 'Location', 'ServiceRequest', 'Task', 'Appointment', 'Procedure', 'Composition', 'EpisodeOfCare'] as const).map(read),
        ],
        operation: [{ name: 'process-message', definition: 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message' }],
      },
    ],
    messaging: [
      {
        documentation: 'BaRS-shaped: servicerequest-request, reason new (opens a referral) or update (revoked: withdrawn; entered-in-error: cancelled)',
        supportedMessage: [{ mode: 'receiver', definition: 'https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-referral' }],
      },
    ],
  };
}
