// The email a staff team gets when work lands on its worklist: counts and links, never patient data.

/** The event name of staff emails (table staff_notification), apart from the patient's events. */
export const STAFF_WORKLIST_EVENT = 'staff_worklist' as const;

export interface StaffWorklistContext {
  readonly trustName: string;
  /** booking | clinical */
  readonly team: string;
  /** New items per worklist since the last email, e.g. { 'to-book': 2, 'tasks': 1 }. */
  readonly counts: Readonly<Record<string, number>>;
  /** Referral ids (no names, no NHS numbers) for the staff console, at most a few. */
  readonly referralIds: readonly string[];
  /** The service's address (PUBLIC_BASE_URL), no trailing slash: the console is at /console. */
  readonly consoleUrl: string;
}

const TEAM_NAMES: Record<string, string> = { booking: 'booking team', clinical: 'clinical team' };
const WORKLIST_TITLES: Record<string, string> = {
  'clinical-review': 'awaiting clinical review',
  'receiver-acceptance': 'awaiting acceptance of transfer',
  'to-book': 'to book',
  'booking-changed': 'with a cancelled or missed appointment to rebook',
  'handback-acceptance': 'follow-ups handed back to accept',
  'needs-attention': 'needing attention',
  tasks: 'follow-up tasks',
};

export function renderStaffWorklist(c: StaffWorklistContext): { subject: string; body: string } {
  const total = Object.values(c.counts).reduce((a, b) => a + b, 0);
  const team = TEAM_NAMES[c.team] ?? c.team;
  const lines = Object.entries(c.counts)
    .filter(([, n]) => n > 0)
    .map(([w, n]) => `- ${n} ${WORKLIST_TITLES[w] ?? w}: ${c.consoleUrl}/console/worklists/${encodeURIComponent(w)}`);
  return {
    subject: `crosstrust: ${total} new item${total === 1 ? '' : 's'} for the ${c.trustName} ${team}`,
    body: [
      `New on the ${team}'s worklists at ${c.trustName} since our last email:`,
      ...lines,
      ...(c.referralIds.length
        ? ['', 'Referrals (open them in the staff console):', ...c.referralIds.map((id) => `- ${c.consoleUrl}/console/referrals/${id}`)]
        : []),
      '',
      `This email holds no patient details. Sign in to the staff console to see them: ${c.consoleUrl}/console`,
    ].join('\n'),
  };
}
