// Dates and directory calls the capacity, directory and matching suites share: offers start on the
// Monday after today, capacity is declared in weeks from then, and services are added to sites.
import { expect } from '@jest/globals';
import { bearer, isoDay, type Stack } from './stack.js';

/** The Monday after today (offers start then), as YYYY-MM-DD. */
export function nextMonday(): string {
  const d = new Date(isoDay(0) + 'T00:00:00Z');
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() + (7 - back) * 86_400_000).toISOString().slice(0, 10);
}

/** `day` (YYYY-MM-DD) plus `n` days. */
export const plusDays = (day: string, n: number) => new Date(Date.parse(day + 'T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);

/** Three slots a week for four weeks from next Monday. */
export const fourWeeks = () => ({ weeklySlots: 3, fromDate: nextMonday(), toDate: plusDays(nextMonday(), 27) });

/** A service added to a site, and capacity declared for a trust's treatment function, each expecting success. */
export function directoryCalls(s: Stack) {
  return {
    addService: async (admin: string, siteOds: string, body: Record<string, unknown>): Promise<string> => {
      const res = await s.http.post(`/v1/directory/sites/${siteOds}/services`).set(bearer(admin)).send(body);
      expect(res.status).toBe(201);
      return res.body.id as string;
    },
    declare: async (admin: string, ods: string, tf: string, body: Record<string, unknown>): Promise<unknown> => {
      const res = await s.http.put(`/v1/capacity/${ods}/${tf}`).set(bearer(admin)).send(body);
      expect(res.status).toBe(200);
      return res.body;
    },
  };
}
