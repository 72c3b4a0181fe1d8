// The staff worklist email: each line links to the console's page for that worklist, and each
// referral to its console page (the pages a person can open in a browser, not JSON routes).
import { describe, expect, it } from '@jest/globals';
import { renderStaffWorklist } from './staff-worklist-template.js';

describe('renderStaffWorklist', () => {
  it("links to the console's worklist and referral pages", () => {
    const m = renderStaffWorklist({
      trustName: 'Wye Valley NHS Trust',
      team: 'booking',
      counts: { 'to-book': 2, tasks: 1, 'clinical-review': 0 },
      referralIds: ['0b6f1a52-5a4e-4e55-9b8a-3f7a1a0c2d11'],
      consoleUrl: 'https://crosstrust.example.nhs.uk',
    });
    expect(m.subject).toBe('crosstrust: 3 new items for the Wye Valley NHS Trust booking team');
    expect(m.body).toContain('- 2 to book: https://crosstrust.example.nhs.uk/console/worklists/to-book');
    expect(m.body).toContain('- 1 follow-up tasks: https://crosstrust.example.nhs.uk/console/worklists/tasks');
    expect(m.body).not.toContain('clinical review');
    expect(m.body).toContain('- https://crosstrust.example.nhs.uk/console/referrals/0b6f1a52-5a4e-4e55-9b8a-3f7a1a0c2d11');
    expect(m.body).not.toContain('/v1/');
  });
});
