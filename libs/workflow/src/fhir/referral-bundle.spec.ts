// The export's mapping for every status a referral can be in, validated against the FHIR R4 base
// definitions: the e2e suite walks one referral through the API; this covers the statuses it does not reach.
import { describe, expect, it } from '@jest/globals';
import type { Bundle, EpisodeOfCare, ServiceRequest, Task } from '@medplum/fhirtypes';
import { isFinal, REFERRAL_STATUSES, RECEIVER_OWNS, STATUS_DESCRIPTIONS, type ReferralStatus } from '#domain';
import { bundleProblems } from '../../../../test/support/fhir-validator.js';
import { referralBundle, type ReferralViewForFhir } from './referral-bundle.js';

const directory = {
  trusts: new Map([
    ['RLQ', 'Wye Valley NHS Trust'],
    ['RJC', 'South Warwickshire University NHS Foundation Trust'],
  ]),
  sites: new Map([['RJC02', { name: 'Warwick Hospital', trustOds: 'RJC' }]]),
};

/** When the Bundles are made, with the default re-offer window (REOFFER_WINDOW_DAYS). */
const at = { now: new Date('2026-12-01T00:00:00Z'), reofferWindowDays: 90 };

function view(status: ReferralStatus, clinician: boolean): ReferralViewForFhir {
  const treated = ['TREATED', 'DISCHARGED'].includes(status);
  const received = RECEIVER_OWNS.has(status) || status === 'AWAITING_RECEIVER_ACCEPTANCE';
  const base = {
    id: '6f1c1f0e-8d1b-4c57-9a43-1d1b2c3d4e5f',
    status,
    statusDescription: STATUS_DESCRIPTIONS[status],
    originOds: 'RLQ',
    receivingOds: received ? 'RJC' : null,
    specialtyCode: '110',
    procedureCode: 'W371',
    pathwayId: 'RLQ-PPI-1',
    priority: 'P2',
    rttClockStart: '2026-01-05',
    rttClockStop: treated ? '2026-11-20' : null,
    weeksWaited: 46,
    cohortBand: '40-51',
    needsAttention: false,
    travelRadiusMiles: null,
    version: 3,
    createdAt: '2026-10-01T09:00:00.000Z',
    updatedAt: '2026-11-21T10:00:00.000Z',
    patient: {
      nhsNumber: '9434765919',
      familyName: 'Jones',
      givenName: 'Mary',
      dateOfBirth: '1956-03-02',
      address: null,
      postcode: 'HR1 2ER',
      phone: null,
      email: 'mary@example.com',
      gpPracticeOds: 'M81001',
    },
    offers: received
      ? [{ id: 'o1', receivingOds: 'RJC', siteOds: 'RJC02', siteName: 'Warwick Hospital', distanceMiles: 40, earliestWeek: '2026-11-02', status: 'ACCEPTED' }]
      : [],
    bookings: ['BOOKED', 'TREATED', 'DISCHARGED', 'CANCELLED'].includes(status)
      ? [
          {
            id: '0b7e7a3c-1111-4a4a-8b8b-222233334444',
            kind: 'procedure',
            siteOds: 'RJC02',
            startsAt: '2026-11-20T08:00:00.000Z',
            status: status === 'CANCELLED' ? 'CANCELLED' : treated ? 'ATTENDED' : 'BOOKED',
            cancelReason: status === 'CANCELLED' ? 'referral cancelled' : null,
            createdAt: '2026-11-01T09:00:00.000Z',
          },
        ]
      : [],
    timeline: [
      ...(treated
        ? [{ id: '41', type: 'treatment_recorded', at: '2026-11-20T12:00:00.000Z', detail: { procedureCode: 'W371', performedAt: '2026-11-20T11:00:00.000Z' } }]
        : []),
      ...(status === 'DISCHARGED'
        ? [{ id: '42', type: 'discharged', at: '2026-11-21T10:00:00.000Z', detail: { dischargedAt: '2026-11-21T09:00:00.000Z' } }]
        : []),
    ],
  };
  const notes = [{ id: 'n1', kind: 'discharge_summary', text: 'Home <day 2> & well', authorSub: 'clin', createdAt: '2026-11-21T10:00:00.000Z' }];
  return (clinician ? { ...base, clinicalNotes: notes } : base) as unknown as ReferralViewForFhir;
}

