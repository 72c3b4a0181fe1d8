-- Staff emails for changed bookings: a cancelled or missed appointment that leaves the referral's
-- status as it was (a pre-operative assessment's) puts it on the receiving booking team's
-- booking-changed worklist, so the reminder sweep reads those events too. Its statement repeats this
-- predicate (ARRIVAL_EVENT in libs/workflow/src/reminders/reminder-sweep.ts);
-- test/use-cases/status-sets.spec.ts checks that it keeps this index.
DROP INDEX "timeline_event_worklist_at_idx";
CREATE INDEX "timeline_event_worklist_at_idx" ON "timeline_event" ("at", "id")
  WHERE "type" = 'needs_attention'
     OR ("type" IN ('appointment_cancelled', 'did_not_attend') AND "from_status" = "to_status")
     OR ("to_status" IN ('AWAITING_CLINICAL_REVIEW', 'AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING', 'AWAITING_ORIGIN_ACCEPTANCE') AND "from_status" IS DISTINCT FROM "to_status");
