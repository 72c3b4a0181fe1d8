-- Worklists (GET /v1/referrals?worklist=..., GET /v1/referrals/summary). Every worklist reads one
-- side of the caller's trust as an ordered index range: by weeks waited through the init
-- migration's referral_{origin,receiving}_worklist_idx (ods, status, rtt_clock_start, id), by
-- priority through the two below; needs-attention (either side, no status) through the partial
-- indexes. Written by hand, like the init migration's worklist indexes: Prisma's schema cannot
-- declare partial indexes.
CREATE INDEX "referral_origin_priority_idx" ON "referral" ("origin_ods", "status", "priority", "rtt_clock_start", "id");
CREATE INDEX "referral_receiving_priority_idx" ON "referral" ("receiving_ods", "status", "priority", "rtt_clock_start", "id");
CREATE INDEX "referral_origin_attention_idx" ON "referral" ("origin_ods", "rtt_clock_start", "id") WHERE "needs_attention";
CREATE INDEX "referral_receiving_attention_idx" ON "referral" ("receiving_ods", "rtt_clock_start", "id") WHERE "needs_attention";
CREATE INDEX "referral_origin_attention_priority_idx" ON "referral" ("origin_ods", "priority", "rtt_clock_start", "id") WHERE "needs_attention";
CREATE INDEX "referral_receiving_attention_priority_idx" ON "referral" ("receiving_ods", "priority", "rtt_clock_start", "id") WHERE "needs_attention";
-- to-book / booking-changed look for a referral's live and cancelled bookings.
CREATE INDEX "booking_referral_status_idx" ON "booking" ("referral_id", "status", "kind");
