// The referral page: everything a person needs to act on one referral, and only the actions this
// person may take now (their role, their trust's side, the referral's status), each a form.
// Built for a plain read and again, with the errors and the values sent, when a form is refused.
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '#config';
import { PERMISSIONS, type Caller, type Permission, type SidedPermission } from '#auth';
import {
  ASA_GRADE_NAMES,
  BEFORE_RECEIVER_DECISION,
  CANCELLATION_REASONS,
  FINAL_STATUSES,
  HANDBACK_REFUSAL_REASONS,
  NOT_SUITABLE_REASONS,
  REJECTION_REASONS,
  REOPENABLE_STATUSES,
  RETURNED_WITH_ADVICE,
  STATUS_DESCRIPTIONS,
  WITHDRAWAL_REASONS,
  closeOf,
  reopenDeadline,
  reopenableNow,
  transition,
  type ReferralAction,
  type ReferralStatus,
} from '#domain';
import { ClinicSessions, ReferralQueries, SiteNames, WrongSideError, requireSide } from '#workflow';
import { bookingContext } from './booking-context.js';
import { SPECIALTIES, statusTag } from './console-pages.js';
import { mayChangeRequirements } from './additional-requirements-page.controller.js';

export type ReferralView = Awaited<ReturnType<ReferralQueries['getWithDispatches']>>;

/** A form's refusal: a message per field (the error summary links to each), and what was sent. */
export interface FormProblem {
  readonly action: string;
  readonly errors: ReadonlyArray<{ field: string; text: string }>;
  readonly values: Readonly<Record<string, string>>;
}

export interface Banner {
  readonly title: string;
  readonly text: string;
  readonly type?: 'success';
}

type PageReferral = {
  status: ReferralStatus;
  originOds: string;
  receivingOds: string | null;
  informationRequest?: { status: string } | null;
  timeline?: ReadonlyArray<{ type: string; fromStatus?: string | null; toStatus?: string | null; at: string }>;
};

/** What an action's test may need beyond the referral: configuration. */
interface ActionContext {
  readonly reofferWindowDays: number;
}

/**
 * A closed referral is offered again only as the API would allow it (reopenRefusal): not after the referring
 * trust's own close to the origin list, not past the window. A rejection is always the referring trust's to answer.
 */
function mayReoffer(r: PageReferral, ctx: ActionContext): boolean {
  if (!(REOPENABLE_STATUSES as readonly ReferralStatus[]).includes(r.status)) return true;
  return reopenableNow(r.status, r.timeline ?? [], ctx.reofferWindowDays, new Date());
}

/** When a closed referral closed, and until when it may be offered again (the page says both), if it is one. */
function reopenDates(r: PageReferral, windowDays: number): { closedAt: Date; until: Date } | null {
  const close = closeOf(r.status, r.timeline ?? []);
  return close ? { closedAt: close.at, until: reopenDeadline(close, windowDays) } : null;
}

/**
 * The console's actions: the API permission each needs, and the transition(s) it may make (or, for
 * an action that changes no status, `when` the referral allows it).
 */
