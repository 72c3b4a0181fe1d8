-- The booking-changed worklist as an ordered index range. Until now each referral of the receiving
-- side in AWAITING_BOOKING or BOOKED was probed for a cancelled booking not yet rebooked: at 1M
-- waiting-list entries and 200k referrals that read every such referral of the trust (33 req/s in
-- bench:scale). `booking_changed` says it directly: set when a booking is cancelled, worked out
-- again when one is booked (in the same statement as the booking), and read through the partial
-- indexes below like needs_attention.
ALTER TABLE "referral" ADD COLUMN "booking_changed" BOOLEAN NOT NULL DEFAULT false;

UPDATE "referral" r SET "booking_changed" = true
WHERE EXISTS (
  SELECT 1 FROM "booking" c WHERE c."referral_id" = r."id" AND c."status" = 'CANCELLED' AND NOT EXISTS (
    SELECT 1 FROM "booking" n WHERE n."referral_id" = r."id" AND n."kind" = c."kind" AND n."id" <> c."id" AND n."created_at" >= c."cancelled_at"));

CREATE INDEX "referral_receiving_booking_changed_idx" ON "referral" ("receiving_ods", "status", "rtt_clock_start", "id") WHERE "booking_changed";
CREATE INDEX "referral_receiving_booking_changed_priority_idx" ON "referral" ("receiving_ods", "status", "priority", "rtt_clock_start", "id") WHERE "booking_changed";
