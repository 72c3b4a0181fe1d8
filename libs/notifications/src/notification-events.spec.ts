// Appointment times as patients read them in messages.
import { describe, expect, it } from '@jest/globals';
import { renderNotification, type TemplateContext } from './notification-events.js';
import { momentInWords } from './plain-english.js';

const ctx = (startsAt: string): TemplateContext => ({
  givenName: 'Alex',
  originTrustName: 'Wye Valley NHS Trust',
  receivingTrustName: 'South Warwickshire University NHS Foundation Trust',
  offers: [],
  booking: { kind: 'procedure', siteName: 'Warwick Hospital', startsAt },
  reason: null,
});

describe('appointment times in patient messages', () => {
  it('are UK local time: British Summer Time in summer', () => {
    const { body } = renderNotification('appointment_booked', ctx('2026-07-14T08:30:00.000Z'));
    expect(body).toContain('Your procedure is booked at Warwick Hospital on Tuesday 14 July 2026 at 9:30am.');
  });

  it('are UK local time: Greenwich Mean Time in winter, and the day follows the UK clock', () => {
    // 23:30 UTC on 31 October 2026 is after summer time has ended: still Saturday in the UK.
    expect(renderNotification('appointment_reminder', ctx('2026-10-31T23:30:00.000Z')).body).toContain(
      'at Warwick Hospital on Saturday 31 October 2026 at 11:30pm.',
    );
    // 23:30 UTC on 30 June is already 1 July in the UK.
    expect(momentInWords('2026-06-30T23:30:00.000Z')).toBe('Wednesday 1 July 2026 at 12:30am');
  });

  it('are in the NHS.UK style: am and pm, no ":00", midday and midnight', () => {
    expect(momentInWords('2026-12-01T09:00:00.000Z')).toBe('Tuesday 1 December 2026 at 9am');
    expect(momentInWords('2026-12-01T14:05:00.000Z')).toBe('Tuesday 1 December 2026 at 2:05pm');
    expect(momentInWords('2026-12-01T12:00:00.000Z')).toBe('Tuesday 1 December 2026 at midday');
    expect(momentInWords('2026-12-01T00:00:00.000Z')).toBe('Tuesday 1 December 2026 at midnight (the start of the day)');
    expect(momentInWords('2026-12-01T12:45:00.000Z')).toBe('Tuesday 1 December 2026 at 12:45pm');
  });

  it('are written the same in every message that gives one (booked, cancelled, reminder)', () => {
    const bodies = (['appointment_booked', 'appointment_cancelled', 'appointment_reminder'] as const).map(
      (e) => renderNotification(e, ctx('2026-12-01T14:05:00.000Z')).body,
    );
    for (const b of bodies) expect(b).toContain('on Tuesday 1 December 2026 at 2:05pm');
  });
});

describe('offers in patient messages', () => {
  const offers = {
    ...ctx('2026-12-01T14:05:00.000Z'),
    booking: null,
    offers: [
      { trustName: 'South Warwickshire University NHS Foundation Trust', siteName: 'Warwick Hospital', distanceMiles: 41.6, earliestWeek: '2026-12-07' },
      { trustName: 'George Eliot Hospital NHS Trust', siteName: 'George Eliot Hospital', distanceMiles: 0.8, earliestWeek: '2027-01-04' },
    ],
    offerUrl: null,
  };

  it('name each site with its distance in words and the week as a day, in the offer and its reminder', () => {
    for (const event of ['offer', 'offer_reminder'] as const) {
      const { body } = renderNotification(event, offers);
      expect(body).toContain(
        '- Warwick Hospital (South Warwickshire University NHS Foundation Trust), about 42 miles from your home, from the week of Monday 7 December 2026',
      );
      expect(body).toContain('- George Eliot Hospital (George Eliot Hospital NHS Trust), about 1 mile from your home, from the week of Monday 4 January 2027');
      expect(body).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    }
  });
});

describe('offers with the directory and distances not known', () => {
  it("give the site's address and booking team's number, and say when the distance could not be worked out (never 'less than 1 mile')", () => {
    const { body } = renderNotification('offer', {
      ...ctx('2026-12-01T14:05:00.000Z'),
      booking: null,
      offerUrl: null,
      offers: [
        {
          trustName: 'South Warwickshire University NHS Foundation Trust',
          siteName: 'Stratford Hospital',
          distanceMiles: null,
          earliestWeek: '2026-12-07',
          address: 'Arden Street, Stratford-upon-Avon, CV37 6NX',
          bookingPhone: '01632 960 202',
        },
      ],
    });
    expect(body).toContain(
      '- Stratford Hospital (South Warwickshire University NHS Foundation Trust), Arden Street, Stratford-upon-Avon, CV37 6NX, we could not work out the distance from your home, from the week of Monday 7 December 2026. Booking team: 01632 960 202',
    );
    expect(body).not.toContain('less than 1 mile');
  });
});

describe('the discharge message', () => {
  it('names the trust that discharged: the receiving trust by default, the referring trust after a handback', () => {
    expect(renderNotification('discharged', ctx('2026-12-01T14:05:00.000Z')).body).toContain(
      'South Warwickshire University NHS Foundation Trust has discharged you',
    );
    const handedBack = renderNotification('discharged', { ...ctx('2026-12-01T14:05:00.000Z'), dischargedByTrustName: 'Wye Valley NHS Trust' });
    expect(handedBack.body).toContain('Wye Valley NHS Trust has discharged you');
    expect(handedBack.body).not.toContain('South Warwickshire');
  });
});