const ACTIONS: ReadonlyArray<{
  name: string;
  permission: SidedPermission;
  transitions?: readonly ReferralAction[];
  when?: (r: PageReferral, ctx: ActionContext) => boolean;
}> = [
  { name: 'clinical-review', permission: 'referral.clinical-review', transitions: ['clinical_review_suitable'] },
  { name: 'consent', permission: 'referral.consent', transitions: ['consent_accepted'] },
  { name: 'receiver-decision', permission: 'referral.receiver-decision', transitions: ['receiver_accepted'] },
  { name: 'book', permission: 'referral.book', transitions: ['pre_op_assessment_booked', 'procedure_booked'] },
  { name: 'cancel-booking', permission: 'referral.book', transitions: ['pre_op_assessment_cancelled', 'procedure_cancelled'] },
  { name: 'treatment', permission: 'referral.treatment', transitions: ['treatment_recorded'] },
  { name: 'discharge', permission: 'referral.discharge', transitions: ['discharged'] },
  { name: 'withdraw', permission: 'referral.withdraw', transitions: ['withdrawn'] },
  { name: 'cancel', permission: 'referral.cancel', transitions: ['cancelled'] },
  // After a rejection (issue 18, RO): offer again elsewhere, or close back to the origin list; after a decline or a cancellation, re-open to offer again.
  { name: 'reoffer', permission: 'referral.reoffer', transitions: ['reoffered', 'reopened'], when: mayReoffer },
  { name: 'close-to-origin', permission: 'referral.close-to-origin', transitions: ['closed_to_origin'] },
  { name: 'clinical-information', permission: 'referral.clinical-information', when: (r) => BEFORE_RECEIVER_DECISION.includes(r.status) },
  {
    name: 'request-information',
    permission: 'referral.information-request',
    transitions: ['receiver_accepted'],
    when: (r) => r.informationRequest?.status !== 'OPEN',
  },
  { name: 'return-with-advice', permission: 'referral.return-with-advice', transitions: ['receiver_rejected'] },
  { name: 'answer-information', permission: 'referral.information-answer', when: (r) => r.informationRequest?.status === 'OPEN' },
  { name: 'attachment', permission: 'attachment.upload', when: (r) => !FINAL_STATUSES.has(r.status) },
  // The pathway after treatment (issue 18, PW).
  { name: 'follow-up', permission: 'referral.treatment', transitions: ['follow_up_kept', 'follow_up_handed_back', 'virtual_ward_admitted'] },
  { name: 'handback-decision', permission: 'referral.handback-decision', transitions: ['handback_accepted'] },
  { name: 'end-follow-up', permission: 'referral.discharge', transitions: ['follow_up_discharged'] },
  // Booking as it really goes (issue 18, booking): the forms are in booking-actions.controller.ts and views/booking-actions.njk.
  { name: 'book-slot', permission: 'referral.book', transitions: ['pre_op_assessment_booked', 'procedure_booked'] },
  { name: 'reschedule', permission: 'referral.book', transitions: ['appointment_rescheduled'] },
  { name: 'did-not-attend', permission: 'referral.book', transitions: ['pre_op_assessment_not_attended', 'procedure_not_attended'] },
];

/** Whether `caller` may take `action` on the referral now: role, side and status. */
export function mayAct(caller: Caller, ref: PageReferral, action: string, ctx: ActionContext): boolean {
  const a = ACTIONS.find((x) => x.name === action);
  if (!a) return false;
  if (!caller.roles.some((r) => (PERMISSIONS[a.permission as Permission] as readonly string[]).includes(r))) return false;
  if (a.transitions && !a.transitions.some((t) => transition(ref.status, t).allowed)) return false;
  if (a.when && !a.when(ref, ctx)) return false;
  try {
    requireSide({ ...caller, role: 'booking_clerk' }, ref, a.permission, 'act');
    return true;
  } catch (e) {
    if (e instanceof WrongSideError) return false;
    throw e;
  }
}

const options = (codes: Record<string, string>) => [
  { value: '', text: 'Choose a reason' },
  ...Object.entries(codes).map(([value, text]) => ({ value, text: `${text}` })),
];

@Injectable()
export class ReferralPage {
  constructor(
    private readonly queries: ReferralQueries,
    private readonly siteDirectory: SiteNames,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clinics: ClinicSessions,
  ) {}

