-- What the local notification channel's messages said, so a developer can read them and open the
-- offer link (`npm run messages`). A table of its own, not columns on local_message: that table is
-- the send-once record and keeps every id for good, while this one holds patient-facing text and
-- keeps only the newest LOCAL_MESSAGES_KEPT rows (500 by default). Only outside production: there
-- the configuration refuses to keep any, so this table stays empty.
CREATE TABLE "local_message_text" (
    "seq" BIGSERIAL NOT NULL,
    "notification_id" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "recipient" TEXT,
    "subject" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "link" TEXT,
    "kept_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "local_message_text_pkey" PRIMARY KEY ("notification_id")
);

-- Newest first (by seq: two messages may be kept in the same millisecond), for `npm run messages`
-- and for trimming to the newest rows at each insert.
CREATE UNIQUE INDEX "local_message_text_seq_key" ON "local_message_text"("seq");
