-- Staff worklist emails sent through GOV.UK Notify get their delivery status too (the callback and
-- the poll), as patient notifications do: Notify's id, when the status last changed, when it was
-- last polled. A team whose address bounces shows `permanent-failure` instead of `sending` for ever.
ALTER TABLE "staff_notification" ADD COLUMN "provider_id" TEXT;
ALTER TABLE "staff_notification" ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "staff_notification" ADD COLUMN "polled_at" TIMESTAMPTZ(3);
CREATE INDEX "staff_notification_provider_id_idx" ON "staff_notification" ("provider_id");
CREATE INDEX "staff_notification_sending_idx" ON "staff_notification" ("polled_at" NULLS FIRST, "updated_at") WHERE "status" = 'sending';
