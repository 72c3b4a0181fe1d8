// Roles and the one role-to-permission map every route is checked against.

/**
 * `additional_requirements_manager`: e-RS's "additional requirements manager", who records a patient's
 * transport, interpreter and accessibility needs for the trust without clinical access: they read the
 * referral's identification and its additional requirements, and change those, and nothing else.
 *
 * group_admin: a person at one of the group's trusts who runs the group itself (which trusts are
 * members). A role, not a claim on trust_admin: adding a trust changes who every member's patients
 * may be sent to, which is the group's decision, not any one trust's; a separate role keeps that
 * grant explicit in the identity provider and out of every trust admin's token.
 */
export const ROLES = ['clinician', 'booking_clerk', 'trust_admin', 'patient', 'integration', 'additional_requirements_manager', 'group_admin'] as const;
export type Role = (typeof ROLES)[number];

const STAFF: readonly Role[] = ['clinician', 'booking_clerk', 'trust_admin'];

/** Which roles may do what. Routes name a permission; nothing else grants access. */
export const PERMISSIONS = {
  'referral.create': ['booking_clerk', 'integration'],
  'referral.list': STAFF,
  'referral.read': [...STAFF, 'patient'],
  'referral.clinical-review': ['clinician'],
  'referral.consent': ['patient', 'booking_clerk'],
  'referral.receiver-decision': ['clinician'],
  'referral.book': ['booking_clerk'],
  'referral.treatment': ['clinician'],
  'referral.discharge': ['clinician'],
  /** The patient withdraws: by the patient, or recorded by the referring trust's booking team (see PERMISSION_SIDES). */
  'referral.withdraw': ['patient', 'booking_clerk'],
  /** Correct the patient's contact details on a referral (the referring trust's booking team). */
  'referral.patient-contact': ['booking_clerk'],
  'referral.cancel': ['clinician', 'booking_clerk'],
  /** Record or change the clinical package the receiving clinician decides on (the referring trust's clinicians and booking team). */
  'referral.clinical-information': ['clinician', 'booking_clerk'],
  /** The receiving clinician asks the referrer a question before deciding (e-RS: request for information). */
  'referral.information-request': ['clinician'],
  /** The referring trust answers a request for information (its clinicians or booking team). */
  'referral.information-answer': ['clinician', 'booking_clerk'],
  /** The receiving clinician does not accept, and sends advice to the referrer (e-RS: return to referrer with advice). */
  'referral.return-with-advice': ['clinician'],
  /** After the receiving trust did not accept, the referring clinician offers the patient again elsewhere (issue 18, RO). */
  'referral.reoffer': ['clinician'],
  /** Or closes it back to the origin list (its clinicians or booking team). */
  'referral.close-to-origin': ['clinician', 'booking_clerk'],
  /** Add a referral letter, clinic letter or imaging report (the referring trust). */
  'attachment.upload': ['clinician', 'booking_clerk'],
  /** List the attachments: clinical content, for clinicians of the two trusts only. */
  'attachment.read': ['clinician'],
  /** Open (download) one: its own permission, so the audit trail names every download as such. */
  'attachment.download': ['clinician'],
  'referral.retry': ['trust_admin'],
  /** The patient's additional requirements (transport, interpreter, accessible information...) and who the patient is; nothing clinical. */
  'additional-requirements.read': ['booking_clerk', 'clinician', 'additional_requirements_manager'],
  'additional-requirements.write': ['booking_clerk', 'clinician', 'additional_requirements_manager'],
  /** The referral as FHIR R4 UK Core resources (GET /v1/referrals/:id/fhir): staff of a party trust. */
  'referral.fhir-export': STAFF,
  /** BaRS-shaped messages (POST /fhir/r4/$process-message): a trust's own systems open, withdraw or cancel its referrals. */
  'fhir.process-message': ['integration'],
  /** The coded reason lists and their meanings (no patient data). */
  'reason-codes.read': STAFF,
  'notification.read': [...STAFF, 'patient'],
  'patient.own-referrals': ['patient'],
  /** Upload a waiting-list (PTL) CSV of the caller's own trust, and follow its import. */
  'waiting-list.import': ['booking_clerk', 'integration'],
  /** Long-waiters: the trust's open waiting-list entries not yet referred. */
  'waiting-list.read': STAFF,
  'capacity.read': STAFF,
  'capacity.write': ['trust_admin'],
  /** Matching runs: proposals of how the group's free capacity could serve its longest waiters (read-only). */
  'matching.run': ['trust_admin'],
  'audit.read': ['trust_admin'],
  /** The tasks worklist of the caller's trust (unanswered offers, undeliverable notifications), and completing one. */
  'task.read': ['booking_clerk', 'clinician'],
  'task.complete': ['booking_clerk', 'clinician'],
  /** Where the trust's teams are emailed when work lands on their worklists. */
  'team-contact.read': ['trust_admin'],
  'team-contact.write': ['trust_admin'],
  /** The group's service directory: sites and the services they offer (any staff of the group reads it). */
  'directory.read': [...STAFF, 'group_admin'],
  /** A trust's own sites and services (trust_admin of that trust). */
  'directory.write': ['trust_admin'],
  /** Load postcode geography (ONS Postcode Directory CSV) for travel distances. */
  'postcodes.load': ['trust_admin'],
  /** The group and its members. */
  'group.read': [...STAFF, 'group_admin'],
  /** Add a trust to the group. */
  'group.write': ['group_admin'],
  /** The read-only queue dashboard (bull-board) at /admin/queues: every trust's jobs, ids only. */
  'queues.admin': ['trust_admin'],
  /** The insights pages and weekly report: aggregate figures only (counts under 5 hidden), of the trust's referrals or the group's. */
  'insights.read': ['trust_admin'],
  /** Ask the worker to compute the insights' figures now rather than at the next scheduled refresh. */
  'insights.refresh': ['trust_admin'],
  // The pathway after treatment (issue 18, PW).
  /** The referring trust's clinician accepts (or refuses, with a reason) the follow-up handed back to it. */
  'referral.handback-decision': ['clinician'],
  // Patient-initiated mutual aid (PIDMAS, issue 18): the trust's own cohorts and opt-ins.
  /** Invite a cohort of the trust's waiting list (its booking team or admin). */
  'pidmas.invite': ['booking_clerk', 'trust_admin'],
  /** The trust's cohorts, opt-ins and the "no capacity" list with its CSV (patient identifiers, as the long-waiters list). */
  'pidmas.read': STAFF,
  /** Check that moving is clinically and socially appropriate for a patient who opted in. */
  'pidmas.review': ['clinician'],
  // Booking as it really goes (issue 18, booking)
  /** A trust's clinic sessions and their slots: its booking team declares them; staff read them. */
  'clinic.read': STAFF,
  'clinic.write': ['booking_clerk'],
  /** What a did-not-attend leads to at the trust (rebook, or return to the referrer after N): its admin sets it. */
  'booking-policy.read': STAFF,
  'booking-policy.write': ['trust_admin'],
  /** The patient asks to change or cancel a booked appointment (their own referral only). */
  'referral.change-request': ['patient'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

/**
 * Which side of a referral a member of staff must be on to act on it with each permission
 * (patients act only on their own referrals, on no trust's side):
 * - `origin`: the referring trust, whoever holds the referral now;
 * - `receiving`: the trust the patient accepted an offer from, while it is a party;
 * - `owner`: the trust that holds the referral now: the referring trust until the receiving trust
 *   accepts the transfer of care, the receiving trust from then on;
 * - `follow-up`: the trust that holds the follow-up after treatment: the receiving trust, or the
 *   referring trust once it has accepted a handback (HANDED_BACK in libs/domain).
 *
 * The exits, as a group of trusts would run them: only the patient, or the referring trust on their
 * behalf, withdraws. The trust that holds the referral cancels it, with a reason. Before accepting
 * the transfer of care the receiving trust does not cancel or withdraw: it rejects, with a reason code.
 */
export const PERMISSION_SIDES = {
  'referral.clinical-review': 'origin',
  'referral.consent': 'origin',
  'referral.patient-contact': 'origin',
  'referral.withdraw': 'origin',
  'referral.receiver-decision': 'receiving',
  'referral.book': 'receiving',
  'referral.treatment': 'receiving',
  /** The receiving trust, or the referring trust once it has taken back the follow-up (issue 18, PW). */
  'referral.discharge': 'follow-up',
  'referral.cancel': 'owner',
  /** The trust that holds the patient's care at this stage records their needs (either party reads them). */
  'additional-requirements.write': 'owner',
  'referral.clinical-information': 'origin',
  'referral.information-request': 'receiving',
  'referral.information-answer': 'origin',
  'referral.return-with-advice': 'receiving',
  'referral.reoffer': 'origin',
  'referral.close-to-origin': 'origin',
  'attachment.upload': 'origin',
  // The pathway after treatment (PW).
  'referral.handback-decision': 'origin',
} as const satisfies Partial<Record<Permission, 'origin' | 'receiving' | 'owner' | 'follow-up'>>;
export type SidedPermission = keyof typeof PERMISSION_SIDES;

/** Roles whose holders see clinical free text (review notes, discharge summaries). */
export const CLINICAL_TEXT_ROLES: ReadonlySet<Role> = new Set<Role>(['clinician']);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
