-- A dispatch is once per referral, kind and the two parties (issue 18): a referral re-offered after a
-- rejection goes to a second receiving trust, which needs its own transfer data set, and whose decision
-- goes back to the origin beside the first one's. Before, one of each kind per referral kept the second
-- trust's messages from being queued at all. NULLS NOT DISTINCT: rows written before sender_ods existed
-- (null) still count as one.
DROP INDEX "dispatch_referral_id_kind_key";
CREATE UNIQUE INDEX "dispatch_referral_id_kind_sender_ods_recipient_ods_key" ON "dispatch"("referral_id", "kind", "sender_ods", "recipient_ods") NULLS NOT DISTINCT;
