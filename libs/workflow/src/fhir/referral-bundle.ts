// A referral as FHIR R4 UK Core resources in one collection Bundle, made from the referral view
// the caller may read (so trust scoping and the minimising by role are the view's, not restated).
import type {
  Appointment,
  Bundle,
  BundleEntry,
  Composition,
  EpisodeOfCare,
  Location,
  Organization,
  Patient,
  Procedure,
  Reference,
  Resource,
  ServiceRequest,
  Task,
} from '@medplum/fhirtypes';
import { RECEIVER_OWNS, reopenableNow } from '#domain';
import type { ReferralQueries } from '../referral-queries.js';
import { APPOINTMENT_STATUS, FHIR_PRIORITY, FHIR_STATUS, SYSTEMS, UK_CORE } from './fhir-codes.js';

/** The referral view (ReferralQueries#get) the export is made from. */
export type ReferralViewForFhir = Awaited<ReturnType<ReferralQueries['get']>>;

/** Names the export gives organisations and sites, by ODS code (the trust and site tables). */
export interface FhirDirectory {
  readonly trusts: ReadonlyMap<string, string>;
  readonly sites: ReadonlyMap<string, { readonly name: string; readonly trustOds: string }>;
}

const ref = <T extends Resource>(type: T['resourceType'], id: string, display?: string): Reference<T> => ({
  reference: `${type}/${id}`,
  ...(display ? { display } : {}),
});
const orgRef = (ods: string, dir: FhirDirectory) => ref<Organization>('Organization', ods, dir.trusts.get(ods));

/** The patient as a staff member's referral view has them (the export is for staff only). */
interface StaffPatientView {
  readonly nhsNumber: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly dateOfBirth: string;
  readonly address?: string | null;
  readonly postcode?: string;
  readonly phone?: string | null;
  readonly email?: string | null;
  readonly gpPracticeOds?: string;
}
const profile = (type: keyof typeof UK_CORE, lastUpdated?: string) => ({ profile: [UK_CORE[type]], ...(lastUpdated ? { lastUpdated } : {}) });
const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** When the Bundle is made (`now`, the present by default), and the re-offer window (REOFFER_WINDOW_DAYS) its request's status depends on. */
export interface BundleTime {
  readonly now?: Date;
  readonly reofferWindowDays: number;
}

/**
 * The Bundle (type `collection`: a snapshot of the referral's record, not one signed document;
 * the discharge summary inside it is a Composition). `base`: the FHIR base URL for fullUrls.
 */
