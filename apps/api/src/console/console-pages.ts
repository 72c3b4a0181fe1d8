// What each role works in the console: its worklists (the API's named worklists, tasks and
// long-waiters), in the order a person of that role would take them.
import type { Role } from '#auth';
import type { WorklistName } from '#domain';

export type ConsoleWorklist = WorklistName | 'tasks' | 'long-waiters';

export interface WorklistCard {
  readonly name: ConsoleWorklist;
  readonly title: string;
  readonly description: string;
}

export const WORKLIST_CARDS: Record<ConsoleWorklist, WorklistCard> = {
  'clinical-review': {
    name: 'clinical-review',
    title: 'Clinical review',
    description: 'Long-waiters who passed screening, waiting for a clinician to decide if transfer suits them',
  },
  'receiver-acceptance': {
    name: 'receiver-acceptance',
    title: 'Transfers of care to accept',
    description: 'Patients who accepted an offer of treatment here, waiting for a clinician to accept the transfer of care',
  },
  'handback-acceptance': {
    name: 'handback-acceptance',
    title: 'Follow-ups handed back',
    description: 'Patients treated elsewhere whose follow-up the receiving trust handed back here, waiting for a clinician to accept it',
  },
  'to-book': { name: 'to-book', title: 'To book', description: 'Transferred patients with no appointment booked' },
  'booking-changed': { name: 'booking-changed', title: 'Bookings changed', description: 'Appointments cancelled and not yet rebooked' },
  'needs-attention': { name: 'needs-attention', title: 'Needs attention', description: 'Referrals where an automated step failed and was stopped' },
  tasks: { name: 'tasks', title: 'Tasks', description: 'Unanswered offers, messages that could not be delivered and other things to follow up' },
  'long-waiters': {
    name: 'long-waiters',
    title: 'Long-waiters',
    description: 'Patients on your waiting list who have waited longest and are not yet referred',
  },
};

export const WORKLISTS_BY_ROLE: Record<'booking_clerk' | 'clinician' | 'trust_admin', readonly ConsoleWorklist[]> = {
  clinician: ['clinical-review', 'receiver-acceptance', 'handback-acceptance', 'tasks'],
  booking_clerk: ['to-book', 'booking-changed', 'tasks', 'long-waiters', 'needs-attention'],
  trust_admin: ['needs-attention'],
};

export function worklistsFor(roles: readonly Role[]): ConsoleWorklist[] {
  const out: ConsoleWorklist[] = [];
  for (const r of roles) if (r in WORKLISTS_BY_ROLE) for (const w of WORKLISTS_BY_ROLE[r as keyof typeof WORKLISTS_BY_ROLE]) if (!out.includes(w)) out.push(w);
  return out;
}

/** The pages beside the worklists, each for the role that keeps it (home cards; the queue dashboard is bull-board's own page). */
const TOOLS: ReadonlyArray<{ role: Role; title: string; description: string; href: string }> = [
  { role: 'booking_clerk', title: 'Waiting list', description: "Upload your trust's waiting list and see how each upload went", href: '/console/waiting-list' },
  { role: 'trust_admin', title: 'Capacity', description: 'Slots your trust offers the group each week, by specialty and site', href: '/console/capacity' },
  {
    role: 'trust_admin',
    title: 'Service directory',
    description: 'Your sites and the services each offers the group: procedures, exclusions, booking guidance',
    href: '/console/directory',
  },
  { role: 'group_admin', title: 'Group members', description: 'The trusts of the group, and adding one', href: '/console/group' },
  { role: 'trust_admin', title: 'Team email addresses', description: 'Where each team is emailed when work lands on its worklists', href: '/console/team' },
  { role: 'booking_clerk', title: 'Clinics', description: "Your trust's clinic sessions and theatre lists, and their free slots", href: '/console/clinics' },
  { role: 'trust_admin', title: 'Did-not-attend policy', description: 'What happens when a patient misses an appointment', href: '/console/booking-policy' },
  { role: 'trust_admin', title: 'Queue dashboard', description: 'Background jobs: what is waiting, running and failed', href: '/console/queues' },
  // Patient-initiated mutual aid (PIDMAS): the booking team and admins invite, clinicians check the opt-ins.
  ...(['booking_clerk', 'trust_admin', 'clinician'] as const).map((role) => ({
    role,
    title: 'Patients who ask',
    description: 'Invite a cohort of the waiting list to opt in to treatment elsewhere, check the opt-ins, and those with no capacity in the group',
    href: '/console/patient-initiated',
  })),
];

/** Home cards for the pages beside the worklists that these roles keep. */
export function toolCardsFor(roles: readonly Role[]): Array<{ title: string; description: string; href: string; count: null }> {
  return TOOLS.filter((t) => roles.includes(t.role))
    .filter((t, i, all) => all.findIndex((o) => o.href === t.href) === i)
    .map(({ title, description, href }) => ({ title, description, href, count: null }));
}

/** A patient as every list of the console names them: family name in capitals, then given name. */
export const listName = (familyName: string, givenName: string): string => `${familyName.toUpperCase()}, ${givenName}`;

export const SPECIALTIES: Record<string, string> = {
  '100': 'General surgery',
  '101': 'Urology',
  '110': 'Trauma and orthopaedics',
  '120': 'Ear, nose and throat',
  '130': 'Ophthalmology',
  '140': 'Oral surgery',
  '301': 'Gastroenterology',
  '320': 'Cardiology',
  '330': 'Dermatology',
  '502': 'Gynaecology',
};

/** Status tags: colour by what the status asks of people (NHS.UK tag colours). */
export function statusTag(status: string): { text: string; classes: string } {
  const text = status
    .replace(/_/g, ' ')
    .toLowerCase()
    .replace(/^./, (c) => c.toUpperCase());
  const colour: Record<string, string> = {
    IDENTIFIED: 'nhsuk-tag--grey',
    AWAITING_CLINICAL_REVIEW: 'nhsuk-tag--blue',
    AWAITING_PATIENT_CONSENT: 'nhsuk-tag--purple',
    AWAITING_RECEIVER_ACCEPTANCE: 'nhsuk-tag--blue',
    AWAITING_BOOKING: 'nhsuk-tag--orange',
    BOOKED: 'nhsuk-tag--green',
    TREATED: 'nhsuk-tag--green',
    DISCHARGED: 'nhsuk-tag--white',
    // The pathway after treatment (PW).
    FOLLOW_UP: 'nhsuk-tag--aqua-green',
    AWAITING_ORIGIN_ACCEPTANCE: 'nhsuk-tag--blue',
    ORIGIN_FOLLOW_UP: 'nhsuk-tag--aqua-green',
    VIRTUAL_WARD: 'nhsuk-tag--aqua-green',
  };
  return { text, classes: colour[status] ?? 'nhsuk-tag--grey' };
}
