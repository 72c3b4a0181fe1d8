-- When the job an outbox row started has finished (done or skipped), so a reconciler can
-- find steps that were enqueued but never ran (Redis lost, worker killed) and re-drive them.
ALTER TABLE "outbox_message" ADD COLUMN "completed_at" TIMESTAMPTZ(3);
-- A step superseded by a retry a person asked for.
ALTER TABLE "outbox_message" ADD COLUMN "superseded_by" TEXT;

CREATE INDEX "outbox_message_incomplete_idx" ON "outbox_message" ("dispatched_at")
  WHERE "completed_at" IS NULL AND "dispatched_at" IS NOT NULL;