  async context(caller: Caller, id: string, opts: { problem?: FormProblem; banner?: Banner } = {}): Promise<Record<string, unknown>> {
    const referral = await this.queries.getWithDispatches(caller, id);
    const messages = await this.queries.notifications(caller, id);
    const sites = await this.siteDirectory.all();
    const site = (ods: string) => sites.get(ods)?.name ?? ods;
    const ctx = { reofferWindowDays: this.config.workflow.reofferWindowDays };
    const actions = ACTIONS.map((a) => a.name).filter((n) => mayAct(caller, referral, n, ctx));
    const openOffers = referral.offers.filter((o) => o.status === 'OPEN');
    const receivingSites = [...sites.entries()].filter(([, s]) => s.trustOds === referral.receivingOds).map(([ods, s]) => ({ value: ods, text: s.name }));
    const problem = opts.problem;
    const errorOf = (action: string, field: string) => (problem?.action === action ? problem.errors.find((e) => e.field === field)?.text : undefined);
    return {
      title: 'patient' in referral && referral.patient ? `${referral.patient.givenName} ${referral.patient.familyName}` : 'Referral',
      referral,
      bookings: referral.bookings.map((b) => ({ ...b, siteName: site(b.siteOds) })),
      patientRows: patientRows(referral),
      requirements: 'additionalRequirements' in referral ? referral.additionalRequirements : null,
      // The free text in full (the tags above only name it).
      requirementsText:
        'additionalRequirements' in referral && referral.additionalRequirements
          ? [
              ['Reasonable adjustments', referral.additionalRequirements.learningDisabilityAdjustments],
              ['Anything else', referral.additionalRequirements.other],
            ]
              .filter(([, v]) => v)
              .map(([k, v]) => ({ key: { text: k }, value: { text: v } }))
          : [],
      mayChangeRequirements: mayChangeRequirements(caller, referral),
      statusTag: statusTag(referral.status),
      specialty: SPECIALTIES[referral.specialtyCode] ?? referral.specialtyCode,
      messages: messages.items,
      dispatches: ('dispatches' in referral ? (referral.dispatches ?? []) : []).map(dispatchRow),
      actions: Object.fromEntries(actions.map((a) => [a, true])),
      hasActions: actions.length > 0,
      consentItems: [
        ...openOffers.map((o) => ({
          value: o.id,
          text: o.siteName,
          hint: { text: `${o.distanceMiles === null ? 'distance not known' : `${o.distanceMiles} miles from home`} (${o.receivingOds})` },
        })),
        { divider: 'or' },
        { value: 'decline', text: 'Patient declines' },
      ],
      receivingSites,
      notSuitableReasons: options(NOT_SUITABLE_REASONS),
      rejectionReasons: options(REJECTION_REASONS).filter((o) => o.value !== RETURNED_WITH_ADVICE),
      cancellationReasons: options(CANCELLATION_REASONS),
      withdrawalReasons: options(WITHDRAWAL_REASONS),
      handbackRefusalReasons: options(HANDBACK_REFUSAL_REASONS),
      reofferWindowDays: this.config.workflow.reofferWindowDays,
      reopen: reopenDates(referral, this.config.workflow.reofferWindowDays),
      attachmentMaxSize: `${Math.round((this.config.workflow.attachmentMaxBytes / (1024 * 1024)) * 10) / 10} MB`,
      clinical: clinicalContext(referral, problem?.action === 'clinical-information' ? problem.values : undefined),
      cancellableBookings: referral.bookings.filter((b) => b.status === 'BOOKED').map((b) => ({ ...b, siteName: site(b.siteOds) })),
      errors: problem?.errors.map((e) => ({ text: e.text, href: `#${problem.action}-${e.field}` })) ?? [],
      errorOf,
      formAction: problem?.action,
      values: problem?.values ?? {},
      banner: opts.banner,
      back: { href: '/console', text: 'Your worklists' },
      booking: await bookingContext(this.clinics, caller, referral, actions, site),
    };
  }
}

