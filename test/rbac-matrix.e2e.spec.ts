// A generated RBAC matrix: every route of the API against every kind of caller, with the expected
// answer derived in code from the rules (PERMISSIONS, trust visibility, trust side), not written by hand.
//
//   1. the caller's role is not in PERMISSIONS[route.permission]          -> 403 (the guard runs first)
//   2. else the referral is not visible to the caller                      -> 404
//      (staff: neither its origin nor its receiving trust; patient: not their own)
//   3. else the action needs a trust side the caller is not on             -> 403
//      (clinical review and a clerk's consent: origin; receiver decision, bookings, booking
//      cancel, treatment, discharge: receiving; PUT capacity: the trust named in the path)
//   4. else allowed                                                        -> the route's success status,
//      or 409 when the referral is not in the status the action needs (rows marked with a status)
//
// An allowed call that changes the referral runs against a fresh referral driven to the status the
// route needs, so the answer is the success status and never a 409 left by an earlier cell. Denied
// calls (and reads, 409s, and retry's "nothing to retry") share one referral per status; a last test
// checks that none of them changed it.
import { beforeAll, describe, expect, it, test } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { CONSOLE_PERMISSION, ConsoleGuard } from '../apps/api/src/console/console-access.js';
import { PERMISSIONS, PERMISSION_KEY, PUBLIC_KEY, type Permission, type Role } from '#auth';
import { raiseTask } from '#workflow';
import { newMessage } from './support/bars-messages.js';
import { randomUUID } from 'node:crypto';
import { bearer, drained, driveTo, getReferral, isoDay, nhsNumber, referralBody, token, useStack, waitUntil } from './support/stack.js';
import { tinyPdf } from './support/documents.js';

// ---------------------------------------------------------------------------------------------
// The world the matrix is played in.

const ORIGIN = 'RLQ';
const RECEIVING = 'RJC';
const UNRELATED = 'RLT';
const TRUSTS = [ORIGIN, RECEIVING, UNRELATED] as const;
type Trust = (typeof TRUSTS)[number];
const OTHER_PATIENT_NHS = '9434765919';

/** Statuses a referral is driven to (driveTo's stages), in order. */
const STAGES = ['AWAITING_CLINICAL_REVIEW', 'AWAITING_PATIENT_CONSENT', 'AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING', 'BOOKED', 'TREATED'] as const;
type Stage = (typeof STAGES)[number];
/** driveTo has the patient accept the RJC offer on the way to AWAITING_RECEIVER_ACCEPTANCE: from then on RJC is the receiver. */
const receiverAt = (stage: Stage): Trust | null => (STAGES.indexOf(stage) >= STAGES.indexOf('AWAITING_RECEIVER_ACCEPTANCE') ? RECEIVING : null);

// ---------------------------------------------------------------------------------------------
// Callers: five roles at each of three trusts, a group admin, and two patients.

interface CallerSpec {
  readonly label: string;
  readonly role: Role;
  readonly ods: Trust | null;
  readonly patient: 'own' | 'other' | null;
}

const STAFF_LIKE_ROLES = ['clinician', 'booking_clerk', 'trust_admin', 'integration', 'additional_requirements_manager'] as const satisfies readonly Role[];
const CALLERS: readonly CallerSpec[] = [
  ...TRUSTS.flatMap((ods) => STAFF_LIKE_ROLES.map((role): CallerSpec => ({ label: `${role}@${ods}`, role, ods, patient: null }))),
  // A person at ORIGIN who runs the group (its membership): no trust's staff role.
  { label: 'group_admin@RLQ', role: 'group_admin', ods: ORIGIN, patient: null },
  { label: 'patient(own)', role: 'patient', ods: null, patient: 'own' },
  { label: 'patient(other)', role: 'patient', ods: null, patient: 'other' },
];

// ---------------------------------------------------------------------------------------------
// Routes: method, path template (as Nest declares it), the permission it names, and how to call it.

type Side = 'origin' | 'receiving';

interface Target {
  readonly id: string;
  readonly bookingId: string | null;
  /** origin-owned routes: the ORIGIN waiting-list import, and an entry of ORIGIN's list (fresh for an allowed call that uses it up). */
  readonly importId?: string;
  readonly entryId?: string;
  /** POST /v1/tasks/:id/complete: a task of ORIGIN (fresh for an allowed call, which completes it). */
  readonly taskId?: string;
  /** The referral's open request for information (routes marked withRequest). */
  readonly requestId?: string;
  /** An attachment of the referral (the shared AWAITING_BOOKING referral has one). */
  readonly attachmentId?: string;
}

interface Call {
  readonly caller: CallerSpec;
  readonly target: Target;
}

interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  readonly template: string;
  readonly permission: Permission;
  /**
   * referral: acts on one referral (rules 2 and 3 apply); trust-param: rule 3 is "the trust in the path";
   * origin-owned: a waiting-list import or entry, or a task, of ORIGIN (rule 2: another trust's staff get 404); none: role only.
   */
  readonly scope: 'referral' | 'trust-param' | 'origin-owned' | 'none';
  /** A text/csv body instead of JSON (the waiting-list upload). */
  readonly csv?: () => string;
  /** A file as the body, with its Content-Type (an attachment). */
  readonly file?: () => { type: string; body: Buffer };
  /** The referral must have an open request for information (the answer route). */
  readonly withRequest?: boolean;
  /** referral routes that change status: the status the action is allowed from (what a referral is driven to). */
  readonly stage?: Stage;
  /** referral routes: where the row's referral sits, when not at `stage` (reads; or an action from the wrong status: 409 if allowed). */
  readonly at?: Stage;
  /** Tells apart rows for one route (a read before and after there is a receiver; an action from the wrong status). */
  readonly variant?: string;
  /** The trust side a caller of this role must be on, if any. */
  readonly side?: (role: Role) => Side | null;
  /** trust-param routes: the trust named in the path. */
  readonly trustParam?: Trust;
  /** Whether an allowed call changes the referral (then each allowed cell gets its own fresh referral). */
  readonly mutates: boolean;
  /** What an allowed call answers. */
  readonly success: number;
  readonly path: (t: Target) => string;
  readonly body?: (role: Role, t: Target) => Record<string, unknown>;
  /** Extra checks on an allowed answer. */
  readonly verify?: (res: { status: number; body: any }, call: Call) => void;
  /** Headers the route needs besides the token (a BaRS message's X-Request-ID). */
  readonly headers?: () => Record<string, string>;
}

/** A service of ORIGIN's main site for PUT /v1/directory/services/:id (made in beforeAll). */
const originService = { id: '' };
/** A fresh name or code per allowed call that adds one. */
let added = 0;
const uniqueCode = () => `${Date.now().toString(36).slice(-3)}${added++}`.toUpperCase();

/** Free procedure slots of RECEIVING for the reschedule route's calls (a clinic made in beforeAll), one per call. */
const receiverSlots = {
  ids: [] as string[],
  used: 0,
  next(): string {
    return this.ids[this.used++ % this.ids.length];
  },
};

/** A stored matching run for GET /v1/matching/runs/:id (made in beforeAll). */
const matchingRun = { id: '' };
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const ref = (t: Target) => `/v1/referrals/${t.id}`;
const becomes = (status: string) => (res: { body: any }, call: Call) => {
  expect(res.body.id).toBe(call.target.id);
  expect(res.body.status).toBe(status);
};
const reads = (res: { body: any }, call: Call) => expect(res.body.id).toBe(call.target.id);
const lists = (res: { body: any }) => expect(Array.isArray(res.body.items)).toBe(true);

/** Where a referral route's referral sits. */
const sitsAt = (route: RouteSpec): Stage => route.at ?? route.stage!;

