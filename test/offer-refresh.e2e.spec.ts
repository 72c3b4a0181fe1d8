// The offer matcher's refresh (issue 20): the offers and the sites not offered are those of the latest
// match, replaced in place across refreshes (nothing appended, an offer matched again reopened), and
// a refresh costs three round trips to Postgres (the subject, the candidates with their standing, the write).
import { describe, expect, it } from '@jest/globals';
import type { SqlRunner } from '#persistence';
import { OfferMatcher } from '#workflow';
import { loadReferral } from '../libs/workflow/src/referral-load.js';
import { getReferral, openReferral, useStack, waitForStatus } from './support/stack.js';
import { directoryCalls, fourWeeks } from './support/capacity.js';

const { s, c } = useStack();
const { addService, declare } = directoryCalls(s);

/** Records the patient's BMI and ASA grade (the referral's clinical information), then refreshes its offers, counting round trips. */
async function refreshWith(id: string, bmi: number | null, asaGrade: number | null): Promise<number> {
  await s.prisma.sql.query(
    `INSERT INTO clinical_information (referral_id, bmi, asa_grade, updated_by_sub) VALUES ($1::uuid, $2, $3, 'test')
     ON CONFLICT (referral_id) DO UPDATE SET bmi = EXCLUDED.bmi, asa_grade = EXCLUDED.asa_grade`,
    [id, bmi, asaGrade],
  );
  return s.prisma.sqlTransaction(async (tx) => {
    const ref = (await loadReferral(tx, id, undefined, { lock: true }))!;
    let roundTrips = 0;
    const counted: SqlRunner = {
      query: (text, values) => {
        roundTrips += 1;
        return tx.query(text, values);
      },
    };
    await s.api.get(OfferMatcher).refresh(counted, ref, new Date());
    return roundTrips;
  });
}

/** The referral's offers as [site, status] and its sites not offered as [site, reason codes], as the clinician sees them. */
async function shown(id: string) {
  const view = await getReferral(s, c.clinRLQ, id);
  return {
    offers: (view.offers as Array<{ siteOds: string; status: string }>).map((o) => [o.siteOds, o.status]).sort(),
    excluded: (view.excludedSites as Array<{ siteOds: string; reasons: Array<{ code: string }> }>).map((x) => [x.siteOds, x.reasons.map((r) => r.code)]),
  };
}

describe("the offer matcher's refresh", () => {
  it('replaces the offers and the sites not offered with the latest match, in three round trips', async () => {
    const bmiLimited = await addService(c.adminRJC, 'RJC08', {
      treatmentFunction: '411',
      name: 'BMI and ASA limited (411)',
      procedures: [],
      maxBmi: 35,
      maxAsaGrade: 3,
    });
    const asaLimited = await addService(c.adminRJC, 'RJC02', { treatmentFunction: '411', name: 'ASA limited (411)', procedures: [], maxAsaGrade: 2 });
    await declare(c.adminRJC, 'RJC', '411', { ...fourWeeks(), serviceId: bmiLimited });
    await declare(c.adminRJC, 'RJC', '411', { ...fourWeeks(), serviceId: asaLimited });
    const ref = await openReferral(s, c, { specialtyCode: '411' });
    await waitForStatus(s, c.clinRLQ, ref.id, 'AWAITING_CLINICAL_REVIEW');
    // Screening matched with nothing recorded: every site offered, none left out.
    expect(await shown(ref.id)).toEqual({
      offers: [
        ['RJC02', 'OPEN'],
        ['RJC08', 'OPEN'],
      ],
      excluded: [],
    });

    expect(await refreshWith(ref.id, 42.5, 2)).toBe(3);
    expect(await shown(ref.id)).toEqual({
      offers: [
        ['RJC02', 'OPEN'],
        ['RJC08', 'WITHDRAWN'],
      ],
      excluded: [['RJC08', ['BMI_ABOVE_MAXIMUM']]],
    });

    // A site left out again keeps one row with its reasons as of now; a site newly left out is added.
    // Nothing matches, so the offers already made stand.
    expect(await refreshWith(ref.id, 42.5, 4)).toBe(3);
    expect(await shown(ref.id)).toEqual({
      offers: [
        ['RJC02', 'OPEN'],
        ['RJC08', 'WITHDRAWN'],
      ],
      excluded: [
        ['RJC02', ['ASA_GRADE_ABOVE_MAXIMUM']],
        ['RJC08', ['BMI_ABOVE_MAXIMUM', 'ASA_GRADE_ABOVE_MAXIMUM']],
      ],
    });

    // Both take the patient again: the withdrawn offer is reopened (no second row), the sites left out cleared.
    expect(await refreshWith(ref.id, 30, 2)).toBe(3);
    expect(await shown(ref.id)).toEqual({
      offers: [
        ['RJC02', 'OPEN'],
        ['RJC08', 'OPEN'],
      ],
      excluded: [],
    });
    const rows = await s.prisma.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM site_exclusion WHERE referral_id = $1::uuid', [ref.id]);
    expect(rows.rows[0].n).toBe(0);
  });
});