const DISPATCH_WORDS: Record<string, (ods: string) => string> = {
  TRANSFER: (ods) => `Transfer data set (IPT) to ${ods}'s patient administration system`,
  REMOVE_FROM_LIST: (ods) => `Remove from waiting list, to ${ods}'s patient administration system`,
  RECEIVER_DECISION: (ods) => `Transfer of care decision, to ${ods}'s patient administration system`,
  DISCHARGE_SUMMARY: (ods) => `Discharge summary, to GP practice ${ods}`,
};

const DISPATCH_STATES: Record<string, string> = {
  QUEUED: 'Waiting to send',
  SENT: 'Sent, not yet delivered',
  DELIVERED: 'Delivered, not yet acknowledged',
  ACKNOWLEDGED: 'Acknowledged',
  FAILED: 'Failed: a task is open',
};

/** A message to another organisation over MESH, in words, for the referral page's table. */
function dispatchRow(d: { kind: string; status: string; recipientOds: string; attempts: number; sentAt: string | null; acknowledgedAt: string | null }) {
  const retrying = d.status === 'QUEUED' && d.attempts > 0;
  return {
    what: (DISPATCH_WORDS[d.kind] ?? ((ods: string) => `${d.kind} to ${ods}`))(d.recipientOds),
    state: retrying ? `Not sent yet: tried ${d.attempts} times, trying again` : (DISPATCH_STATES[d.status] ?? d.status),
    status: d.status,
    sentAt: d.sentAt,
    acknowledgedAt: d.acknowledgedAt,
  };
}

/** "This referral has moved on": what someone sees when another person acted first (a 409 underneath). */
export function movedOnBanner(status: ReferralStatus): Banner {
  return {
    title: 'This referral has moved on',
    text: `This referral has moved on: it is now ${STATUS_DESCRIPTIONS[status]}. Check it before you do anything else.`,
  };
}

/** The patient's summary rows: what the view holds for this role (contact details only where it has them). */
function patientRows(referral: ReferralView): Array<{ key: { text: string }; value: { text: string } }> {
  if (!('patient' in referral) || !referral.patient) return [];
  const p = referral.patient as Record<string, string | null | undefined>;
  const row = (key: string, value: string | null | undefined) => ({ key: { text: key }, value: { text: value || 'Not recorded' } });
  const rows = [row('Name', `${p.givenName} ${p.familyName}`)];
  if (p.nhsNumber) rows.push(row('NHS number', `${p.nhsNumber.slice(0, 3)} ${p.nhsNumber.slice(3, 6)} ${p.nhsNumber.slice(6)}`));
  if (p.dateOfBirth)
    rows.push(row('Date of birth', new Date(p.dateOfBirth).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })));
  if (p.postcode !== undefined) {
    rows.push(
      row('Address', [p.address, p.postcode].filter(Boolean).join(', ')),
      row('Phone', p.phone),
      row('Email', p.email),
      row('GP practice', p.gpPracticeOds),
    );
  }
  return rows;
}

const LATERALITY_WORDS: Record<string, string> = { left: 'Left', right: 'Right', bilateral: 'Both sides', not_applicable: 'Not applicable' };
const KIND_WORDS: Record<string, string> = { referral_letter: 'Referral letter', clinic_letter: 'Clinic letter', imaging_report: 'Imaging report' };
const REQUEST_TAGS: Record<string, { text: string; classes: string }> = {
  OPEN: { text: "Waiting for the referrer's answer", classes: 'nhsuk-tag--yellow' },
  ANSWERED: { text: 'Answered', classes: 'nhsuk-tag--green' },
  CLOSED: { text: 'Closed without an answer', classes: 'nhsuk-tag--grey' },
};

/**
 * The clinical package as the page shows it (clinicians: the view has it only for them), the form's
 * values (what was sent back after a mistake, else what is held), the attachments with their links,
 * and the requests for information.
 */
