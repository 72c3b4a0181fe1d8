-- Tasks: work for a person on a team's worklist that is not a referral status of its own (an offer
-- the patient has not answered, a notification that could not be delivered). `key` makes raising
-- the same task twice a no-op, so a retried job raises it once.
CREATE TABLE "task" (
    "id" UUID NOT NULL,
    "trust_ods" TEXT NOT NULL,
    "team" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "referral_id" UUID,
    "key" TEXT NOT NULL,
    "detail" JSONB,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "completed_by" TEXT,
    CONSTRAINT "task_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "task_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "task_key_key" ON "task"("key");
-- A team's open tasks, oldest first.
CREATE INDEX "task_open_idx" ON "task"("trust_ods", "team", "created_at", "id") WHERE "status" = 'OPEN';
CREATE INDEX "task_referral_id_idx" ON "task"("referral_id");
