// What the referral page's booking forms (views/booking-actions.njk) show: free clinic slots in words,
// live bookings with the patient's change request; apart from the controllers so the page can read it.
import type { Caller } from '#auth';
import { RESCHEDULE_REASONS } from '#domain';
import type { ClinicKind, ClinicSessionView, ClinicSessions } from '#workflow';

export const KIND_WORDS: Record<ClinicKind, string> = {
  pre_op_assessment: 'Pre-operative assessment',
  procedure: 'Procedure (theatre list)',
  follow_up: 'Outpatient follow-up',
};

/** "Procedure, Tuesday 12 January 2027 at 09:30, Warwick Hospital (Ms Jo Hartley)" */
function slotText(s: ClinicSessionView, slot: { startsAt: string }, site: (ods: string) => string): string {
  const when = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(
    new Date(slot.startsAt),
  );
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(slot.startsAt),
  );
  return `${KIND_WORDS[s.kind].replace(' (theatre list)', '')}, ${when} at ${time}, ${site(s.siteOds)} (${s.clinicianName})`;
}

function freeSlotItems(sessions: ClinicSessionView[], kinds: readonly ClinicKind[], site: (ods: string) => string) {
  const now = Date.now();
  return sessions
    .filter((s) => kinds.includes(s.kind))
    .flatMap((s) =>
      s.slots.filter((sl) => sl.bookingId === null && new Date(sl.startsAt).getTime() > now).map((sl) => ({ value: sl.id, text: slotText(s, sl, site) })),
    );
}

type PageReferral = {
  bookings: ReadonlyArray<{ id: string; kind: string; siteOds: string; startsAt: string; status: string }>;
  timeline: ReadonlyArray<{ type: string; detail?: unknown }>;
};

/** What the referral page's booking forms need: free slots (for the receiving booking team only), live bookings with the patient's request. */
export async function bookingContext(
  clinics: ClinicSessions,
  caller: Caller,
  referral: PageReferral,
  actions: readonly string[],
  site: (ods: string) => string,
) {
  const acting = actions.includes('book-slot') || actions.includes('reschedule') || actions.includes('did-not-attend');
  const sessions = acting ? await clinics.list(caller, { days: 366, freeOnly: true }) : [];
  const requests = referral.timeline
    .filter((e) => e.type === 'appointment_change_requested')
    .map((e) => e.detail as { bookingId: string; request: string; reason: string; comment?: string });
  const live = referral.bookings
    .filter((b) => b.status === 'BOOKED')
    .map((b) => {
      const request = requests.findLast((r) => r.bookingId === b.id);
      return {
        ...b,
        siteName: site(b.siteOds),
        kindText: b.kind === 'procedure' ? 'procedure' : 'pre-operative assessment',
        past: new Date(b.startsAt).getTime() <= Date.now(),
        request: request ? { ...request, requestText: request.request === 'cancel' ? 'to cancel' : 'to change the date' } : null,
        slotItems: [{ value: '', text: 'Choose a free slot' }, ...freeSlotItems(sessions, [b.kind as ClinicKind], site)],
      };
    });
  const bookable = freeSlotItems(sessions, ['pre_op_assessment', 'procedure'], site);
  return {
    freeSlots: [{ value: '', text: bookable.length ? 'Choose a free slot' : 'No free slots: declare a clinic first' }, ...bookable],
    live,
    rescheduleReasons: [{ value: '', text: 'Choose a reason' }, ...Object.entries(RESCHEDULE_REASONS).map(([value, t]) => ({ value, text: t }))],
  };
}
