// Reads a BaRS-shaped message Bundle (POST /fhir/r4/$process-message): a servicerequest-request,
// new (the referral's fields, shaped as POST /v1/referrals takes them, for the same validation) or
// an update that withdraws or cancels one. Every problem is named by its FHIRPath expression.
import type { Bundle, BundleEntry, Patient, Reference, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { isUuid } from '#domain';
import { BARS_EVENT, FHIR_PRIORITY, SYSTEMS } from './fhir-codes.js';

export interface FhirIssue {
  /** FHIRPath of the element at fault, from the Bundle. */
  readonly expression: string;
  readonly message: string;
  /** OperationOutcome's issue type. */
  readonly code: 'structure' | 'required' | 'value' | 'code-invalid' | 'not-supported' | 'invalid';
}

/** The referral's fields as POST /v1/referrals takes them (its DTO validates them), and where each came from. */
export interface NewReferralMessage {
  readonly kind: 'new';
  readonly headerId: string | null;
  readonly body: Record<string, unknown>;
  /** FHIRPath of each body field (`patient.nhsNumber`), to name a refused field as the sender wrote it. */
  readonly paths: Readonly<Record<string, string>>;
}

export interface UpdateMessage {
  readonly kind: 'update';
  readonly headerId: string | null;
  readonly referralId: string;
  /** ServiceRequest.status revoked: the patient withdraws; entered-in-error: the referral is cancelled. */
  readonly action: 'withdraw' | 'cancel';
  /** The version of the referral the sender saw (ServiceRequest.meta.lastUpdated). */
  readonly lastUpdated: Date;
  readonly reason: string | null;
  /** FHIRPath of the ServiceRequest, for a refusal about the referral as a whole. */
  readonly path: string;
}

export type BarsMessage = NewReferralMessage | UpdateMessage;

const PRIORITY_OF = Object.fromEntries(Object.entries(FHIR_PRIORITY).map(([ours, fhir]) => [fhir, ours])) as Record<string, string>;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/**
 * A message Bundle read into one command, and every problem found in it (nothing is acted on when
 * there is one). A new referral's fields come back even then, so that the referral's own validation
 * names its problems too.
 */
export function readBarsMessage(body: unknown): { message: BarsMessage | null; issues: FhirIssue[] } {
  const issues: FhirIssue[] = [];
  const fail = (expression: string, message: string, code: FhirIssue['code'] = 'value') => {
    issues.push({ expression, message, code });
    return undefined;
  };
  if (!isObject(body) || body.resourceType !== 'Bundle') {
    fail('Bundle', 'The body must be a FHIR Bundle (resourceType "Bundle")', 'structure');
    return { message: null, issues };
  }
  const bundle = body as unknown as Bundle;
  if (bundle.type !== 'message') fail('Bundle.type', 'Bundle.type must be "message"', 'value');
  if (!Array.isArray(bundle.entry) || bundle.entry.length === 0) {
    fail('Bundle.entry', 'A message Bundle needs its entries, the MessageHeader first', 'required');
    return { message: null, issues };
  }
  const entries: Array<{ entry: BundleEntry; path: string }> = [];
  bundle.entry.forEach((entry, i) => {
    const path = `Bundle.entry[${i}]`;
    if (!isObject(entry) || !isObject(entry.resource) || typeof entry.resource.resourceType !== 'string')
      fail(`${path}.resource`, 'Each entry needs a resource with its resourceType', 'structure');
    else entries.push({ entry, path: `${path}.resource` });
  });

  /** The entry a reference points at: by fullUrl (urn:uuid:...), or Type/id. */
  const resolve = <T extends Resource>(r: Reference | undefined, type: T['resourceType'], at: string): { res: T; path: string } | undefined => {
    const target = isObject(r) ? str(r.reference) : undefined;
    if (!target) return fail(`${at}.reference`, `${at} must reference the ${type} in this Bundle`, 'required');
    const found = entries.find(({ entry }) => entry.fullUrl === target || `${entry.resource!.resourceType}/${entry.resource!.id}` === target);
    if (!found) return fail(`${at}.reference`, `${target} is not an entry of this Bundle`, 'invalid');
    if (found.entry.resource!.resourceType !== type) return fail(`${at}.reference`, `${at} must reference a ${type}`, 'invalid');
    return { res: found.entry.resource as T, path: found.path };
  };

  const first = entries[0];
  if (!first || first.path !== 'Bundle.entry[0].resource' || first.entry.resource!.resourceType !== 'MessageHeader') {
    fail('Bundle.entry[0].resource', 'The first entry must be the MessageHeader', 'structure');
    return { message: null, issues };
  }
  const header = first.entry.resource;
  const h = first.path;
  const event = header.eventCoding;
  if (!isObject(event) || event.system !== SYSTEMS.messageEvents || event.code !== BARS_EVENT)
    fail(`${h}.eventCoding`, `MessageHeader.eventCoding must be ${BARS_EVENT} from ${SYSTEMS.messageEvents}`, 'not-supported');
  if (!isObject(header.source) || !str(header.source.endpoint)) fail(`${h}.source.endpoint`, 'MessageHeader.source.endpoint is required', 'required');
  const reason = header.reason?.coding?.find((c) => isObject(c) && c.system === SYSTEMS.messageReason)?.code;
  if (reason !== 'new' && reason !== 'update')
    fail(`${h}.reason`, `MessageHeader.reason must be new or update from ${SYSTEMS.messageReason}`, reason === undefined ? 'required' : 'code-invalid');
  if (!Array.isArray(header.focus) || header.focus.length !== 1) {
    fail(`${h}.focus`, 'MessageHeader.focus must reference the one ServiceRequest', 'required');
    return { message: null, issues };
  }
  const focus = resolve<ServiceRequest>(header.focus[0], 'ServiceRequest', `${h}.focus[0]`);
  if (!focus || (reason !== 'new' && reason !== 'update')) return { message: null, issues };
  const headerId = str(header.id) ?? null;
  const sr = focus.res;
  const s = focus.path;

  if (reason === 'update') {
    const referralId = str(sr.id);
    if (!referralId || !isUuid(referralId)) fail(`${s}.id`, 'An update names the referral: ServiceRequest.id as the export gave it', 'required');
    const action = sr.status === 'revoked' ? 'withdraw' : sr.status === 'entered-in-error' ? 'cancel' : undefined;
    if (!action) fail(`${s}.status`, 'An update sets ServiceRequest.status to revoked (withdraw) or entered-in-error (cancel)', 'code-invalid');
    const seen = str(sr.meta?.lastUpdated);
    if (!seen || !INSTANT.test(seen) || Number.isNaN(Date.parse(seen)))
      fail(`${s}.meta.lastUpdated`, 'An update says which version it changes: ServiceRequest.meta.lastUpdated, an instant', 'required');
    const note = sr.note?.find((n) => isObject(n) && str(n.text))?.text;
    if (issues.length || !referralId || !action || !seen) return { message: null, issues };
    return { message: { kind: 'update', headerId, referralId, action, lastUpdated: new Date(seen), reason: note ?? null, path: s }, issues };
  }

  const paths: Record<string, string> = {};
  const out: Record<string, unknown> = {};
  const put = (field: string, value: unknown, path: string) => {
    paths[field] = path;
    if (value !== undefined) out[field] = value;
  };
  if (sr.status !== 'active') fail(`${s}.status`, 'A new referral is sent with ServiceRequest.status active', 'code-invalid');
  if (sr.intent !== 'order') fail(`${s}.intent`, 'ServiceRequest.intent must be order', 'code-invalid');
  const idIndex = sr.identifier?.findIndex((i) => isObject(i) && i.system === SYSTEMS.pathwayId) ?? -1;
  if (idIndex < 0) fail(`${s}.identifier`, `ServiceRequest.identifier must carry the patient pathway identifier (${SYSTEMS.pathwayId})`, 'required');
  else put('pathwayId', sr.identifier![idIndex].value, `${s}.identifier[${idIndex}].value`);
  const codeAt = (concept: unknown, system: string, path: string, what: string, field: string) => {
    const codings = isObject(concept) && Array.isArray(concept.coding) ? (concept.coding as unknown[]) : [];
    const i = codings.findIndex((c) => isObject(c) && c.system === system);
    if (i < 0) fail(path, `${what} must be coded in ${system}`, 'required');
    else put(field, (codings[i] as { code?: unknown }).code, `${path}.coding[${i}].code`);
  };
  codeAt(sr.code, SYSTEMS.opcs4, `${s}.code`, 'ServiceRequest.code (the OPCS-4 procedure)', 'procedureCode');
  codeAt(sr.performerType, SYSTEMS.treatmentFunction, `${s}.performerType`, 'ServiceRequest.performerType (the treatment function)', 'specialtyCode');
  const priority = PRIORITY_OF[sr.priority ?? ''];
  if (!priority)
    fail(`${s}.priority`, `ServiceRequest.priority must be one of ${Object.keys(PRIORITY_OF).join(', ')}`, sr.priority ? 'code-invalid' : 'required');
  else put('priority', priority, `${s}.priority`);

  // The RTT period (as the export gives it): an EpisodeOfCare whose referralRequest is this ServiceRequest.
  const focusRef = header.focus[0].reference;
  const episodeAt = entries.find(
    ({ entry }) =>
      entry.resource!.resourceType === 'EpisodeOfCare' &&
      (entry.resource as { referralRequest?: Reference[] }).referralRequest?.some((r) => isObject(r) && r.reference === focusRef),
  );
  if (!episodeAt)
    fail(`${s}`, 'The RTT period is required: an EpisodeOfCare whose referralRequest is the ServiceRequest, period.start the clock start', 'required');
  else put('rttClockStart', (episodeAt.entry.resource as { period?: { start?: unknown } }).period?.start, `${episodeAt.path}.period.start`);

  const patient = resolve<Patient>(sr.subject, 'Patient', `${s}.subject`);
  if (patient) {
    const p = patient.res;
    const at = patient.path;
    const person: Record<string, unknown> = {};
    const putP = (field: string, value: unknown, path: string) => {
      paths[`patient.${field}`] = path;
      if (value !== undefined) person[field] = value;
    };
    paths.patient = at;
    const n = p.identifier?.findIndex((i) => isObject(i) && i.system === SYSTEMS.nhsNumber) ?? -1;
    if (n < 0) fail(`${at}.identifier`, `Patient.identifier must carry the NHS number (${SYSTEMS.nhsNumber})`, 'required');
    else putP('nhsNumber', p.identifier![n].value, `${at}.identifier[${n}].value`);
    const name = p.name?.[0];
    if (!isObject(name)) fail(`${at}.name`, 'Patient.name is required', 'required');
    else {
      putP('familyName', name.family, `${at}.name[0].family`);
      putP('givenName', Array.isArray(name.given) ? (name.given as unknown[])[0] : undefined, `${at}.name[0].given[0]`);
    }
    putP('dateOfBirth', p.birthDate, `${at}.birthDate`);
    const address = p.address?.[0];
    putP('postcode', isObject(address) ? address.postalCode : undefined, `${at}.address[0].postalCode`);
    if (isObject(address) && Array.isArray(address.line) && address.line.length) putP('address', address.line.join(', '), `${at}.address[0].line`);
    p.telecom?.forEach((t, i) => {
      if (isObject(t) && t.system === 'phone' && person.phone === undefined) putP('phone', t.value, `${at}.telecom[${i}].value`);
      if (isObject(t) && t.system === 'email' && person.email === undefined) putP('email', t.value, `${at}.telecom[${i}].value`);
    });
    const gp = p.generalPractitioner?.[0];
    putP(
      'gpPracticeOds',
      isObject(gp) && isObject(gp.identifier) && gp.identifier.system === SYSTEMS.odsOrganisation ? gp.identifier.value : undefined,
      `${at}.generalPractitioner[0].identifier.value`,
    );
    out.patient = person;
  }
  return { message: { kind: 'new', headerId, body: out, paths }, issues };
}
