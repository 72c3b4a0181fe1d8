// The FHIR vocabulary crosstrust speaks: UK Core profile URLs, NHS identifier systems, BaRS code
// systems, and how our referral statuses read as FHIR Task and ServiceRequest statuses.
import type { ReferralStatus } from '#domain';

/** UK Core (HL7 UK) profiles, as meta.profile names them. */
export const UK_CORE = {
  Patient: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient',
  Organization: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Organization',
  Location: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Location',
  ServiceRequest: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest',
  Task: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Task',
  Appointment: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Appointment',
  Procedure: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Procedure',
  Composition: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Composition',
  EpisodeOfCare: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-EpisodeOfCare',
  Bundle: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Bundle',
  MessageHeader: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-MessageHeader',
  OperationOutcome: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-OperationOutcome',
} as const;

export const SYSTEMS = {
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  odsOrganisation: 'https://fhir.nhs.uk/Id/ods-organization-code',
  odsSite: 'https://fhir.nhs.uk/Id/ods-site-code',
  /** OPCS-4 as the NHS terminology server names it. */
  opcs4: 'http://fhir.nhs.net/CodeSystem/opcs-4',
  snomed: 'http://snomed.info/sct',
  /** The NHS Data Dictionary's treatment function codes (110: trauma and orthopaedics). */
  treatmentFunction: 'https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function',
  /** BaRS: what a message is, new or an update, and the kind of service request (transfer of care). */
  messageEvents: 'https://fhir.nhs.uk/CodeSystem/message-events-bars',
  messageReason: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars',
  serviceRequestCategory: 'https://fhir.nhs.uk/CodeSystem/message-category-servicerequest',
  /**
   * Ours: no national system names a patient pathway identifier; the issuing trust is the
   * identifier's assigner (the data dictionary's PATIENT PATHWAY IDENTIFIER ISSUER).
   */
  pathwayId: 'https://fhir.crosstrust.nhs.uk/Id/patient-pathway-identifier',
  /** Ours: the referral's status as crosstrust names it (Task.businessStatus). */
  referralStatus: 'https://fhir.crosstrust.nhs.uk/CodeSystem/referral-status',
  /** Ours: the NHS Data Dictionary's RTT period status codes (10 started, 21 transferred, 30 stopped by treatment). */
  rttStatus: 'https://fhir.crosstrust.nhs.uk/CodeSystem/rtt-period-status',
} as const;

export const BARS_EVENT = 'servicerequest-request';

/** Our clinical priorities as FHIR's request priorities, in the same order (P1 the most urgent). */
export const FHIR_PRIORITY = { P1: 'stat', P2: 'asap', P3: 'urgent', P4: 'routine' } as const;
export type FhirPriority = (typeof FHIR_PRIORITY)[keyof typeof FHIR_PRIORITY];

type TaskStatus = 'requested' | 'received' | 'accepted' | 'rejected' | 'in-progress' | 'cancelled' | 'completed' | 'failed';
type ServiceRequestStatus = 'active' | 'on-hold' | 'completed' | 'revoked';

/**
 * Each status of ours as a FHIR Task status (the workflow's state; Task.businessStatus carries our
 * own word) and as the referral's ServiceRequest status. A record over every status, so a status
 * added to the domain fails the type check here until it is mapped.
 */
export const FHIR_STATUS: Readonly<Record<ReferralStatus, { readonly task: TaskStatus; readonly serviceRequest: ServiceRequestStatus }>> = {
  IDENTIFIED: { task: 'requested', serviceRequest: 'active' },
  AWAITING_CLINICAL_REVIEW: { task: 'received', serviceRequest: 'active' },
  AWAITING_PATIENT_CONSENT: { task: 'in-progress', serviceRequest: 'active' },
  AWAITING_RECEIVER_ACCEPTANCE: { task: 'in-progress', serviceRequest: 'active' },
  AWAITING_BOOKING: { task: 'accepted', serviceRequest: 'active' },
  BOOKED: { task: 'in-progress', serviceRequest: 'active' },
  TREATED: { task: 'in-progress', serviceRequest: 'completed' },
  DISCHARGED: { task: 'completed', serviceRequest: 'completed' },
  NOT_ELIGIBLE: { task: 'failed', serviceRequest: 'revoked' },
  NOT_SUITABLE: { task: 'rejected', serviceRequest: 'revoked' },
  DECLINED: { task: 'cancelled', serviceRequest: 'revoked' },
  // Not final (the referring trust offers the patient again elsewhere or closes it back to its own
  // list): FHIR's revoked is terminal, so the request is on hold until the referrer decides; the
  // receiving trust's task is rejected, and the RTT period goes on.
  REJECTED_BY_RECEIVER: { task: 'rejected', serviceRequest: 'on-hold' },
  WITHDRAWN: { task: 'cancelled', serviceRequest: 'revoked' },
  CANCELLED: { task: 'cancelled', serviceRequest: 'revoked' },
  // The pathway after treatment (issue 18, PW): the referral's request is met; the task (follow-up) goes on.
  FOLLOW_UP: { task: 'in-progress', serviceRequest: 'completed' },
  AWAITING_ORIGIN_ACCEPTANCE: { task: 'in-progress', serviceRequest: 'completed' },
  ORIGIN_FOLLOW_UP: { task: 'in-progress', serviceRequest: 'completed' },
  VIRTUAL_WARD: { task: 'in-progress', serviceRequest: 'completed' },
};

/** Our booking statuses as FHIR Appointment statuses. */
export const APPOINTMENT_STATUS: Readonly<Record<string, 'booked' | 'cancelled' | 'fulfilled' | 'noshow'>> = {
  BOOKED: 'booked',
  CANCELLED: 'cancelled',
  ATTENDED: 'fulfilled',
  // Booking as it really goes (issue 18): a moved appointment is replaced by a new one; a missed one is FHIR's no-show.
  RESCHEDULED: 'cancelled',
  DID_NOT_ATTEND: 'noshow',
};
