// The insights' figures brought up to date as a trust admin asks (POST /v1/insights/refresh: the
// outbox, BullMQ and the worker's refresh job), waited for until the kept figures are newer than the ask.
import { InsightFigures } from '#workflow';
import { bearer, token, waitUntil, type Stack } from './stack.js';

export async function refreshInsights(s: Stack, ods = 'RLQ'): Promise<Date> {
  const figures = s.api.get(InsightFigures);
  const asked = new Date();
  const res = await s.http.post('/v1/insights/refresh').set(bearer(await token({ role: 'trust_admin', ods, sub: `admin-${ods.toLowerCase()}` })));
  if (res.status !== 202) throw new Error(`POST /v1/insights/refresh: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  const done = await waitUntil(
    async () => {
      const last = await figures.lastRefresh();
      return last !== null && last.computedAt >= asked ? last : null;
    },
    'the insights refresh asked for',
    60,
  );
  return done!.computedAt;
}
