// What each dispatch says, built from plain data (the dispatch row's payload): the IPT minimum data
// set, the remove-from-list notice, the receiving trust's decision, and the discharge summary as a
// FHIR document (PRSB eDischarge headings) carrying its PDF rendering. docs/mesh.md lists every field.
import PDFDocument from 'pdfkit';

export const DISPATCH_KINDS = ['TRANSFER', 'REMOVE_FROM_LIST', 'RECEIVER_DECISION', 'DISCHARGE_SUMMARY'] as const;
export type DispatchKind = (typeof DISPATCH_KINDS)[number];

/** How each kind travels: whose mailbox (a trust's PAS or a GP practice), MESH's workflow id, a subject free of patient data. */
export const DISPATCH_ROUTES: Readonly<Record<DispatchKind, { service: 'PAS' | 'GP'; workflowId: string; subject: string; team: 'booking' | 'clinical' }>> = {
  TRANSFER: { service: 'PAS', workflowId: 'CROSSTRUST_IPT', subject: 'Inter-provider transfer minimum data set', team: 'booking' },
  REMOVE_FROM_LIST: { service: 'PAS', workflowId: 'CROSSTRUST_IPT_REMOVE', subject: 'Remove from waiting list: transferred', team: 'booking' },
  RECEIVER_DECISION: { service: 'PAS', workflowId: 'CROSSTRUST_DECISION', subject: 'Transfer of care decision', team: 'clinical' },
  DISCHARGE_SUMMARY: { service: 'GP', workflowId: 'CROSSTRUST_DISCHARGE', subject: 'Discharge summary', team: 'clinical' },
};

/** The discharge summary's plain data, as the dispatch job records it. */
export interface DischargeData {
  readonly nhsNumber: string;
  readonly familyName?: string;
  readonly givenName?: string;
  readonly dateOfBirth?: string;
  readonly gpPracticeOds?: string;
  readonly treatingOds: string | null;
  readonly treatingName?: string | null;
  readonly procedureCode: string;
  readonly specialtyCode?: string;
  readonly performedAt?: string | null;
  readonly dischargedAt?: string | null;
  readonly rttClockStop: string | null;
  readonly summary: string | null;
  readonly author?: { readonly name: string | null; readonly id: string } | null;
}

/** The bytes of a dispatch and their content type. */
export async function renderDispatch(
  kind: string,
  id: string,
  payload: Record<string, unknown>,
): Promise<{ body: Buffer; contentType: string; fileName: string }> {
  if (kind === 'DISCHARGE_SUMMARY') {
    const bundle = await dischargeDocument(id, payload as unknown as DischargeData);
    return { body: Buffer.from(JSON.stringify(bundle)), contentType: 'application/fhir+json', fileName: `discharge-${id}.json` };
  }
  const dataSet = { TRANSFER: 'IPT-AMDS', REMOVE_FROM_LIST: 'IPT-REMOVE', RECEIVER_DECISION: 'IPT-DECISION' }[kind] ?? kind;
  return { body: Buffer.from(JSON.stringify({ dataSet, id, ...payload })), contentType: 'application/json', fileName: `${kind.toLowerCase()}-${id}.json` };
}

const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const OPCS4 = 'http://fhir.nhs.uk/CodeSystem/OPCS-4';

/**
 * The discharge summary as a FHIR R4 document Bundle: a Composition with the PRSB eDischarge
 * summary's headings, the Patient, the treating and GP Organizations, and a DocumentReference
 * carrying the PDF rendering for practices that file PDFs.
 */
