-- GOV.UK Notify delivery: the patient's contact preference and accessible format, Notify's id for
-- each notification, the letter sent in place of a failed one, and each status with its time.

-- email | sms: which to try first when the patient has both (null: email first).
ALTER TABLE "patient" ADD COLUMN "contact_preference" TEXT;
-- Letters in an accessible format: large_print | braille | easy_read | audio | bsl (null: standard print).
ALTER TABLE "patient" ADD COLUMN "accessible_format" TEXT;

-- Notify's notification id (our id is Notify's `reference`), and the notification a fallback letter replaces.
ALTER TABLE "notification" ADD COLUMN "provider_id" TEXT;
ALTER TABLE "notification" ADD COLUMN "fallback_of" UUID;
CREATE UNIQUE INDEX "notification_provider_id_key" ON "notification" ("provider_id");
-- The status poll looks for notifications still sending, oldest first.
CREATE INDEX "notification_sending_idx" ON "notification" ("updated_at") WHERE "status" = 'sending';

-- Each status a notification reached, once, with when we learned it and when Notify says it happened.
CREATE TABLE "notification_status" (
  "id" BIGSERIAL PRIMARY KEY,
  "notification_id" UUID NOT NULL REFERENCES "notification" ("id"),
  "status" TEXT NOT NULL,
  "at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "provider_at" TIMESTAMPTZ(3),
  "source" TEXT NOT NULL
);
CREATE UNIQUE INDEX "notification_status_notification_id_status_key" ON "notification_status" ("notification_id", "status");
