-- MESH (issue 17): each dispatch is a message with its own lifecycle instead of a row written
-- already ACKNOWLEDGED. QUEUED (waiting for its next attempt), SENT (MESH accepted it), DELIVERED
-- (the recipient downloaded it, from MESH's tracking), ACKNOWLEDGED (the recipient's business
-- acknowledgement came back), FAILED (refused for good: MESH rejected it, or no mailbox is known).
-- Rows written before this migration were acknowledged at once and keep that status.
ALTER TABLE "dispatch"
    ALTER COLUMN "status" SET DEFAULT 'QUEUED',
    ALTER COLUMN "sent_at" DROP NOT NULL,
    ALTER COLUMN "sent_at" DROP DEFAULT,
    ADD COLUMN "sender_ods" TEXT,
    ADD COLUMN "recipient_mailbox" TEXT,
    ADD COLUMN "workflow_id" TEXT,
    ADD COLUMN "message_id" TEXT,
    ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "next_attempt_at" TIMESTAMPTZ(3) DEFAULT now(),
    ADD COLUMN "claimed_until" TIMESTAMPTZ(3),
    ADD COLUMN "last_error" TEXT,
    ADD COLUMN "delivered_at" TIMESTAMPTZ(3),
    ADD COLUMN "failed_at" TIMESTAMPTZ(3),
    ADD COLUMN "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    ADD CONSTRAINT "dispatch_status_check" CHECK ("status" IN ('QUEUED', 'SENT', 'DELIVERED', 'ACKNOWLEDGED', 'FAILED'));

-- The sender's claim: due rows in the order they became due.
CREATE INDEX "dispatch_due_idx" ON "dispatch" ("next_attempt_at") WHERE "status" = 'QUEUED';
-- The poller's look-ups: an acknowledgement names the MESH message id; tracking and the
-- acknowledgement timeout walk the rows still waiting.
CREATE UNIQUE INDEX "dispatch_message_id_key" ON "dispatch" ("message_id");
CREATE INDEX "dispatch_waiting_idx" ON "dispatch" ("sent_at") WHERE "status" IN ('SENT', 'DELIVERED');

-- Each organisation's MESH mailbox, by what it receives: a trust's patient administration system
-- ('PAS') or a GP practice's clinical system ('GP'). Data, not configuration: mailboxes are
-- added as practices join, without a deploy.
CREATE TABLE "mesh_mailbox" (
    "ods_code" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "mailbox_id" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "mesh_mailbox_pkey" PRIMARY KEY ("ods_code", "service"),
    CONSTRAINT "mesh_mailbox_service_check" CHECK ("service" IN ('PAS', 'GP')),
    CONSTRAINT "mesh_mailbox_id_check" CHECK ("mailbox_id" ~ '^[A-Za-z0-9_-]{1,20}$')
);
