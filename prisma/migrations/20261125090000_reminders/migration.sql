-- Reminders, staff worklist emails and the tasks worklist (issue #6).
--
-- The reminder sweep (libs/workflow/src/reminders/reminder-sweep.ts) reads only rows that are due
-- now, through the partial indexes below, so one pass costs about as much as the reminders it
-- finds, not the size of the referral table.

-- Offer reminders: the offer notifications whose 7-day / 14-day / 21-day point has passed within
-- the sweep's window, oldest first.
CREATE INDEX "notification_offer_created_idx" ON "notification" ("created_at", "referral_id") WHERE "event" = 'offer';

-- Appointment reminders: live bookings starting within the next 7 days.
CREATE INDEX "booking_live_starts_idx" ON "booking" ("starts_at", "id") WHERE "status" = 'BOOKED';

-- Staff emails: the stage changes that put a referral on a team's worklist, in time order (the
-- predicate is the one the sweep's query repeats, so the planner uses this small index).
CREATE INDEX "timeline_event_worklist_at_idx" ON "timeline_event" ("at", "id")
  WHERE "type" = 'needs_attention'
     OR ("to_status" IN ('AWAITING_CLINICAL_REVIEW', 'AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING') AND "from_status" IS DISTINCT FROM "to_status");
-- Tasks raised, in time order (staff emails), and a trust's tasks by status (GET /v1/tasks).
CREATE INDEX "task_created_idx" ON "task" ("created_at", "id");
CREATE INDEX "task_trust_status_idx" ON "task" ("trust_ods", "status", "created_at", "id");

-- Where each team of a trust is emailed when something lands on its worklist. Managed by the
-- trust's admin (PUT /v1/team-contacts/:team); no row: the team is not emailed.
CREATE TABLE "team_contact" (
    "trust_ods" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by" TEXT NOT NULL,
    CONSTRAINT "team_contact_pkey" PRIMARY KEY ("trust_ods", "team"),
    CONSTRAINT "team_contact_team_check" CHECK ("team" IN ('booking', 'clinical'))
);

-- One item per thing that landed on a team's worklist (a stage change, a flag, a task), once by
-- key; the batch email that told the team about it, once sent.
CREATE TABLE "staff_worklist_item" (
    "key" TEXT NOT NULL,
    "trust_ods" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "worklist" TEXT NOT NULL,
    "referral_id" UUID,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "staff_notification_id" UUID,
    CONSTRAINT "staff_worklist_item_pkey" PRIMARY KEY ("key")
);
CREATE INDEX "staff_worklist_item_pending_idx" ON "staff_worklist_item" ("trust_ods", "team", "created_at") WHERE "staff_notification_id" IS NULL;

-- Emails to staff teams: kept apart from the patient's notifications. No patient data: counts per
-- worklist and referral ids (detail), the team's address at the time.
CREATE TABLE "staff_notification" (
    "id" UUID NOT NULL,
    "trust_ods" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "channel" TEXT NOT NULL DEFAULT 'email',
    "recipient" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'created',
    "detail" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    CONSTRAINT "staff_notification_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "staff_notification_key_key" ON "staff_notification" ("key");
CREATE INDEX "staff_notification_team_idx" ON "staff_notification" ("trust_ods", "team", "created_at");

-- How far the staff-email sweep has read the timeline and the task table: a position (time, id),
-- kept a minute behind now so a transaction that commits late is still seen (items are keyed, so
-- a re-read is harmless).
CREATE TABLE "sweep_cursor" (
    "name" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "after_id" TEXT NOT NULL,
    CONSTRAINT "sweep_cursor_pkey" PRIMARY KEY ("name")
);
