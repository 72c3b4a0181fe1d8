// weekChange: one week's slots as a capacity declaration that leaves every other week as it was.
import { describe, expect, it } from '@jest/globals';
import { weekChange } from './capacity-week.js';

const d = (s: string) => new Date(`${s}T00:00:00Z`);
const thisMonday = d('2026-12-07');

describe('weekChange', () => {
  it('declares the one week when nothing is declared yet', () => {
    expect(weekChange(null, 'RJC02', d('2026-12-21'), 7, thisMonday)).toEqual({
      weeklySlots: 7,
      fromDate: d('2026-12-21'),
      toDate: d('2026-12-21'),
      siteOds: 'RJC02',
    });
  });

  it('changes the chosen week, keeps the others as they are, and starts no earlier than this week', () => {
    const current = {
      weeklySlots: 20,
      fromDate: '2026-11-01',
      toDate: '2027-01-03',
      weeks: [
        { weekStart: '2026-12-07', slots: 20 },
        { weekStart: '2026-12-14', slots: 5 },
        { weekStart: '2026-12-21', slots: 20 },
        { weekStart: '2026-12-28', slots: 0 },
      ],
    };
    const out = weekChange(current, 'RJC02', d('2026-12-21'), 3, thisMonday);
    expect(out).toEqual({
      weeklySlots: 20,
      fromDate: thisMonday,
      toDate: d('2027-01-03'),
      siteOds: 'RJC02',
      weeks: [
        { weekStart: '2026-12-07', slots: 20 },
        { weekStart: '2026-12-14', slots: 5 },
        { weekStart: '2026-12-21', slots: 3 },
        { weekStart: '2026-12-28', slots: 0 },
      ],
    });
  });

  it('gives weeks between the old dates and a week beyond them no slots', () => {
    const current = { weeklySlots: 10, fromDate: '2026-12-14', toDate: '2026-12-20', weeks: [{ weekStart: '2026-12-14', slots: 10 }] };
    expect(weekChange(current, 'RLQ01', d('2027-01-04'), 4, thisMonday).weeks).toEqual([
      { weekStart: '2026-12-14', slots: 10 },
      { weekStart: '2026-12-21', slots: 0 },
      { weekStart: '2026-12-28', slots: 0 },
      { weekStart: '2027-01-04', slots: 4 },
    ]);
    const before = weekChange(current, 'RLQ01', thisMonday, 2, thisMonday);
    expect(before.fromDate).toEqual(thisMonday);
    expect(before.weeks).toEqual([
      { weekStart: '2026-12-07', slots: 2 },
      { weekStart: '2026-12-14', slots: 10 },
    ]);
  });

  it('fills a covered week with no row yet with the weekly slots', () => {
    const current = { weeklySlots: 6, fromDate: '2026-12-07', toDate: '2026-12-27', weeks: [{ weekStart: '2026-12-07', slots: 6 }] };
    expect(weekChange(current, 'RLQ01', d('2026-12-14'), 1, thisMonday).weeks).toEqual([
      { weekStart: '2026-12-07', slots: 6 },
      { weekStart: '2026-12-14', slots: 1 },
      { weekStart: '2026-12-21', slots: 6 },
    ]);
  });
});
