-- Staff emails for hand-backs (issue 18): a follow-up handed back (AWAITING_ORIGIN_ACCEPTANCE) lands on
-- the referring clinicians' handback-acceptance worklist, so the reminder sweep reads those stage
-- changes too. Its statement repeats this predicate (WORKLIST_ARRIVALS in libs/domain), so the index
-- names the same statuses in the same order; test/use-cases/status-sets.spec.ts keeps them in step.
DROP INDEX "timeline_event_worklist_at_idx";
CREATE INDEX "timeline_event_worklist_at_idx" ON "timeline_event" ("at", "id")
  WHERE "type" = 'needs_attention'
     OR ("to_status" IN ('AWAITING_CLINICAL_REVIEW', 'AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING', 'AWAITING_ORIGIN_ACCEPTANCE') AND "from_status" IS DISTINCT FROM "to_status");