const readRoutes = (at: Stage): RouteSpec[] => [
  {
    method: 'GET',
    template: '/v1/referrals/:id',
    permission: 'referral.read',
    scope: 'referral',
    at,
    variant: at,
    mutates: false,
    success: 200,
    path: ref,
    verify: reads,
  },
  {
    method: 'GET',
    template: '/v1/referrals/:id/notifications',
    permission: 'notification.read',
    scope: 'referral',
    at,
    variant: at,
    mutates: false,
    success: 200,
    path: (t) => `${ref(t)}/notifications`,
    verify: lists,
  },
  {
    method: 'GET',
    template: '/v1/referrals/:id/additional-requirements',
    permission: 'additional-requirements.read',
    scope: 'referral',
    at,
    variant: at,
    mutates: false,
    success: 200,
    path: (t) => `${ref(t)}/additional-requirements`,
    verify: (res, call) => expect(res.body.referralId).toBe(call.target.id),
  },
  {
    method: 'GET',
    template: '/v1/referrals/:id/fhir',
    permission: 'referral.fhir-export',
    scope: 'referral',
    at,
    variant: at,
    mutates: false,
    success: 200,
    path: (t) => `${ref(t)}/fhir`,
    verify: (res, call) =>
      expect(res.body.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'ServiceRequest').resource.id).toBe(call.target.id),
  },
];

/** The trust that holds the patient's care records their additional requirements (PERMISSION_SIDES 'owner'). */
const ADDITIONAL_REQUIREMENTS: RouteSpec = {
  method: 'PUT',
  template: '/v1/referrals/:id/additional-requirements',
  permission: 'additional-requirements.write',
  scope: 'referral',
  stage: 'AWAITING_BOOKING',
  side: () => 'receiving',
  mutates: true,
  success: 200,
  path: (t) => `${ref(t)}/additional-requirements`,
  body: () => ({ transportNeeded: true, interpreterLanguage: 'bfi' }),
  verify: (res, call) => {
    expect(res.body.referralId).toBe(call.target.id);
    expect(res.body.additionalRequirements).toMatchObject({ transportNeeded: true, interpreterLanguage: 'bfi', recordedBy: { role: call.caller.role } });
  },
};

const CLINICAL_REVIEW: RouteSpec = {
  method: 'POST',
  template: '/v1/referrals/:id/clinical-review',
  permission: 'referral.clinical-review',
  scope: 'referral',
  stage: 'AWAITING_CLINICAL_REVIEW',
  side: () => 'origin',
  mutates: true,
  success: 200,
  path: (t) => `${ref(t)}/clinical-review`,
  body: () => ({ decision: 'not_suitable', reasonCode: 'PATIENT_FRAILTY' }),
  verify: becomes('NOT_SUITABLE'),
};

const CONSENT: RouteSpec = {
  method: 'POST',
  template: '/v1/referrals/:id/consent',
  permission: 'referral.consent',
  scope: 'referral',
  stage: 'AWAITING_PATIENT_CONSENT',
  side: (role) => (role === 'booking_clerk' ? 'origin' : null),
  mutates: true,
  success: 200,
  path: (t) => `${ref(t)}/consent`,
  body: (role) => (role === 'booking_clerk' ? { decision: 'decline', method: 'phone' } : { decision: 'decline' }),
  verify: becomes('DECLINED'),
};