function clinicalContext(referral: ReferralView, sent: Readonly<Record<string, string>> | undefined) {
  const r = referral as ReferralView & {
    clinicalInformation?: {
      diagnosis: { code: string; text: string } | null;
      laterality: string | null;
      comorbidities: Array<{ code: string; text: string }>;
      bmi: number | null;
      asaGrade: number | null;
      anticoagulation: { taking: boolean; medication: string | null } | null;
      mobility: string | null;
      referralLetter: string | null;
    } | null;
    attachments?: Array<{ id: string; kind: string; filename: string; mediaType: string; sizeBytes: number; createdAt: string }>;
    informationRequests?: Array<{ id: string; status: string; question: string; answer: string | null; askedAt: string; answeredAt: string | null }>;
    informationRequest?: { id: string; status: string } | null;
  };
  const ci = r.clinicalInformation ?? null;
  const row = (key: string, value: string | null | undefined) => ({ key: { text: key }, value: { text: value || 'Not recorded' } });
  const rows = ci
    ? [
        row('Diagnosis', ci.diagnosis ? `${ci.diagnosis.text} (SNOMED CT ${ci.diagnosis.code})` : null),
        row('Side', ci.laterality ? LATERALITY_WORDS[ci.laterality] : null),
        row('Comorbidities', ci.comorbidities.map((c) => `${c.text} (${c.code})`).join('; ') || 'None recorded'),
        row('BMI', ci.bmi === null ? null : String(ci.bmi)),
        row('ASA grade', ci.asaGrade === null ? null : ASA_GRADE_NAMES[ci.asaGrade]),
        row('Anticoagulation', ci.anticoagulation ? (ci.anticoagulation.taking ? `Yes: ${ci.anticoagulation.medication ?? ''}` : 'No') : null),
        row('Mobility', ci.mobility),
      ]
    : [];
  const held: Record<string, string> = ci
    ? {
        diagnosisCode: ci.diagnosis?.code ?? '',
        diagnosisText: ci.diagnosis?.text ?? '',
        laterality: ci.laterality ?? '',
        comorbidities: ci.comorbidities.map((c) => `${c.code} ${c.text}`).join('\n'),
        bmi: ci.bmi === null ? '' : String(ci.bmi),
        asaGrade: ci.asaGrade === null ? '' : String(ci.asaGrade),
        anticoagulated: ci.anticoagulation ? (ci.anticoagulation.taking ? 'yes' : 'no') : '',
        anticoagulant: ci.anticoagulation?.medication ?? '',
        mobility: ci.mobility ?? '',
        referralLetter: ci.referralLetter ?? '',
      }
    : {};
  return {
    /** Whether the view carried the package at all (clinicians only). */
    shown: r.clinicalInformation !== undefined,
    recorded: ci !== null,
    rows,
    letter: ci?.referralLetter ?? null,
    form: sent ?? held,
    lateralities: [{ value: '', text: 'Not recorded' }, ...Object.entries(LATERALITY_WORDS).map(([value, text]) => ({ value, text }))],
    asaGrades: [{ value: '', text: 'Not recorded' }, ...Object.entries(ASA_GRADE_NAMES).map(([value, text]) => ({ value, text }))],
    attachments: (r.attachments ?? []).map((a) => ({
      ...a,
      kindText: KIND_WORDS[a.kind] ?? a.kind,
      size: a.sizeBytes < 1024 * 1024 ? `${Math.max(1, Math.round(a.sizeBytes / 1024))} KB` : `${(a.sizeBytes / (1024 * 1024)).toFixed(1)} MB`,
      href: `/console/referrals/${referral.id}/attachments/${a.id}`,
    })),
    attachmentsShown: r.attachments !== undefined,
    attachmentKinds: [{ value: '', text: 'Choose what it is' }, ...Object.entries(KIND_WORDS).map(([value, text]) => ({ value, text }))],
    requests: (r.informationRequests ?? []).map((q) => ({ ...q, tag: REQUEST_TAGS[q.status] })).reverse(),
    openRequest: r.informationRequest?.status === 'OPEN' ? r.informationRequest : null,
  };
}
