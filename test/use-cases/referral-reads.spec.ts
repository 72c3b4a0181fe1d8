// The reads of a referral (the view every command answers with, a worklist, the patient's own list,
// and the load a workflow step starts from) against the real Postgres: each is made from the one
// referral row (libs/workflow/src/referral-row.ts), so they agree on every field they share.
import { describe, expect, it } from '@jest/globals';
import { AutomatedSteps, OpenReferral, ReferralQueries } from '#workflow';
import { loadReferral } from '../../libs/workflow/src/referral-load.js';
import { isoDay } from '../support/stack.js';
import { newReferral, patientCaller, staff, useUseCaseContext } from './use-case-context.js';

const { app, db } = useUseCaseContext();
const clerkRLQ = staff('booking_clerk', 'RLQ');
const clinRLQ = staff('clinician', 'RLQ');

/** A read's answer as the test looks at it (each read's own type is a union over what a caller sees). */
type Shown = Record<string, unknown> & { patient: Record<string, unknown>; offers: unknown[]; bookings: unknown[]; timeline: Array<{ type: string }> };

describe('one referral row, every read', () => {
  it('the view, the worklist, the patient list and a step load agree on the referral and what each shows of the patient', async () => {
    const now = new Date();
    // Waited longest of any the suites open, so it heads the clinical-review worklist's first page.
    const input = newReferral({ rttClockStart: isoDay(-400 * 7), patient: { phone: null, contactPreference: 'email' } });
    const { referralId: id } = await app.get(OpenReferral).open(clerkRLQ, input, null);
    await app.get(AutomatedSteps).screen({ referralId: id });
    const reads = app.get(ReferralQueries);

    const view = (await reads.get(clinRLQ, id, now)) as unknown as Shown;
    const {
      patient,
      demographicsMismatch,
      offers,
      bookings,
      timeline,
      clinicalNotes,
      clinicalInformation,
      attachments,
      informationRequest,
      informationRequests,
      additionalRequirements,
      distanceUnknown,
      excludedSites,
      ...referral
    } = view;
    expect(referral).toMatchObject({
      id,
      status: 'AWAITING_CLINICAL_REVIEW',
      originOds: 'RLQ',
      receivingOds: null,
      version: 2,
      rttClockStart: isoDay(-400 * 7),
    });
    expect(patient).toEqual({
      nhsNumber: input.patient.nhsNumber,
      familyName: input.patient.familyName,
      givenName: input.patient.givenName,
      dateOfBirth: '1960-05-05',
      address: input.patient.address,
      postcode: input.patient.postcode,
      phone: null,
      email: input.patient.email,
      gpPracticeOds: input.patient.gpPracticeOds,
    });
    expect(demographicsMismatch).toBe(false);
    expect(offers.length).toBeGreaterThan(0);
    expect(bookings).toEqual([]);
    expect(timeline.map((e) => e.type)).toEqual(['referral_opened', 'screening_passed']);
    expect(clinicalNotes).toEqual([]);
    expect(additionalRequirements).toBeNull();
    // What the view adds for the clinical package (none recorded here): a worklist row has none of it.
    expect({ clinicalInformation, attachments, informationRequest, informationRequests }).toEqual({
      clinicalInformation: null,
      attachments: [],
      informationRequest: null,
      informationRequests: [],
    });
    expect(distanceUnknown).toBe(false);
    expect(Array.isArray(excludedSites)).toBe(true);

    // A worklist shows the same referral fields, and only who the patient is.
    const page = await reads.list(clinRLQ, { worklist: 'clinical-review', limit: 200 }, now);
    // (and, for additional requirements, their short summary: none here)
    expect(page.items.find((i) => i.id === id)).toEqual({
      ...referral,
      additionalRequirements: [],
      patient: { nhsNumber: patient.nhsNumber, familyName: patient.familyName, givenName: patient.givenName, dateOfBirth: patient.dateOfBirth },
    });

    // The patient's own list: the same referral fields, their name and contact details, the open offers.
    const patientView = (await reads.get(patientCaller(input.patient.nhsNumber), id, now)) as unknown as Shown;
    const mine = await reads.patientReferrals(patientCaller(input.patient.nhsNumber), now);
    const { timeline: _, bookings: __, ...patientSummary } = patientView;
    expect(mine.items).toEqual([patientSummary]);
    expect(patientSummary.patient).toEqual({
      givenName: patient.givenName,
      familyName: patient.familyName,
      address: patient.address,
      postcode: patient.postcode,
      phone: null,
      email: patient.email,
    });

    // The load a step starts from has the same row, as values, and the patient's contact preference.
    const loaded = await db.sqlTransaction((tx) => loadReferral(tx, id));
    expect(loaded).toMatchObject({
      id,
      status: referral.status,
      version: referral.version,
      originOds: referral.originOds,
      receivingOds: null,
      pathwayId: referral.pathwayId,
      needsAttention: false,
      nextAppointmentDate: null,
      tertiary: false,
      patient: { nhsNumber: patient.nhsNumber, phone: null, email: patient.email, gpPracticeOds: patient.gpPracticeOds, contactPreference: 'email' },
    });
    expect(loaded!.rttClockStart.toISOString().slice(0, 10)).toBe(isoDay(-400 * 7));
    expect(loaded!.createdAt.toISOString()).toBe(referral.createdAt);
    expect(loaded!.updatedAt.toISOString()).toBe(referral.updatedAt);
  });
});