const ROUTES: readonly RouteSpec[] = [
  // Reads: before a receiver is chosen (RJC is unrelated then) and after.
  ...readRoutes('AWAITING_CLINICAL_REVIEW'),
  ...readRoutes('AWAITING_BOOKING'),
  CLINICAL_REVIEW,
  CONSENT,
  // The origin-side actions once there is a receiver: the receiving trust sees the referral but may
  // not act for the origin (403); the origin, allowed, is refused for the status (409).
  { ...CLINICAL_REVIEW, at: 'AWAITING_RECEIVER_ACCEPTANCE', variant: 'AWAITING_RECEIVER_ACCEPTANCE' },
  { ...CONSENT, at: 'AWAITING_RECEIVER_ACCEPTANCE', variant: 'AWAITING_RECEIVER_ACCEPTANCE' },
  {
    method: 'POST',
    template: '/v1/referrals/:id/receiver-decision',
    permission: 'referral.receiver-decision',
    scope: 'referral',
    stage: 'AWAITING_RECEIVER_ACCEPTANCE',
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/receiver-decision`,
    body: () => ({ decision: 'reject', reasonCode: 'NO_CAPACITY' }),
    verify: becomes('REJECTED_BY_RECEIVER'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/bookings',
    permission: 'referral.book',
    scope: 'referral',
    stage: 'AWAITING_BOOKING',
    side: () => 'receiving',
    mutates: true,
    success: 201,
    path: (t) => `${ref(t)}/bookings`,
    body: () => ({ kind: 'pre_op_assessment', startsAt: hours(10 * 24) }),
    verify: (res, call) => {
      becomes('AWAITING_BOOKING')(res, call);
      expect(res.body.booking).toMatchObject({ kind: 'pre_op_assessment', status: 'BOOKED' });
    },
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/bookings/:bookingId/cancel',
    permission: 'referral.book',
    scope: 'referral',
    stage: 'BOOKED',
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/bookings/${t.bookingId}/cancel`,
    body: () => ({ reason: 'Surgeon unavailable' }),
    verify: (res, call) => {
      becomes('AWAITING_BOOKING')(res, call);
      expect(res.body.bookings.find((b: { id: string }) => b.id === call.target.bookingId)).toMatchObject({ status: 'CANCELLED' });
    },
  },
  // Booking as it really goes (issue 18, booking)
  {
    method: 'POST',
    template: '/v1/referrals/:id/bookings/:bookingId/reschedule',
    permission: 'referral.book',
    scope: 'referral',
    stage: 'BOOKED',
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/bookings/${t.bookingId}/reschedule`,
    body: () => ({ slotId: receiverSlots.next(), reasonCode: 'HOSPITAL_OTHER' }),
    verify: (res, call) => {
      becomes('BOOKED')(res, call);
      expect(res.body.bookings.find((b: { id: string }) => b.id === call.target.bookingId)).toMatchObject({ status: 'RESCHEDULED' });
    },
  },
  {
    // The shared booking is weeks ahead: an allowed caller reaches the rule that a did-not-attend waits for the appointment's time (422).
    method: 'POST',
    template: '/v1/referrals/:id/bookings/:bookingId/did-not-attend',
    permission: 'referral.book',
    scope: 'referral',
    stage: 'BOOKED',
    side: () => 'receiving',
    mutates: false,
    success: 422,
    path: (t) => `${ref(t)}/bookings/${t.bookingId}/did-not-attend`,
    verify: (res) => expect(res.body.details).toEqual([expect.objectContaining({ field: 'bookingId' })]),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/bookings/:bookingId/change-request',
    permission: 'referral.change-request',
    scope: 'referral',
    stage: 'BOOKED',
    mutates: true,
    success: 201,
    path: (t) => `${ref(t)}/bookings/${t.bookingId}/change-request`,
    body: () => ({ request: 'change', reasonCode: 'NO_TRANSPORT' }),
    verify: (res, call) => expect(res.body).toMatchObject({ bookingId: call.target.bookingId, request: 'change' }),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/treatment',
    permission: 'referral.treatment',
    scope: 'referral',
    stage: 'BOOKED',
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/treatment`,
    body: () => ({ performedAt: new Date().toISOString(), procedureCode: 'W371' }),
    verify: becomes('TREATED'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/discharge',
    permission: 'referral.discharge',
    scope: 'referral',
    stage: 'TREATED',
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/discharge`,
    body: () => ({ dischargedAt: new Date().toISOString(), summary: 'Recovered well.' }),
    verify: becomes('DISCHARGED'),
  },
  // The pathway after treatment (issue 18, PW): the receiving clinician decides the follow-up; the
  // referring trust's clinician decides on a handback (from TREATED, allowed, refused for the status).
  {
    method: 'POST',
    template: '/v1/referrals/:id/follow-up',
    permission: 'referral.treatment',
    scope: 'referral',
    stage: 'TREATED',
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/follow-up`,
    body: () => ({ plan: 'keep' }),
    verify: becomes('FOLLOW_UP'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/handback-decision',
    permission: 'referral.handback-decision',
    scope: 'referral',
    at: 'TREATED',
    side: () => 'origin',
    mutates: false,
    success: 409,
    path: (t) => `${ref(t)}/handback-decision`,
    body: () => ({ decision: 'accept' }),
    verify: (res) => expect(res.body.currentStatus).toBe('TREATED'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/withdraw',
    permission: 'referral.withdraw',
    scope: 'referral',
    stage: 'AWAITING_BOOKING',
    // Only the patient, or the referring trust on their behalf (PERMISSION_SIDES).
    side: (role) => (role === 'patient' ? null : 'origin'),
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/withdraw`,
    body: () => ({ reason: 'Treated privately' }),
    verify: becomes('WITHDRAWN'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/cancel',
    permission: 'referral.cancel',
    scope: 'referral',
    stage: 'AWAITING_BOOKING',
    // The trust that holds the referral: the receiving trust, once it has accepted the transfer of care.
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/cancel`,
    body: () => ({ reason: 'Duplicate referral' }),
    verify: becomes('CANCELLED'),
  },
  {
    // Before the transfer of care, the referring trust holds it (and the receiver may only reject).
    method: 'POST',
    template: '/v1/referrals/:id/cancel',
    permission: 'referral.cancel',
    scope: 'referral',
    stage: 'AWAITING_RECEIVER_ACCEPTANCE',
    variant: 'AWAITING_RECEIVER_ACCEPTANCE',
    side: () => 'origin',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/cancel`,
    body: () => ({ reason: 'Duplicate referral' }),
    verify: becomes('CANCELLED'),
  },
  {
    method: 'PATCH',
    template: '/v1/referrals/:id/patient-contact',
    permission: 'referral.patient-contact',
    scope: 'referral',
    stage: 'AWAITING_BOOKING',
    side: () => 'origin',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/patient-contact`,
    body: () => ({ phone: '07700900456' }),
    verify: (res, call) => {
      expect(res.body.id).toBe(call.target.id);
      expect(res.body.patient.phone).toBe('07700900456');
    },
  },
  ADDITIONAL_REQUIREMENTS,
  // Before the transfer of care the referring trust holds the patient's care.
  { ...ADDITIONAL_REQUIREMENTS, stage: 'AWAITING_RECEIVER_ACCEPTANCE', variant: 'AWAITING_RECEIVER_ACCEPTANCE', side: () => 'origin' },
  {
    // Nothing failed, so an allowed retry is refused as a conflict and changes nothing.
    method: 'POST',
    template: '/v1/referrals/:id/retry',
    permission: 'referral.retry',
    scope: 'referral',
    at: 'AWAITING_BOOKING',
    mutates: false,
    success: 409,
    path: (t) => `${ref(t)}/retry`,
    verify: (res) => {
      expect(res.body.message).toMatch(/Nothing to retry/);
      expect(res.body.currentStatus).toBe('AWAITING_BOOKING');
    },
  },
  // The clinical package (issue 16).
  {
    method: 'PATCH',
    template: '/v1/referrals/:id/clinical-information',
    permission: 'referral.clinical-information',
    scope: 'referral',
    stage: 'AWAITING_RECEIVER_ACCEPTANCE',
    side: () => 'origin',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/clinical-information`,
    body: () => ({ bmi: 31.4 }),
    verify: reads,
  },
  {
    // After the receiving trust has decided, the package is the record the decision was made on.
    method: 'PATCH',
    template: '/v1/referrals/:id/clinical-information',
    permission: 'referral.clinical-information',
    scope: 'referral',
    stage: 'AWAITING_RECEIVER_ACCEPTANCE',
    at: 'AWAITING_BOOKING',
    variant: 'AWAITING_BOOKING',
    side: () => 'origin',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/clinical-information`,
    body: () => ({ bmi: 31.4 }),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/information-requests',
    permission: 'referral.information-request',
    scope: 'referral',
    stage: 'AWAITING_RECEIVER_ACCEPTANCE',
    side: () => 'receiving',
    mutates: true,
    success: 201,
    path: (t) => `${ref(t)}/information-requests`,
    body: () => ({ question: 'Latest HbA1c?' }),
    verify: (res, call) => {
      becomes('AWAITING_RECEIVER_ACCEPTANCE')(res, call);
      expect(res.body.informationRequest.status).toBe('OPEN');
    },
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/information-requests/:requestId/answer',
    permission: 'referral.information-answer',
    scope: 'referral',
    stage: 'AWAITING_RECEIVER_ACCEPTANCE',
    withRequest: true,
    side: () => 'origin',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/information-requests/${t.requestId}/answer`,
    body: () => ({ answer: 'HbA1c 48 mmol/mol' }),
    verify: (res) => expect(res.body.informationRequest.status).toBe('ANSWERED'),
  },
  {
    // Re-offer (issue 18, RO) is from REJECTED_BY_RECEIVER, which no stage here sits at: the referring clinician, allowed, is refused for the status.
    method: 'POST',
    template: '/v1/referrals/:id/reoffer',
    permission: 'referral.reoffer',
    scope: 'referral',
    at: 'AWAITING_RECEIVER_ACCEPTANCE',
    side: () => 'origin',
    mutates: false,
    success: 409,
    path: (t) => `${ref(t)}/reoffer`,
    verify: (res) => expect(res.body.currentStatus).toBe('AWAITING_RECEIVER_ACCEPTANCE'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/close-to-origin',
    permission: 'referral.close-to-origin',
    scope: 'referral',
    at: 'AWAITING_RECEIVER_ACCEPTANCE',
    side: () => 'origin',
    mutates: false,
    success: 409,
    path: (t) => `${ref(t)}/close-to-origin`,
    verify: (res) => expect(res.body.currentStatus).toBe('AWAITING_RECEIVER_ACCEPTANCE'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/return-to-referrer',
    permission: 'referral.return-with-advice',
    scope: 'referral',
    stage: 'AWAITING_RECEIVER_ACCEPTANCE',
    side: () => 'receiving',
    mutates: true,
    success: 200,
    path: (t) => `${ref(t)}/return-to-referrer`,
    body: () => ({ advice: 'Refer to weight management first.' }),
    verify: becomes('REJECTED_BY_RECEIVER'),
  },
  {
    method: 'POST',
    template: '/v1/referrals/:id/attachments',
    permission: 'attachment.upload',
    scope: 'referral',
    at: 'AWAITING_BOOKING',
    side: () => 'origin',
    mutates: true,
    success: 201,
    path: (t) => `${ref(t)}/attachments?kind=clinic_letter`,
    file: () => ({ type: 'application/pdf', body: tinyPdf() }),
    verify: (res) => expect(res.body.mediaType).toBe('application/pdf'),
  },
  {
    method: 'GET',
    template: '/v1/referrals/:id/attachments',
    permission: 'attachment.read',
    scope: 'referral',
    at: 'AWAITING_BOOKING',
    mutates: false,
    success: 200,
    path: (t) => `${ref(t)}/attachments`,
    verify: (res) => expect(res.body.items).toHaveLength(1),
  },
  {
    method: 'GET',
    template: '/v1/referrals/:id/attachments/:attachmentId',
    permission: 'attachment.download',
    scope: 'referral',
    at: 'AWAITING_BOOKING',
    mutates: false,
    success: 200,
    path: (t) => `${ref(t)}/attachments/${t.attachmentId}`,
  },
  {
    method: 'GET',
    template: '/v1/reason-codes',
    permission: 'reason-codes.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/reason-codes',
    verify: (res) => expect(res.body.cancellation.length).toBeGreaterThan(0),
  },
  // Booking as it really goes (issue 18, booking): a trust's own clinics and did-not-attend policy.
  {
    method: 'POST',
    template: '/v1/clinics',
    permission: 'clinic.write',
    scope: 'none',
    mutates: true,
    success: 201,
    path: () => '/v1/clinics',
    body: () => ({ clinicianName: 'Dr RBAC', kind: 'follow_up', date: isoDay(60), startTime: '14:00', slotMinutes: 15, slotCount: 2 }),
    verify: (res, call) => expect(res.body).toMatchObject({ trustOds: call.caller.ods, slotCount: 2 }),
  },
  {
    method: 'GET',
    template: '/v1/clinics',
    permission: 'clinic.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/clinics',
    verify: lists,
  },
  {
    method: 'GET',
    template: '/v1/booking-policy',
    permission: 'booking-policy.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/booking-policy',
    verify: (res, call) => expect(res.body.trustOds).toBe(call.caller.ods),
  },
  {
    method: 'PUT',
    template: '/v1/booking-policy',
    permission: 'booking-policy.write',
    scope: 'none',
    mutates: true,
    success: 200,
    path: () => '/v1/booking-policy',
    body: () => ({ dnaAction: 'rebook' }),
    verify: (res, call) => expect(res.body).toMatchObject({ trustOds: call.caller.ods, dnaAction: 'rebook' }),
  },
  // Routes not about one referral.
  {
    method: 'GET',
    template: '/v1/referrals',
    permission: 'referral.list',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/referrals?limit=5',
    verify: lists,
  },
  {
    method: 'GET',
    template: '/v1/referrals/summary',
    permission: 'referral.list',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/referrals/summary',
    verify: (res, call) => {
      expect(res.body.ods).toBe(call.caller.ods);
      expect(typeof res.body.worklists['to-book']).toBe('number');
    },
  },
  {
    method: 'POST',
    template: '/v1/referrals',
    permission: 'referral.create',
    scope: 'none',
    mutates: true,
    success: 201,
    path: () => '/v1/referrals',
    body: () => referralBody(),
    verify: (res, call) => {
      expect(res.body.originOds).toBe(call.caller.ods);
      expect(res.body.receivingOds).toBeNull();
    },
  },
  {
    // A BaRS message opens a referral of the sending system's own trust.
    method: 'POST',
    template: '/fhir/r4/$process-message',
    permission: 'fhir.process-message',
    scope: 'none',
    mutates: true,
    success: 200,
    path: () => '/fhir/r4/$process-message',
    body: () => ({ ...newMessage() }),
    headers: () => ({ 'X-Request-ID': randomUUID() }),
    verify: (res, call) => {
      const sr = res.body.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'ServiceRequest').resource;
      expect(sr.requester.reference).toBe(`Organization/${call.caller.ods}`);
    },
  },
  {
    method: 'GET',
    template: '/v1/patient/referrals',
    permission: 'patient.own-referrals',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/patient/referrals',
    verify: (res, call) => {
      // "Own" is the patient of the shared AWAITING_BOOKING referral: they see it, the other patient does not.
      const ids = res.body.items.map((r: { id: string }) => r.id);
      if (call.caller.patient === 'own') expect(ids).toContain(call.target.id);
      else expect(ids).not.toContain(call.target.id);
    },
  },
  {
    method: 'GET',
    template: '/v1/audit',
    permission: 'audit.read',
    scope: 'none',
    mutates: false,
    success: 200,
    // The trail of the shared AWAITING_BOOKING referral: its origin's and receiver's admins see it, another trust's admin sees none of it.
    path: (t) => `/v1/audit?referralId=${t.id}&limit=500`,
    verify: (res, call) => {
      const items: Array<{ referralId: string }> = res.body.items;
      if (call.caller.ods === UNRELATED) expect(items).toEqual([]);
      else {
        expect(items.length).toBeGreaterThan(0);
        expect(items.every((i) => i.referralId === call.target.id)).toBe(true);
      }
    },
  },
  {
    method: 'POST',
    template: '/v1/referrals',
    permission: 'referral.create',
    scope: 'origin-owned',
    variant: 'from a waiting-list entry',
    mutates: true,
    success: 201,
    path: () => '/v1/referrals',
    body: (_role, t) => ({ waitingListEntryId: t.entryId }),
    verify: (res) => expect(res.body).toMatchObject({ originOds: ORIGIN, status: 'IDENTIFIED', pathwayId: expect.stringMatching(/^RBAC-WL-/) }),
  },
  {
    method: 'POST',
    template: '/v1/waiting-list/imports',
    permission: 'waiting-list.import',
    scope: 'none',
    mutates: true,
    success: 202,
    path: () => '/v1/waiting-list/imports?mode=partial',
    csv: () => waitingListCsv(1),
    verify: (res, call) => expect(res.body).toMatchObject({ originOds: call.caller.ods, status: 'queued', rowsTotal: 1 }),
  },
  {
    method: 'GET',
    template: '/v1/waiting-list/imports/:id',
    permission: 'waiting-list.import',
    scope: 'origin-owned',
    mutates: false,
    success: 200,
    path: (t) => `/v1/waiting-list/imports/${t.importId}`,
    verify: (res, call) => expect(res.body).toMatchObject({ id: call.target.importId, originOds: ORIGIN }),
  },
  {
    method: 'GET',
    template: '/v1/long-waiters',
    permission: 'waiting-list.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/long-waiters?limit=200',
    // The shared entry of ORIGIN's list: its staff see it, the other trusts' staff do not.
    verify: (res, call) => {
      const ids = res.body.items.map((i: { id: string }) => i.id);
      if (call.caller.ods === ORIGIN) expect(ids).toContain(call.target.entryId);
      else expect(ids).not.toContain(call.target.entryId);
    },
  },
  {
    method: 'GET',
    template: '/v1/capacity',
    permission: 'capacity.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/capacity',
    verify: lists,
  },
  {
    method: 'PUT',
    template: '/v1/capacity/:ods/:specialty',
    permission: 'capacity.write',
    scope: 'trust-param',
    trustParam: ORIGIN,
    mutates: true,
    success: 200,
    // A specialty no referral here uses, so declaring it changes no offer.
    path: () => `/v1/capacity/${ORIGIN}/502`,
    body: () => ({ weeklySlots: 4, fromDate: isoDay(0), toDate: isoDay(90) }),
    verify: (res) => expect(res.body).toMatchObject({ ods: ORIGIN, specialtyCode: '502', weeklySlots: 4 }),
  },
  // Matching runs: a proposal only, it changes no referral and no capacity.
  {
    method: 'POST',
    template: '/v1/matching/runs',
    permission: 'matching.run',
    scope: 'none',
    mutates: false,
    success: 201,
    path: () => '/v1/matching/runs',
    body: () => ({ specialtyCode: '110', minWeeks: 52 }),
    verify: (res) => expect(res.body).toMatchObject({ id: expect.any(String), params: { specialtyCode: '110', minWeeks: 52 } }),
  },
  {
    method: 'GET',
    template: '/v1/matching/runs/:id',
    permission: 'matching.run',
    // ORIGIN's admin made it; it lists that trust's patients, so another trust's admin gets 404.
    scope: 'origin-owned',
    mutates: false,
    success: 200,
    path: () => `/v1/matching/runs/${matchingRun.id}`,
    verify: (res) => expect(res.body.id).toBe(matchingRun.id),
  },
  // Insights: aggregate figures of the caller's trust (or the group), counts under 5 hidden.
  {
    method: 'GET',
    template: '/v1/insights/:chart',
    permission: 'insights.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/insights/funnel',
    verify: (res) => expect(res.body).toMatchObject({ chart: 'funnel', scope: 'trust', columns: ['stage', 'referrals'], suppressedBelow: 5 }),
  },
  // Insights at scale: asking the worker for the figures now (no referral is changed).
  {
    method: 'POST',
    template: '/v1/insights/refresh',
    permission: 'insights.refresh',
    scope: 'none',
    mutates: false,
    success: 202,
    path: () => '/v1/insights/refresh',
    verify: (res) => expect(res.body).toMatchObject({ status: 'asked' }),
  },
  // The tasks worklist of the caller's trust, and completing a task (ORIGIN's: other trusts' staff get 404).
  {
    method: 'GET',
    template: '/v1/tasks',
    permission: 'task.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/tasks?limit=5',
    verify: lists,
  },
  {
    method: 'POST',
    template: '/v1/tasks/:id/complete',
    permission: 'task.complete',
    scope: 'origin-owned',
    mutates: true,
    success: 200,
    path: (t) => `/v1/tasks/${t.taskId}/complete`,
    verify: (res, call) => expect(res.body).toMatchObject({ id: call.target.taskId, trustOds: ORIGIN, status: 'DONE' }),
  },
  {
    method: 'GET',
    template: '/v1/team-contacts',
    permission: 'team-contact.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/team-contacts',
    verify: (res, call) => expect(res.body.items.every((i: { trustOds: string }) => i.trustOds === call.caller.ods)).toBe(true),
  },
  {
    method: 'PUT',
    template: '/v1/team-contacts/:team',
    permission: 'team-contact.write',
    scope: 'none',
    mutates: true,
    success: 200,
    // The caller's own trust (from the token); the clinical team, whose address no other suite checks.
    path: () => '/v1/team-contacts/clinical',
    body: () => ({ email: 'clinical-team@example.nhs.uk' }),
    verify: (res, call) => expect(res.body).toMatchObject({ trustOds: call.caller.ods, team: 'clinical', email: 'clinical-team@example.nhs.uk' }),
  },
  // The service directory: any staff of the group reads it; each trust's admins keep their own sites (a site of ORIGIN here).
  {
    method: 'GET',
    template: '/v1/directory/sites',
    permission: 'directory.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/directory/sites',
    verify: lists,
  },
  {
    method: 'PUT',
    template: '/v1/directory/sites/:siteOds',
    permission: 'directory.write',
    scope: 'trust-param',
    trustParam: ORIGIN,
    mutates: true,
    success: 200,
    // The seed's own values: no other suite sees a change.
    path: () => '/v1/directory/sites/RLQ01',
    body: () => ({ name: 'Hereford County Hospital', address: 'Union Walk, Hereford', postcode: 'HR1 2ER' }),
    verify: (res) => expect(res.body).toMatchObject({ ods: 'RLQ01', trustOds: ORIGIN }),
  },
  {
    method: 'POST',
    template: '/v1/directory/sites/:siteOds/services',
    permission: 'directory.write',
    scope: 'trust-param',
    trustParam: ORIGIN,
    mutates: true,
    success: 201,
    // A treatment function no referral here uses, with no capacity: it changes no offer.
    path: () => '/v1/directory/sites/RLQ01/services',
    body: () => ({ treatmentFunction: '503', name: `RBAC ${uniqueCode()}`, procedures: ['W37-W42'] }),
    verify: (res) => expect(res.body).toMatchObject({ siteOds: 'RLQ01', treatmentFunction: '503' }),
  },
  {
    method: 'PUT',
    template: '/v1/directory/services/:id',
    permission: 'directory.write',
    scope: 'trust-param',
    trustParam: ORIGIN,
    mutates: true,
    success: 200,
    path: () => `/v1/directory/services/${originService.id}`,
    body: () => ({ treatmentFunction: '503', name: 'RBAC service', procedures: [], maxBmi: 45 }),
    verify: (res) => expect(res.body).toMatchObject({ id: originService.id, exclusions: { maxBmi: 45 } }),
  },
  {
    method: 'POST',
    template: '/v1/postcodes/loads',
    permission: 'postcodes.load',
    scope: 'none',
    mutates: true,
    success: 200,
    path: () => '/v1/postcodes/loads',
    csv: () => 'pcds,lat,long\nHR1 9ZZ,52.06,-2.71\n',
    verify: (res) => expect(res.body).toMatchObject({ rows: 1, loaded: 1 }),
  },
  {
    method: 'GET',
    template: '/v1/group',
    permission: 'group.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/group',
    verify: (res) => expect(res.body.members.map((m: { ods: string }) => m.ods)).toEqual(expect.arrayContaining([...TRUSTS])),
  },
  {
    method: 'POST',
    template: '/v1/group/trusts',
    permission: 'group.write',
    scope: 'none',
    mutates: true,
    success: 201,
    path: () => '/v1/group/trusts',
    body: () => {
      const code = `Z${uniqueCode().slice(-2)}`;
      return { ods: code, name: `Trust ${code}`, mainSite: { ods: `${code}01`, name: `${code} Hospital`, address: '1 Road, Town', postcode: 'WR1 9ZZ' } };
    },
    verify: (res) => expect(res.body).toMatchObject({ groupId: 'foundation' }),
  },
  // Patient-initiated mutual aid (PIDMAS): the trust's own cohorts and opt-ins.
  {
    method: 'POST',
    template: '/v1/pidmas/cohorts',
    permission: 'pidmas.invite',
    scope: 'none',
    mutates: false,
    success: 201,
    path: () => '/v1/pidmas/cohorts',
    // A specialty no entry here has: the cohort is chosen, nobody is sent anything.
    body: () => ({ specialtyCode: '159', minWeeks: 104 }),
    verify: (res) => expect(res.body).toMatchObject({ specialtyCode: '159', minWeeks: 104, invited: 0 }),
  },
  { method: 'GET', template: '/v1/pidmas/cohorts', permission: 'pidmas.read', scope: 'none', mutates: false, success: 200, path: () => '/v1/pidmas/cohorts' },
  {
    method: 'GET',
    template: '/v1/pidmas/reason-codes',
    permission: 'pidmas.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/pidmas/reason-codes',
    verify: (res) => expect(res.body.notSuitable).toHaveProperty('CARING_RESPONSIBILITIES'),
  },
  {
    method: 'GET',
    template: '/v1/pidmas/opt-ins',
    permission: 'pidmas.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/pidmas/opt-ins?limit=500',
    // The shared opt-in of ORIGIN: its staff see it, the other trusts' staff do not.
    verify: (res, call) => {
      const ids = res.body.items.map((i: { id: string }) => i.id);
      if (call.caller.ods === ORIGIN) expect(ids).toContain(optIns.get(call.target.entryId!));
      else expect(ids).not.toContain(optIns.get(call.target.entryId!));
    },
  },
  {
    method: 'GET',
    template: '/v1/pidmas/opt-ins/no-capacity.csv',
    permission: 'pidmas.read',
    scope: 'none',
    mutates: false,
    success: 200,
    path: () => '/v1/pidmas/opt-ins/no-capacity.csv',
  },
  {
    method: 'POST',
    template: '/v1/pidmas/opt-ins/:id/review',
    permission: 'pidmas.review',
    scope: 'origin-owned',
    mutates: true,
    success: 200,
    path: (t) => `/v1/pidmas/opt-ins/${optIns.get(t.entryId!)}/review`,
    body: () => ({ decision: 'not_suitable', reasonCode: 'TRAVEL_NOT_SAFE' }),
    verify: (res) => expect(res.body).toMatchObject({ review: 'not_suitable', reasonCode: 'TRAVEL_NOT_SAFE' }),
  },
];

/** The opt-in of each of ORIGIN's waiting-list entries (an invitation the patient answered), for the PIDMAS rows. */
const optIns = new Map<string, string>();

async function optInsFor(entryIds: readonly string[]): Promise<void> {
  const { rows } = await s.prisma.sql.query<{ id: string }>(
    `INSERT INTO pidmas_cohort (id, origin_ods, specialty_code, min_weeks, created_by) VALUES ($1::uuid, $2, '110', 18, 'rbac')
     ON CONFLICT (origin_ods, specialty_code, min_weeks) DO UPDATE SET created_by = EXCLUDED.created_by RETURNING id::text AS id`,
    [randomUUID(), ORIGIN],
  );
  const cohort = rows[0].id;
  for (const entryId of entryIds) {
    const id = randomUUID();
    await s.prisma.sql.query(
      `INSERT INTO pidmas_invitation (id, cohort_id, entry_id, origin_ods, channel, status, answer, travel_radius_miles, answered_at)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, 'sms', 'delivered', 'opted_in', 50, now())`,
      [id, cohort, entryId, ORIGIN],
    );
    optIns.set(entryId, id);
  }
}

// ---------------------------------------------------------------------------------------------
// The rules, in code.

type Why = 'role' | 'hidden' | 'side' | 'conflict' | 'allowed';
interface Expectation {
  readonly status: number;
  readonly why: Why;
}

function expected(route: RouteSpec, caller: CallerSpec): Expectation {
  // 1. The guard: the role must be one the permission lists.
  if (!(PERMISSIONS[route.permission] as readonly Role[]).includes(caller.role)) return { status: 403, why: 'role' };
  if (route.scope === 'referral') {
    // 2. Visibility: staff of the origin or receiving trust; the patient whose referral it is.
    const receiving = receiverAt(sitsAt(route));
    const visible = caller.role === 'patient' ? caller.patient === 'own' : caller.ods === ORIGIN || (receiving !== null && caller.ods === receiving);
    if (!visible) return { status: 404, why: 'hidden' };
    // 3. The trust side the action belongs to (staff only; a patient acts for themself).
    const side = caller.role === 'patient' ? null : (route.side?.(caller.role) ?? null);
    if (side && caller.ods !== (side === 'origin' ? ORIGIN : receiving)) return { status: 403, why: 'side' };
  }
  if (route.scope === 'trust-param' && caller.ods !== route.trustParam) return { status: 403, why: 'side' };
  if (route.scope === 'origin-owned' && caller.ods !== ORIGIN) return { status: 404, why: 'hidden' };
  // 4. Allowed: the route's answer, or 409 when the referral is not in the status the action needs.
  if (route.scope === 'referral' && route.stage && sitsAt(route) !== route.stage) return { status: 409, why: 'conflict' };
  return { status: route.success, why: 'allowed' };
}

const routeKey = (r: Pick<RouteSpec, 'method' | 'template'>) => `${r.method} ${r.template}`;

interface Cell {
  readonly name: string;
  readonly route: RouteSpec;
  readonly caller: CallerSpec;
  readonly expect: Expectation;
  /** Needs its own referral: an allowed call that changes it. */
  readonly fresh: boolean;
}

const CELLS: readonly Cell[] = ROUTES.flatMap((route) =>
  CALLERS.map((caller): Cell => {
    const e = expected(route, caller);
    const at = route.variant ? ` [referral ${route.variant}]` : '';
    return {
      name: `${routeKey(route)}${at} as ${caller.label} -> ${e.status}`,
      route,
      caller,
      expect: e,
      fresh: (route.scope === 'referral' || route.scope === 'origin-owned') && route.mutates && e.why === 'allowed',
    };
  }),
);

// ---------------------------------------------------------------------------------------------
// The stack, tokens and referrals.

const { s, c } = useStack();

interface Driven extends Target {
  readonly patientToken: string;
}
const shared = new Map<Stage, Driven>();
const fresh = new Map<string, Driven>();
const versionsBefore = new Map<Stage, { version: number; status: string; timeline: number }>();
const tokens = new Map<string, string>();
/** ORIGIN's tasks: one no allowed call completes, and one per allowed "complete" cell. */
const tasksOfOrigin = { shared: '', fresh: new Map<string, string>() };
/** ORIGIN's waiting list: one import, an entry no allowed call uses up, and one entry per allowed "from entry" cell. */
const waitingList = { importId: '', sharedEntry: '', freshEntries: new Map<string, string>() };

let wlRow = 0;
/** A waiting-list CSV of `n` valid rows with fresh pathway ids. */
function waitingListCsv(n: number): string {
  const header =
    'nhs_number,family_name,given_name,date_of_birth,postcode,gp_practice_ods,specialty_code,procedure_code,rtt_clock_start,pathway_id,priority,next_appointment_date';
  // Waited longer than any other suite's entries (110 weeks at most), so they head ORIGIN's long-waiters whatever ran before.
  const rows = Array.from(
    { length: n },
    () => `${nhsNumber()},Testpatient,Alex,1960-05-05,HR1 2ER,M81001,110,W371,${isoDay(-150 * 7)},RBAC-WL-${process.pid}-${wlRow++},P4,`,
  );
  return [header, ...rows].join('\n') + '\n';
}

/** Imports ORIGIN's list for the waiting-list cells (through the API, as a clerk would). */
async function importWaitingList(): Promise<void> {
  const fromEntry = CELLS.filter((cell) => cell.route.scope === 'origin-owned' && cell.fresh);
  const res = await s.http
    .post('/v1/waiting-list/imports?mode=partial')
    .set(bearer(c.clerkRLQ))
    .set('Content-Type', 'text/csv')
    .send(waitingListCsv(1 + fromEntry.length));
  if (res.status !== 202) throw new Error(`waiting-list import failed: ${res.status} ${JSON.stringify(res.body)}`);
  waitingList.importId = res.body.id;
  await waitUntil(
    async () => (await s.http.get(`/v1/waiting-list/imports/${res.body.id}`).set(bearer(c.clerkRLQ))).body.status === 'completed',
    'the waiting-list import',
  );
  const { rows } = await s.prisma.sql.query<{ id: string }>('SELECT id FROM waiting_list_entry WHERE last_import_id = $1::uuid ORDER BY last_import_row', [
    res.body.id,
  ]);
  waitingList.sharedEntry = rows[0].id;
  fromEntry.forEach((cell, i) => waitingList.freshEntries.set(cell.name, rows[i + 1].id));
}

async function drive(stage: Stage, opts: { withRequest?: boolean } = {}): Promise<Driven> {
  const d = await driveTo(s, c, stage);
  let requestId: string | undefined;
  if (opts.withRequest) {
    const asked = await s.http.post(`/v1/referrals/${d.id}/information-requests`).set(bearer(c.clinRJC)).send({ question: 'Latest HbA1c?' });
    if (asked.status !== 201) throw new Error(`request for information failed: ${asked.status} ${JSON.stringify(asked.body)}`);
    requestId = asked.body.informationRequest.id;
  }
  let bookingId: string | null = null;
  if (stage === 'BOOKED') {
    const r = await getReferral(s, c.clinRJC, d.id);
    bookingId = r.bookings.find((b: { kind: string; status: string }) => b.kind === 'procedure' && b.status === 'BOOKED')!.id;
  }
  let attachmentId: string | undefined;
  if (stage === 'AWAITING_BOOKING') {
    const added = await s.http
      .post(`/v1/referrals/${d.id}/attachments?kind=clinic_letter`)
      .set(bearer(c.clinRLQ))
      .set('Content-Type', 'application/pdf')
      .send(tinyPdf());
    if (added.status !== 201) throw new Error(`attachment failed: ${added.status} ${JSON.stringify(added.body)}`);
    attachmentId = added.body.id;
  }
  return { id: d.id, bookingId, patientToken: d.patient, requestId, attachmentId };
}

/** Runs the tasks with at most `width` at once. */
async function pool(tasks: Array<() => Promise<void>>, width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, tasks.length) }, async () => {
      while (next < tasks.length) await tasks[next++]();
    }),
  );
}

function targetOf(cell: Cell): Driven {
  if (cell.route.scope === 'referral') return cell.fresh ? fresh.get(cell.name)! : shared.get(sitsAt(cell.route))!;
  if (cell.route.scope === 'origin-owned') {
    const base = shared.get('AWAITING_BOOKING')!;
    const taskId = (cell.fresh ? tasksOfOrigin.fresh.get(cell.name) : undefined) ?? tasksOfOrigin.shared;
    return { ...base, importId: waitingList.importId, entryId: cell.fresh ? waitingList.freshEntries.get(cell.name)! : waitingList.sharedEntry, taskId };
  }
  // Routes not about one referral: "own" is the patient of the shared AWAITING_BOOKING referral,
  // whose own list (and whose trusts' audit trail) must show it.
  return { ...shared.get('AWAITING_BOOKING')!, entryId: waitingList.sharedEntry };
}

function tokenOf(cell: Cell, target: Driven): string {
  if (cell.caller.patient === 'own') return target.patientToken;
  return tokens.get(cell.caller.label)!;
}

beforeAll(async () => {
  for (const caller of CALLERS) {
    if (caller.patient === 'other') tokens.set(caller.label, await token({ role: 'patient', nhsNumber: OTHER_PATIENT_NHS, sub: 'rbac-patient-other' }));
    else if (caller.ods) tokens.set(caller.label, await token({ role: caller.role, ods: caller.ods, sub: `rbac-${caller.role}-${caller.ods}` }));
  }
  // One shared referral per stage a route needs (AWAITING_BOOKING also serves the patient list).
  const stages = new Set<Stage>([...ROUTES.flatMap((r) => (r.scope === 'referral' ? [sitsAt(r)] : [])), 'AWAITING_BOOKING']);
  const tasks: Array<() => Promise<void>> = [
    ...[...stages].map((stage) => async () => {
      // The shared referral awaiting the receiver has an open request for information, for the answer route's denied cells.
      shared.set(stage, await drive(stage, { withRequest: stage === 'AWAITING_RECEIVER_ACCEPTANCE' }));
    }),
    ...CELLS.filter((cell) => cell.fresh).map((cell) => async () => {
      fresh.set(cell.name, await drive(cell.route.stage ?? sitsAt(cell.route), { withRequest: cell.route.withRequest }));
    }),
  ];
  await pool(tasks, 8);
  await importWaitingList();
  await optInsFor([waitingList.sharedEntry, ...waitingList.freshEntries.values()]);
  const clinic = await s.http
    .post('/v1/clinics')
    .set(bearer(c.clerkRJC))
    .send({ kind: 'procedure', clinicianName: 'Dr RBAC', date: isoDay(45), startTime: '08:00', slotMinutes: 10, slotCount: 60 });
  receiverSlots.ids = clinic.body.slots.map((x: { id: string }) => x.id);
  matchingRun.id = (await s.http.post('/v1/matching/runs').set(bearer(c.adminRLQ)).send({ specialtyCode: '110', minWeeks: 52 })).body.id;
  originService.id = (
    await s.http.post('/v1/directory/sites/RLQ01/services').set(bearer(c.adminRLQ)).send({ treatmentFunction: '503', name: 'RBAC service', procedures: [] })
  ).body.id;
  for (const cell of [null, ...CELLS.filter((x) => x.route.template === '/v1/tasks/:id/complete' && x.fresh)]) {
    const key = `rbac.${process.pid}.${cell?.name ?? 'shared'}`;
    await raiseTask(s.prisma.sql, { trustOds: ORIGIN, team: 'booking', kind: 'rbac_check', referralId: null, key });
    const { rows } = await s.prisma.sql.query<{ id: string }>('SELECT id::text AS id FROM task WHERE key = $1', [key]);
    if (cell) tasksOfOrigin.fresh.set(cell.name, rows[0].id);
    else tasksOfOrigin.shared = rows[0].id;
  }
  // Let the automated steps the driving started finish, so nothing but the matrix can touch the shared referrals.
  await drained(s);
  for (const [stage, d] of shared) {
    const r = await getReferral(s, c.clinRLQ, d.id);
    if (r.status !== stage || r.needsAttention) throw new Error(`shared referral for ${stage} is ${r.status} (needsAttention ${r.needsAttention})`);
    versionsBefore.set(stage, { version: r.version, status: r.status, timeline: r.timeline.length });
  }
}, 180_000);

// ---------------------------------------------------------------------------------------------

describe('RBAC matrix', () => {
  it('is generated over every route and every kind of caller', () => {
    // Five roles at three trusts, a group admin, two patients.
    expect(CALLERS).toHaveLength(18);
    expect(CELLS).toHaveLength(ROUTES.length * CALLERS.length);
    // Every outcome the rules can give occurs somewhere, and each referral action is allowed to someone.
    expect(new Set(CELLS.map((x) => x.expect.why))).toEqual(new Set<Why>(['role', 'hidden', 'side', 'conflict', 'allowed']));
    for (const key of new Set(ROUTES.map(routeKey)))
      expect([key, CELLS.some((x) => routeKey(x.route) === key && x.expect.why === 'allowed')]).toEqual([key, true]);
    // Both sides' rules decide some cell: origin-only and receiving-only actions are each refused to the other side.
    const sideRefusals = CELLS.filter((x) => x.expect.why === 'side').map((x) => `${routeKey(x.route)} ${x.caller.ods}`);
    expect(sideRefusals).toEqual(
      expect.arrayContaining(['POST /v1/referrals/:id/clinical-review RJC', 'POST /v1/referrals/:id/consent RJC', 'POST /v1/referrals/:id/treatment RLQ']),
    );
  });

  test.each(CELLS.map((cell) => ({ ...cell })))('$name', async (cell) => {
    const target = targetOf(cell);
    const call: Call = { caller: cell.caller, target };
    const url = cell.route.path(target);
    const method = cell.route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch';
    let req = s.http[method](url).set(bearer(tokenOf(cell, target)));
    if (cell.route.body) req = req.send(cell.route.body(cell.caller.role, target));
    if (cell.route.csv) req = req.set('Content-Type', 'text/csv').send(cell.route.csv());
    if (cell.route.headers) req = req.set(cell.route.headers());
    if (cell.route.file) {
      const f = cell.route.file();
      req = req.set('Content-Type', f.type).send(f.body);
    }
    const answer = await req;
    // The FHIR routes answer errors as OperationOutcomes: read as the common body (its words are the issue's diagnostics).
    const outcome = answer.body?.resourceType === 'OperationOutcome' ? (answer.body as { issue: Array<{ diagnostics: string }> }) : null;
    const res = outcome ? { status: answer.status, body: { message: outcome.issue[0].diagnostics } as any } : answer;
    // The message comes along so a failure says why the server answered as it did.
    expect({ status: res.status, message: res.body?.message }).toMatchObject({ status: cell.expect.status });
    switch (cell.expect.why) {
      case 'role':
        expect(res.body.message).toMatch(/may not do this/);
        break;
      case 'hidden':
        expect(res.body.message).toMatch(/not found/);
        break;
      case 'side':
        expect(res.body.message).toMatch(/^Only (staff|an admin) of/);
        break;
      case 'conflict':
        expect(res.body.currentStatus).toBe(sitsAt(cell.route));
        break;
      case 'allowed':
        cell.route.verify?.(res, call);
        break;
    }
  });

  it('denied calls (and reads, and a retry with nothing to retry) changed none of the shared referrals', async () => {
    expect(versionsBefore.size).toBeGreaterThanOrEqual(6);
    for (const [stage, d] of shared) {
      const r = await getReferral(s, c.clinRLQ, d.id);
      expect({ stage, version: r.version, status: r.status, timeline: r.timeline.length }).toEqual({ stage, ...versionsBefore.get(stage)! });
    }
  });
});

/**
 * Served by plain Fastify routes beside Nest's router (apps/api/src/operator/), so they are
 * neither in Nest's router nor in /docs-json, and the global guard does not see them. Each is
 * excluded from the table above for the reason given, and checked here and in test/metrics.e2e.spec.ts.
 */
const OUTSIDE_ROUTER = [
  // Prometheus scrapes with the METRICS_TOKEN bearer, not a user's JWT; without METRICS_TOKEN (as in this suite) it is not served.
  { method: 'GET', path: '/metrics', permission: null, noToken: [401, 404] },
  // The bull-board dashboard: its own guard checks the same JWT for `queues.admin`, and refuses any method but GET.
  { method: 'GET', path: '/admin/queues', permission: 'queues.admin', noToken: [401] },
] as const satisfies ReadonlyArray<{ method: string; path: string; permission: Permission | null; noToken: readonly number[] }>;

describe('routes outside the table', () => {
  it('every permission is named by a route of the table or by a route outside the router', () => {
    const named = new Set<string>([...ROUTES.map((r) => r.permission), ...OUTSIDE_ROUTER.flatMap((r) => (r.permission ? [r.permission] : []))]);
    expect(Object.keys(PERMISSIONS).filter((p) => !named.has(p))).toEqual([]);
  });

  it.each(OUTSIDE_ROUTER.map((r) => ({ ...r })))('$method $path refuses a caller without a token', async (r) => {
    expect(r.noToken).toContain((await s.http.get(r.path)).status);
  });

  it('GET /admin/queues answers every kind of caller by PERMISSIONS', async () => {
    const allowed: readonly Role[] = PERMISSIONS['queues.admin'];
    const own = await token({ role: 'patient', nhsNumber: OTHER_PATIENT_NHS, sub: 'rbac-patient-own' });
    for (const caller of CALLERS) {
      const res = await s.http.get('/admin/queues').set(bearer(caller.patient === 'own' ? own : tokens.get(caller.label)!));
      expect({ caller: caller.label, status: res.status }).toEqual({ caller: caller.label, status: allowed.includes(caller.role) ? 200 : 403 });
    }
  });
});

describe('the table covers the router', () => {
  // The FHIR CapabilityStatement too: what a server supports is public in FHIR (GET /fhir/r4/metadata).
  const isPublic = (path: string) => path.startsWith('/health') || path.startsWith('/docs') || path === '/fhir/r4/metadata';
  const tableRoutes = () => [...new Set(ROUTES.map(routeKey))].sort();

  it('every route of the OpenAPI document (GET /docs-json) is in the table, and nothing else', async () => {
    const res = await s.http.get('/docs-json');
    expect(res.status).toBe(200);
    const documented: string[] = [];
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>)) {
      if (isPublic(path)) continue;
      for (const method of Object.keys(ops)) {
        if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) documented.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
    expect(documented.sort()).toEqual(tableRoutes());
  });

  it("every handler in Nest's router names the permission the table says, and only health (and two routes with their own check) is public", () => {
    const routed = new Map<string, Permission | 'public'>();
    /** The staff console's routes: its session guard and the permission each page needs, or none (sign-in, its assets). */
    const consoleRoutes = new Map<string, Permission | 'public'>();
    for (const mod of s.api.get(ModulesContainer).values()) {
      for (const wrapper of mod.controllers.values()) {
        const ctrl = wrapper.metatype as (new (...a: never[]) => unknown) | null;
        if (!ctrl) continue;
        const base = String(Reflect.getMetadata(PATH_METADATA, ctrl) ?? '');
        const proto = ctrl.prototype as Record<string, unknown>;
        for (const name of Object.getOwnPropertyNames(proto)) {
          const handler = proto[name];
          if (name === 'constructor' || typeof handler !== 'function') continue;
          const sub = Reflect.getMetadata(PATH_METADATA, handler);
          if (sub === undefined) continue;
          const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
          const path =
            '/' +
            [base, String(sub)]
              .map((p) => p.replace(/^\/+|\/+$/g, ''))
              .filter(Boolean)
              .join('/');
          const isOpen = Reflect.getMetadata(PUBLIC_KEY, handler) === true || Reflect.getMetadata(PUBLIC_KEY, ctrl) === true;
          if (/^\/console(\/|$)/.test(path)) {
            const guards = [
              ...((Reflect.getMetadata(GUARDS_METADATA, ctrl) as unknown[]) ?? []),
              ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[]) ?? []),
            ];
            const permission = (Reflect.getMetadata(CONSOLE_PERMISSION, handler) ?? Reflect.getMetadata(CONSOLE_PERMISSION, ctrl)) as Permission | undefined;
            consoleRoutes.set(`${method} ${path}`, guards.includes(ConsoleGuard) && permission ? permission : 'public');
            continue;
          }
          routed.set(`${method} ${path}`, isOpen ? 'public' : (Reflect.getMetadata(PERMISSION_KEY, handler) ?? Reflect.getMetadata(PERMISSION_KEY, ctrl)));
        }
      }
    }
    // Without a JWT: health, and two routes with a check of their own instead, each tested in its
    // own file: the patient's offer page (a signed single-use link, then the date of birth:
    // test/offer-page.e2e.spec.ts) and GOV.UK Notify's delivery callback (its bearer token:
    // test/notify.e2e.spec.ts). Beside the offer page, its footer's pages, the same for everyone. The
    // patient-initiated opt-in page checks its signed link and the date of birth as the offer page does
    // (test/pidmas.e2e.spec.ts, test/pidmas-pages.e2e.spec.ts), and so does the appointment page, where the
    // patient asks to change or cancel an appointment (test/console-booking.e2e.spec.ts, test/booking-slots.e2e.spec.ts).
    const ownCheck = (k: string) => k === 'POST /v1/notify/delivery-status' || /^(GET|POST) \/(offer|opt-in)\//.test(k);
    const open = [...routed].filter(([, p]) => p === 'public').map(([k]) => k);
    expect(open.filter((k) => !isPublic(k.split(' ')[1]) && !ownCheck(k))).toEqual([]);
    expect(open.filter(ownCheck).sort()).toEqual(
      [
        'GET /offer/:token',
        'GET /offer/:token/answered',
        'GET /offer/:token/needs',
        'POST /offer/:token/needs',
        'GET /offer/accessibility',
        'GET /offer/contact',
        'GET /offer/privacy',
        'GET /offer/:token/choose',
        'POST /offer/:token',
        'POST /offer/:token/choose',
        'POST /v1/notify/delivery-status',
        'GET /opt-in/:token',
        'POST /opt-in/:token',
        'GET /opt-in/:token/answer',
        'POST /opt-in/:token/answer',
        'GET /opt-in/:token/done',
        'GET /offer/appointment/:token',
        'POST /offer/appointment/:token',
        'GET /offer/appointment/:token/change',
        'POST /offer/appointment/:token/change',
      ]
        .concat(open.filter((k) => k.startsWith('GET /offer/assets')))
        .sort(),
    );
    // The console: every page behind its session guard names the API permission of what it shows
    // or does (test/console.e2e.spec.ts acts as each role); only sign-in and its assets are open.
    expect(
      [...consoleRoutes]
        .filter(([, p]) => p === 'public')
        .map(([k]) => k)
        .sort(),
    ).toEqual(
      [
        'GET /console/accessibility',
        'GET /console/assets/:name',
        'GET /console/assets/images/:name',
        'GET /console/auth/callback',
        'GET /console/privacy',
        'GET /console/sign-in',
        'GET /console/signed-out',
        'POST /console/sign-out',
      ].sort(),
    );
    expect(consoleRoutes.get('POST /console/referrals/:id/clinical-review')).toBe('referral.clinical-review');
    const guarded = Object.fromEntries([...routed].filter(([, p]) => p !== 'public').sort(([a], [b]) => a.localeCompare(b)));
    const table = Object.fromEntries(ROUTES.map((r) => [routeKey(r), r.permission] as const).sort(([a], [b]) => a.localeCompare(b)));
    expect(guarded).toEqual(table);
  });
});
