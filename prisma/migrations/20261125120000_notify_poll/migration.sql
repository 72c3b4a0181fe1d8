-- The status poll remembers when it last asked Notify about a notification, and asks about the
-- ones it has not asked about for longest first: a notification Notify still calls `sending` for
-- days (letters) no longer keeps newer ones from being polled.
ALTER TABLE "notification" ADD COLUMN "polled_at" TIMESTAMPTZ(3);

DROP INDEX IF EXISTS "notification_sending_idx";
CREATE INDEX "notification_poll_idx" ON "notification" ("polled_at" NULLS FIRST, "updated_at") WHERE "status" = 'sending';