describe('referralBundle', () => {
  it.each([...REFERRAL_STATUSES])('%s: every resource validates against FHIR R4 and names its UK Core profile', (status) => {
    for (const clinician of [true, false]) {
      const bundle: Bundle = referralBundle(view(status, clinician), directory, 'https://crosstrust.example/fhir/r4', at);
      expect(bundleProblems(bundle)).toEqual([]);
      const task = bundle.entry!.map((e) => e.resource).find((r): r is Task => r?.resourceType === 'Task')!;
      expect(task.businessStatus?.coding?.[0].code).toBe(status);
      // The summary's words only for clinicians.
      expect(JSON.stringify(bundle).includes('Home &#60;day 2&#62; &#38; well')).toBe(clinician && status === 'DISCHARGED');
    }
  });

  // FHIR's revoked is terminal ("no further activity should occur"): only a final status may read so,
  // and a request still going on keeps its RTT period active (a receiver's rejection awaits the
  // referrer's decision: on hold, the clock running).
  it.each([...REFERRAL_STATUSES])('%s: the request reads revoked only when nothing further can happen to it', (status) => {
    const bundle = referralBundle(view(status, false), directory, 'https://crosstrust.example/fhir/r4', at);
    const resources = bundle.entry!.map((e) => e.resource);
    const request = resources.find((r): r is ServiceRequest => r?.resourceType === 'ServiceRequest')!;
    const episode = resources.find((r): r is EpisodeOfCare => r?.resourceType === 'EpisodeOfCare')!;
    const ended = isFinal(status) && status !== 'DISCHARGED';
    expect(request.status === 'revoked').toBe(ended);
    if (!ended && !['TREATED', 'DISCHARGED'].includes(status)) expect(episode.status).toBe('active');
    if (status === 'REJECTED_BY_RECEIVER') expect(request.status).toBe('on-hold');
  });

  // A declined or cancelled referral may be re-opened and offered elsewhere within the window: until
  // then it is on hold (the RTT period active), and revoked only once nothing further can happen.
  const closedOn = (status: 'DECLINED' | 'CANCELLED', type: string, day: string) => {
    const v = view(status, false);
    const close = { id: '50', type, fromStatus: 'AWAITING_PATIENT_CONSENT', toStatus: status, at: `${day}T10:00:00.000Z` };
    const bundle = referralBundle({ ...v, timeline: [...v.timeline, close] } as ReferralViewForFhir, directory, 'https://crosstrust.example/fhir/r4', at);
    expect(bundleProblems(bundle)).toEqual([]);
    const resources = bundle.entry!.map((e) => e.resource);
    return {
      request: resources.find((r): r is ServiceRequest => r?.resourceType === 'ServiceRequest')!.status,
      episode: resources.find((r): r is EpisodeOfCare => r?.resourceType === 'EpisodeOfCare')!.status,
    };
  };
  it.each(['DECLINED', 'CANCELLED'] as const)('%s within the re-offer window is on hold, and revoked after it', (status) => {
    // 2026-12-01 is 89 days after 2026-09-03 and 91 after 2026-09-01.
    expect(closedOn(status, 'closed', '2026-09-03')).toEqual({ request: 'on-hold', episode: 'active' });
    expect(closedOn(status, 'closed', '2026-09-01')).toEqual({ request: 'revoked', episode: 'cancelled' });
  });
  it('a referral the referring trust closed back to its own list is revoked at once: it is never offered again', () => {
    expect(closedOn('CANCELLED', 'closed_to_origin', '2026-11-30')).toEqual({ request: 'revoked', episode: 'cancelled' });
  });
});
