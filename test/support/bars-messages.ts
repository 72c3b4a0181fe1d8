// BaRS-shaped messages as a referring trust's PAS would send them to POST /fhir/r4/$process-message.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { isoDay, nhsNumber } from './stack.js';

/** A BaRS servicerequest-request message opening a referral, as a referring trust's PAS would send it. */
export function newMessage(over: { nhs?: string; pathwayId?: string; nhsNumber?: string; postcode?: string } = {}): Bundle & { entry: BundleEntry[] } {
  const nhs = over.nhs ?? nhsNumber();
  const [h, sr, pt, ep] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'message',
    timestamp: new Date().toISOString(),
    entry: [
      {
        fullUrl: `urn:uuid:${h}`,
        resource: {
          resourceType: 'MessageHeader',
          id: h,
          eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' },
          reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: 'new' }] },
          source: { endpoint: 'https://pas.rlq.example.nhs.uk/fhir' },
          focus: [{ reference: `urn:uuid:${sr}` }],
        },
      },
      {
        fullUrl: `urn:uuid:${sr}`,
        resource: {
          resourceType: 'ServiceRequest',
          identifier: [{ system: 'https://fhir.crosstrust.nhs.uk/Id/patient-pathway-identifier', value: over.pathwayId ?? `B-${nhs}` }],
          status: 'active',
          intent: 'order',
          priority: 'routine',
          code: { coding: [{ system: 'http://fhir.nhs.net/CodeSystem/opcs-4', code: 'W371' }] },
          performerType: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function', code: '110' }] },
          subject: { reference: `urn:uuid:${pt}` },
        },
      },
      {
        fullUrl: `urn:uuid:${pt}`,
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: over.nhsNumber ?? nhs }],
          name: [{ family: 'Testpatient', given: ['Alex'] }],
          birthDate: '1960-05-05',
          address: [{ line: ['1 High Street', 'Hereford'], postalCode: over.postcode ?? 'HR1 2ER' }],
          telecom: [
            { system: 'phone', value: '07700900123' },
            { system: 'email', value: 'alex@example.com' },
          ],
          generalPractitioner: [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'M81001' } }],
        },
      },
      {
        fullUrl: `urn:uuid:${ep}`,
        resource: {
          resourceType: 'EpisodeOfCare',
          status: 'active',
          patient: { reference: `urn:uuid:${pt}` },
          period: { start: isoDay(-60 * 7) },
          referralRequest: [{ reference: `urn:uuid:${sr}` }],
        },
      },
    ],
  };
}

/** An update message: the ServiceRequest as the export gave it, `status` revoked or entered-in-error, `lastUpdated` the version the sender saw. */
export function updateMessage(referralId: string, status: 'revoked' | 'entered-in-error', lastUpdated: string): Bundle {
  const h = randomUUID();
  return {
    resourceType: 'Bundle',
    type: 'message',
    entry: [
      {
        fullUrl: `urn:uuid:${h}`,
        resource: {
          resourceType: 'MessageHeader',
          id: h,
          eventCoding: { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'servicerequest-request' },
          reason: { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars', code: 'update' }] },
          source: { endpoint: 'https://pas.rlq.example.nhs.uk/fhir' },
          focus: [{ reference: `ServiceRequest/${referralId}` }],
        },
      },
      {
        fullUrl: `https://pas.rlq.example.nhs.uk/fhir/ServiceRequest/${referralId}`,
        resource: {
          resourceType: 'ServiceRequest',
          id: referralId,
          meta: { lastUpdated },
          status,
          intent: 'order',
          subject: { reference: `Patient/${referralId}` },
          note: [{ text: 'Patient chose to stay at the referring trust' }],
        },
      },
    ],
  };
}
