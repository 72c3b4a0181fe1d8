-- Fewer index entries per stage change, and room on each page for heap-only (HOT) updates (issue 20).
--
-- A stage change writes `status`, which the worklist indexes carry, so it can never be a HOT update:
-- every index of the referral table gets a new entry for it. (origin_ods, status) and
-- (receiving_ods, status) are leading prefixes of the worklist indexes (origin_ods, status,
-- rtt_clock_start, id) and (receiving_ods, status, rtt_clock_start, id): every lookup they served
-- (a trust's referrals in a status, the counts per status) is the same range scan on the worklist
-- index (docs/benchmarks.md shows the EXPLAIN of each), so they were only two more entries to write
-- per stage change.
DROP INDEX "referral_origin_ods_status_idx";
DROP INDEX "referral_receiving_ods_status_idx";

-- Updates that change no indexed column can be HOT only when the new row version fits on the same
-- page; rows are appended to full pages, so leave a tenth of each page free. The outbox's claim
-- (claimed_until) and the referral's non-status fields are such updates.
ALTER TABLE "referral" SET (fillfactor = 90);
ALTER TABLE "outbox_message" SET (fillfactor = 90);
ALTER TABLE "notification" SET (fillfactor = 90);
