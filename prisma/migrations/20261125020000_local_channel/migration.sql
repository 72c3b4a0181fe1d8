-- What the local notification channel has "sent": one row per notification, so a job that
-- runs again after a crash cannot send the same message twice.
CREATE TABLE "local_message" (
    "notification_id" UUID NOT NULL,
    "channel" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "local_message_pkey" PRIMARY KEY ("notification_id")
);
