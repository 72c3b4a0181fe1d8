-- Patient-initiated mutual aid (PIDMAS, issue 18): a trust invites a cohort of its long-waiters
-- (a specialty and a weeks-waited band), each patient opts in or says no by a personal link, a
-- clinician of the trust checks the move is clinically and socially appropriate, and an opt-in found
-- suitable becomes a referral, or waits on the "no capacity in the group" list.

-- One row per cohort a trust chose: choosing the same cohort again finds this row, so its entries
-- already invited are not invited twice.
CREATE TABLE "pidmas_cohort" (
    "id" UUID NOT NULL,
    "origin_ods" TEXT NOT NULL,
    "specialty_code" TEXT NOT NULL,
    "min_weeks" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "pidmas_cohort_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "pidmas_cohort_origin_ods_specialty_code_min_weeks_key" ON "pidmas_cohort" ("origin_ods", "specialty_code", "min_weeks");

-- One invitation per waiting-list entry and cohort (the unique key is what "never twice" rests on).
-- It is its own message (like staff_notification, it has no referral): channel and delivery status;
-- the contact details are read from the trust's patient record when it is sent, never copied here.
CREATE TABLE "pidmas_invitation" (
    "id" UUID NOT NULL,
    "cohort_id" UUID NOT NULL,
    "entry_id" UUID NOT NULL,
    "origin_ods" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'created',
    "provider_id" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "polled_at" TIMESTAMPTZ(3),
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "answer" TEXT,
    "travel_radius_miles" INTEGER,
    "requirements" TEXT,
    "answered_at" TIMESTAMPTZ(3),
    "review" TEXT,
    "review_reason" TEXT,
    "reviewed_by_sub" TEXT,
    "reviewed_by_name" TEXT,
    "reviewed_at" TIMESTAMPTZ(3),
    "referral_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "pidmas_invitation_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "pidmas_invitation_cohort_id_fkey" FOREIGN KEY ("cohort_id") REFERENCES "pidmas_cohort"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "pidmas_invitation_entry_id_fkey" FOREIGN KEY ("entry_id") REFERENCES "waiting_list_entry"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "pidmas_invitation_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "pidmas_invitation_channel_check" CHECK ("channel" IN ('email', 'sms', 'letter')),
    CONSTRAINT "pidmas_invitation_answer_check" CHECK ("answer" IN ('opted_in', 'declined')),
    CONSTRAINT "pidmas_invitation_radius_check" CHECK ("travel_radius_miles" IN (50, 100)),
    CONSTRAINT "pidmas_invitation_review_check" CHECK ("review" IN ('suitable', 'not_suitable', 'no_capacity'))
);
CREATE UNIQUE INDEX "pidmas_invitation_cohort_id_entry_id_key" ON "pidmas_invitation" ("cohort_id", "entry_id");
CREATE UNIQUE INDEX "pidmas_invitation_provider_id_key" ON "pidmas_invitation" ("provider_id");
CREATE UNIQUE INDEX "pidmas_invitation_referral_id_key" ON "pidmas_invitation" ("referral_id");
-- The clinicians' worklist (opted in, not yet reviewed) and the no-capacity list, per trust.
CREATE INDEX "pidmas_invitation_worklist_idx" ON "pidmas_invitation" ("origin_ods", "review", "answered_at") WHERE "answer" = 'opted_in';