export function referralBundle(view: ReferralViewForFhir, dir: FhirDirectory, base: string, when: BundleTime): Bundle {
  const status = view.status;
  const now = when.now ?? new Date();
  // A declined or cancelled referral its trust may still offer elsewhere (the re-offer window) is
  // on hold, not revoked: FHIR's revoked is terminal, and a re-open makes it active again.
  const requestStatus = reopenableNow(status, view.timeline, when.reofferWindowDays, now) ? 'on-hold' : FHIR_STATUS[status].serviceRequest;
  const subject = ref<Patient>('Patient', view.id);
  const serviceRequest = ref<ServiceRequest>('ServiceRequest', view.id);
  const resources: Resource[] = [];

  if ('patient' in view && view.patient) {
    const p = view.patient as StaffPatientView;
    const patient: Patient = {
      resourceType: 'Patient',
      id: view.id,
      meta: profile('Patient'),
      identifier: [{ system: SYSTEMS.nhsNumber, value: p.nhsNumber }],
      name: [{ use: 'official', family: p.familyName, given: [p.givenName] }],
      birthDate: p.dateOfBirth,
      ...(p.postcode !== undefined ? { address: [{ use: 'home', ...(p.address ? { line: [p.address] } : {}), postalCode: p.postcode }] } : {}),
      ...(p.phone || p.email
        ? {
            telecom: [...(p.phone ? [{ system: 'phone' as const, value: p.phone }] : []), ...(p.email ? [{ system: 'email' as const, value: p.email }] : [])],
          }
        : {}),
      ...(p.gpPracticeOds ? { generalPractitioner: [{ identifier: { system: SYSTEMS.odsOrganisation, value: p.gpPracticeOds } }] } : {}),
    };
    resources.push(patient);
  }

  // The organisations on the pathway: the referring trust, the receiving trust while it is a party, the patient's GP practice.
  const orgs = new Set([view.originOds, ...(view.receivingOds ? [view.receivingOds] : [])]);
  for (const ods of orgs) {
    const org: Organization = {
      resourceType: 'Organization',
      id: ods,
      meta: profile('Organization'),
      identifier: [{ system: SYSTEMS.odsOrganisation, value: ods }],
      active: true,
      ...(dir.trusts.get(ods) ? { name: dir.trusts.get(ods) } : {}),
    };
    resources.push(org);
  }

  // Sites the patient is booked at or was offered, as Locations of their trusts.
  const siteCodes = new Set([...view.bookings.map((b) => b.siteOds), ...view.offers.map((o) => o.siteOds)]);
  for (const code of siteCodes) {
    const site = dir.sites.get(code);
    const location: Location = {
      resourceType: 'Location',
      id: code,
      meta: profile('Location'),
      identifier: [{ system: SYSTEMS.odsSite, value: code }],
      status: 'active',
      ...(site ? { name: site.name, managingOrganization: { identifier: { system: SYSTEMS.odsOrganisation, value: site.trustOds } } } : {}),
    };
    resources.push(location);
  }

  const requester = orgRef(view.originOds, dir);
  const receiver = view.receivingOds ? orgRef(view.receivingOds, dir) : undefined;
  const sr: ServiceRequest = {
    resourceType: 'ServiceRequest',
    id: view.id,
    // The version a sender's update must have seen (BaRS: a stale update is refused).
    meta: profile('ServiceRequest', view.updatedAt),
    identifier: [{ system: SYSTEMS.pathwayId, value: view.pathwayId, assigner: { identifier: { system: SYSTEMS.odsOrganisation, value: view.originOds } } }],
    status: requestStatus,
    intent: 'order',
    category: [{ coding: [{ system: SYSTEMS.serviceRequestCategory, code: 'referral', display: 'Transfer of Care' }] }],
    priority: FHIR_PRIORITY[view.priority as keyof typeof FHIR_PRIORITY],
    code: { coding: [{ system: SYSTEMS.opcs4, code: view.procedureCode }] },
    performerType: { coding: [{ system: SYSTEMS.treatmentFunction, code: view.specialtyCode }] },
    subject,
    authoredOn: view.createdAt,
    requester,
    ...(receiver ? { performer: [receiver] } : {}),
  };
  resources.push(sr);

  // Who holds the referral now: the referring trust until the receiving trust accepts the transfer of care.
  const owner = RECEIVER_OWNS.has(status) && receiver ? receiver : requester;
  const task: Task = {
    resourceType: 'Task',
    id: view.id,
    meta: profile('Task', view.updatedAt),
    status: FHIR_STATUS[status].task,
    businessStatus: { coding: [{ system: SYSTEMS.referralStatus, code: status, display: view.statusDescription }], text: view.statusDescription },
    intent: 'order',
    focus: serviceRequest,
    for: subject,
    authoredOn: view.createdAt,
    lastModified: view.updatedAt,
    requester,
    owner,
  };
  resources.push(task);

  // The RTT period: from the clock start to first definitive treatment, kept by whichever trust holds the pathway.
  const episode: EpisodeOfCare = {
    resourceType: 'EpisodeOfCare',
    id: view.id,
    meta: profile('EpisodeOfCare'),
    identifier: sr.identifier,
    status: view.rttClockStop ? 'finished' : requestStatus === 'revoked' ? 'cancelled' : 'active',
    type: [
      {
        coding: [{ system: SYSTEMS.rttStatus, code: view.rttClockStop ? '30' : RECEIVER_OWNS.has(status) ? '21' : '10' }],
        text: `Referral to treatment period (${view.weeksWaited} weeks waited)`,
      },
    ],
    patient: subject,
    managingOrganization: owner,
    period: { start: view.rttClockStart, ...(view.rttClockStop ? { end: view.rttClockStop } : {}) },
    referralRequest: [serviceRequest],
  };
  resources.push(episode);

  for (const b of view.bookings) {
    const appointment: Appointment = {
      resourceType: 'Appointment',
      id: b.id,
      meta: profile('Appointment'),
      status: APPOINTMENT_STATUS[b.status] ?? 'booked',
      description: b.kind === 'procedure' ? 'Procedure' : 'Pre-operative assessment',
      start: b.startsAt,
      // A booking records when it starts, not how long it lasts; FHIR asks a booked Appointment for both (app-2, app-3).
      end: b.startsAt,
      created: b.createdAt.slice(0, 10),
      basedOn: [serviceRequest],
      ...(b.cancelReason ? { cancelationReason: { text: b.cancelReason } } : {}),
      participant: [
        { actor: subject, status: 'accepted' },
        { actor: ref<Location>('Location', b.siteOds, dir.sites.get(b.siteOds)?.name), status: 'accepted' },
      ],
    };
    resources.push(appointment);
  }

  const treated = view.timeline.find((e) => e.type === 'treatment_recorded');
  if (treated) {
    const d = (treated as { detail?: Record<string, unknown> }).detail ?? {};
    const procedure: Procedure = {
      resourceType: 'Procedure',
      id: treated.id,
      meta: profile('Procedure'),
      basedOn: [serviceRequest],
      status: 'completed',
      code: { coding: [{ system: SYSTEMS.opcs4, code: typeof d.procedureCode === 'string' ? d.procedureCode : view.procedureCode }] },
      subject,
      performedDateTime: typeof d.performedAt === 'string' ? d.performedAt : treated.at,
      ...(receiver ? { performer: [{ actor: receiver }] } : {}),
    };
    resources.push(procedure);
  }

  const discharged = view.timeline.find((e) => e.type === 'discharged');
  if (discharged) {
    const d = (discharged as { detail?: Record<string, unknown> }).detail ?? {};
    // Clinical free text only for clinicians, as the JSON view has it: the note is in the view only for them.
    const note = 'clinicalNotes' in view ? view.clinicalNotes.find((n) => n.kind === 'discharge_summary') : undefined;
    const composition: Composition = {
      resourceType: 'Composition',
      id: discharged.id,
      meta: profile('Composition'),
      status: 'final',
      type: { coding: [{ system: SYSTEMS.snomed, code: '373942005', display: 'Discharge summary' }] },
      subject,
      date: typeof d.dischargedAt === 'string' ? d.dischargedAt : discharged.at,
      author: [receiver ?? requester],
      title: 'Discharge summary',
      section: [
        note
          ? {
              title: 'Clinical summary',
              text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escapeXml(note.text)}</p></div>` },
            }
          : {
              title: 'Clinical summary',
              // A section needs some narrative (cmp-1): it says why there is none here.
              text: {
                status: 'generated',
                div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Withheld: clinical summaries are shown to clinicians only.</p></div>',
              },
              emptyReason: {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'withheld', display: 'Information Withheld' }],
              },
            },
      ],
    };
    resources.push(composition);
  }

  const entry: BundleEntry[] = resources.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource }));
  return { resourceType: 'Bundle', meta: profile('Bundle', now.toISOString()), type: 'collection', timestamp: now.toISOString(), entry };
}
