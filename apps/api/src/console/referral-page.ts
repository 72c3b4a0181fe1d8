// The referral page: everything a person needs to act on one referral, and only the actions this
// person may take now (their role, their trust's side, the referral's status), each a form.
// Built for a plain read and again, with the errors and the values sent, when a form is refused.
import { Injectable } from '@nestjs/common';
import { PERMISSIONS, type Caller, type Permission, type SidedPermission } from '#auth';
import { NOT_SUITABLE_REASONS, REJECTION_REASONS, STATUS_DESCRIPTIONS, transition, type ReferralAction, type ReferralStatus } from '#domain';
import { ReferralQueries, SiteNames, WrongSideError, requireSide } from '#workflow';
import { SPECIALTIES, statusTag } from './console-pages.js';

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

/** The console's actions: the API permission each needs, and the transition(s) it may make. */
const ACTIONS: ReadonlyArray<{ name: string; permission: SidedPermission; transitions: readonly ReferralAction[] }> = [
  { name: 'clinical-review', permission: 'referral.clinical-review', transitions: ['clinical_review_suitable'] },
  { name: 'consent', permission: 'referral.consent', transitions: ['consent_accepted'] },
  { name: 'receiver-decision', permission: 'referral.receiver-decision', transitions: ['receiver_accepted'] },
  { name: 'book', permission: 'referral.book', transitions: ['pre_op_assessment_booked', 'procedure_booked'] },
  { name: 'cancel-booking', permission: 'referral.book', transitions: ['pre_op_assessment_cancelled', 'procedure_cancelled'] },
  { name: 'treatment', permission: 'referral.treatment', transitions: ['treatment_recorded'] },
  { name: 'discharge', permission: 'referral.discharge', transitions: ['discharged'] },
  { name: 'withdraw', permission: 'referral.withdraw', transitions: ['withdrawn'] },
  { name: 'cancel', permission: 'referral.cancel', transitions: ['cancelled'] },
];

/** Whether `caller` may take `action` on the referral now: role, side and status. */
export function mayAct(caller: Caller, ref: { status: ReferralStatus; originOds: string; receivingOds: string | null }, action: string): boolean {
  const a = ACTIONS.find((x) => x.name === action);
  if (!a) return false;
  if (!caller.roles.some((r) => (PERMISSIONS[a.permission as Permission] as readonly string[]).includes(r))) return false;
  if (!a.transitions.some((t) => transition(ref.status, t).allowed)) return false;
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
  ) {}

  async context(caller: Caller, id: string, opts: { problem?: FormProblem; banner?: Banner } = {}): Promise<Record<string, unknown>> {
    const referral = await this.queries.getWithDispatches(caller, id);
    const messages = await this.queries.notifications(caller, id);
    const sites = await this.siteDirectory.all();
    const site = (ods: string) => sites.get(ods)?.name ?? ods;
    const actions = ACTIONS.map((a) => a.name).filter((n) => mayAct(caller, referral, n));
    const openOffers = referral.offers.filter((o) => o.status === 'OPEN');
    const receivingSites = [...sites.entries()].filter(([, s]) => s.trustOds === referral.receivingOds).map(([ods, s]) => ({ value: ods, text: s.name }));
    const problem = opts.problem;
    const errorOf = (action: string, field: string) => (problem?.action === action ? problem.errors.find((e) => e.field === field)?.text : undefined);
    return {
      title: 'patient' in referral && referral.patient ? `${referral.patient.givenName} ${referral.patient.familyName}` : 'Referral',
      referral,
      bookings: referral.bookings.map((b) => ({ ...b, siteName: site(b.siteOds) })),
      patientRows: patientRows(referral),
      statusTag: statusTag(referral.status),
      specialty: SPECIALTIES[referral.specialtyCode] ?? referral.specialtyCode,
      messages: messages.items,
      dispatches: ('dispatches' in referral ? (referral.dispatches ?? []) : []).map(dispatchRow),
      actions: Object.fromEntries(actions.map((a) => [a, true])),
      hasActions: actions.length > 0,
      consentItems: [
        ...openOffers.map((o) => ({ value: o.id, text: o.siteName, hint: { text: `${o.distanceMiles} miles from home (${o.receivingOds})` } })),
        { divider: 'or' },
        { value: 'decline', text: 'Patient declines' },
      ],
      receivingSites,
      notSuitableReasons: options(NOT_SUITABLE_REASONS),
      rejectionReasons: options(REJECTION_REASONS),
      cancellableBookings: referral.bookings.filter((b) => b.status === 'BOOKED').map((b) => ({ ...b, siteName: site(b.siteOds) })),
      errors: problem?.errors.map((e) => ({ text: e.text, href: `#${problem.action}-${e.field}` })) ?? [],
      errorOf,
      formAction: problem?.action,
      values: problem?.values ?? {},
      banner: opts.banner,
      back: { href: '/console', text: 'Your worklists' },
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
