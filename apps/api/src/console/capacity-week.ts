// One week's slots set from the console, as the declaration the API's PUT /v1/capacity takes
// (CapacityService.declare, the one use case that writes capacity): the weeks from this week on
// keep the slots they have, the chosen week gets its new number, and weeks the declaration did not
// cover until now get none. Weeks before this one are left as they were (a declaration rewrites
// every week it covers, so it starts no earlier than this week).
import { isoDate } from '#domain';
import type { CapacityDeclaration } from '#workflow';

const WEEK_MS = 7 * 86_400_000;

/** A declaration as CapacityService.list shows it: weeks from this week on. */
export interface ShownDeclaration {
  readonly weeklySlots: number;
  readonly fromDate: string;
  readonly toDate: string;
  readonly weeks: ReadonlyArray<{ readonly weekStart: string; readonly slots: number }>;
}

/**
 * The declaration that sets `slots` in the week starting `monday` (a Monday, this week or later)
 * at `siteOds`, given what is declared now (`current`, or null for nothing yet) and this week's Monday.
 */
export function weekChange(current: ShownDeclaration | null, siteOds: string, monday: Date, slots: number, thisMonday: Date): CapacityDeclaration {
  if (!current) return { weeklySlots: slots, fromDate: monday, toDate: monday, siteOds };
  const fromMs = Math.min(Math.max(Date.parse(current.fromDate), thisMonday.getTime()), monday.getTime());
  const toMs = Math.max(Date.parse(current.toDate), monday.getTime());
  const shown = new Map(current.weeks.map((w) => [w.weekStart, w.slots]));
  const coveredFrom = isoDate(new Date(mondayAtOrBefore(Date.parse(current.fromDate))));
  const weeks: Array<{ weekStart: string; slots: number }> = [];
  // Every week of the new span (from this week on, as fromMs is), each with the slots it has, or
  // (no row yet) what the old dates gave it.
  for (let t = mondayAtOrBefore(fromMs); t <= toMs; t += WEEK_MS) {
    const day = isoDate(new Date(t));
    const covered = day >= coveredFrom && day <= current.toDate;
    weeks.push({ weekStart: day, slots: t === monday.getTime() ? slots : (shown.get(day) ?? (covered ? current.weeklySlots : 0)) });
  }
  return { weeklySlots: current.weeklySlots, fromDate: new Date(fromMs), toDate: new Date(toMs), siteOds, weeks };
}

/** The Monday on or before a date at midnight UTC. */
function mondayAtOrBefore(ms: number): number {
  const day = new Date(ms).getUTCDay();
  return ms - ((day + 6) % 7) * 86_400_000;
}