export async function dischargeDocument(id: string, d: DischargeData): Promise<Record<string, unknown>> {
  const pdf = await dischargePdf(d);
  const ids = {
    patient: `urn:uuid:${uuidFrom(id, 1)}`,
    treating: `urn:uuid:${uuidFrom(id, 2)}`,
    gp: `urn:uuid:${uuidFrom(id, 3)}`,
    pdf: `urn:uuid:${uuidFrom(id, 4)}`,
    composition: `urn:uuid:${id}`,
  };
  const text = (s: string) => ({ status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${escapeXml(s)}</div>` });
  const section = (title: string, code: string, body: string, entry?: string[]) => ({
    title,
    code: { coding: [{ system: 'http://snomed.info/sct', code, display: title }] },
    text: text(body),
    ...(entry ? { entry: entry.map((reference) => ({ reference })) } : {}),
  });
  const when = d.dischargedAt ?? new Date().toISOString();
  const composition = {
    resourceType: 'Composition',
    id,
    status: 'final',
    type: { coding: [{ system: 'http://snomed.info/sct', code: '373942005', display: 'Discharge summary' }] },
    subject: { reference: ids.patient },
    date: when,
    author: [{ reference: ids.treating }],
    custodian: { reference: ids.treating },
    title: 'Discharge summary',
    section: [
      section('Patient demographics', '886731000000109', `NHS number ${d.nhsNumber}`, [ids.patient]),
      section('GP practice', '886711000000101', d.gpPracticeOds ?? 'Not recorded', [ids.gp]),
      section('Admission details', '1077881000000105', `Treated by ${d.treatingName ?? d.treatingOds ?? 'the receiving trust'}`),
      section(
        'Discharge details',
        '1077891000000107',
        `Discharged ${when.slice(0, 10)}; referral to treatment period ended ${d.rttClockStop ?? 'not recorded'}`,
      ),
      section('Procedures', '887171000000109', `OPCS-4 ${d.procedureCode}${d.performedAt ? `, performed ${d.performedAt.slice(0, 10)}` : ''}`),
      section('Clinical summary', '887181000000106', d.summary ?? 'No summary recorded'),
      section('Person completing record', '887231000000104', d.author?.name ?? 'Clinician of the treating trust'),
      section('Attachments', '1082001000000104', 'The summary rendered as PDF', [ids.pdf]),
    ],
  };
  const entry = (fullUrl: string, resource: Record<string, unknown>) => ({ fullUrl, resource });
  return {
    resourceType: 'Bundle',
    id: uuidFrom(id, 5),
    identifier: { system: 'https://tools.ietf.org/html/rfc4122', value: id },
    type: 'document',
    timestamp: new Date().toISOString(),
    entry: [
      entry(ids.composition, composition),
      entry(ids.patient, {
        resourceType: 'Patient',
        identifier: [{ system: NHS_NUMBER, value: d.nhsNumber }],
        ...(d.familyName ? { name: [{ family: d.familyName, given: d.givenName ? [d.givenName] : [] }] } : {}),
        ...(d.dateOfBirth ? { birthDate: d.dateOfBirth } : {}),
        ...(d.gpPracticeOds ? { generalPractitioner: [{ reference: ids.gp }] } : {}),
      }),
      entry(ids.treating, {
        resourceType: 'Organization',
        identifier: [{ system: ODS, value: d.treatingOds ?? 'UNKNOWN' }],
        ...(d.treatingName ? { name: d.treatingName } : {}),
      }),
      entry(ids.gp, { resourceType: 'Organization', identifier: [{ system: ODS, value: d.gpPracticeOds ?? 'UNKNOWN' }] }),
      entry(ids.pdf, {
        resourceType: 'DocumentReference',
        status: 'current',
        type: composition.type,
        subject: { reference: ids.patient },
        content: [{ attachment: { contentType: 'application/pdf', data: pdf.toString('base64'), title: 'Discharge summary' } }],
        context: { related: [{ reference: ids.composition }] },
      }),
    ],
    meta: { tag: [{ system: OPCS4, code: d.procedureCode }] },
  };
}

/** The discharge summary as a PDF: the same headings, in words, for practices that file PDFs. */
export function dischargePdf(d: DischargeData): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Fixed metadata dates: the same summary renders to the same bytes.
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: 'Discharge summary', Producer: 'crosstrust', CreationDate: new Date(0) } });
    const parts: Buffer[] = [];
    doc.on('data', (b: Buffer) => parts.push(b));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
    doc.fontSize(18).text('Discharge summary').moveDown();
    const line = (label: string, value: string | null | undefined) => doc.fontSize(11).text(`${label}: ${value ?? 'not recorded'}`);
    line('NHS number', d.nhsNumber);
    line('Name', [d.givenName, d.familyName].filter(Boolean).join(' ') || null);
    line('Date of birth', d.dateOfBirth);
    line('GP practice', d.gpPracticeOds);
    line('Treating organisation', d.treatingName ?? d.treatingOds);
    line('Procedure (OPCS-4)', d.procedureCode);
    line('Performed', d.performedAt?.slice(0, 10));
    line('Discharged', d.dischargedAt?.slice(0, 10));
    line('Referral to treatment period ended', d.rttClockStop);
    doc
      .moveDown()
      .fontSize(13)
      .text('Clinical summary')
      .fontSize(11)
      .text(d.summary ?? 'No summary recorded');
    doc.moveDown();
    line('Person completing record', d.author?.name);
    doc.end();
  });
}

/** A stable UUID for the n-th resource of a document, from the dispatch's id. */
function uuidFrom(id: string, n: number): string {
  return `${id.slice(0, 34)}${n.toString(16).padStart(2, '0')}`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
