-- A referral rejected by the receiver awaits the referring trust's decision (re-offer or close to
-- origin): it is open, so it keeps its pathway, and a second referral for it is refused.
DROP INDEX "referral_open_pathway_key";
CREATE UNIQUE INDEX "referral_open_pathway_key" ON "referral" ("origin_ods", "pathway_id")
  WHERE "status" NOT IN ('DISCHARGED', 'NOT_ELIGIBLE', 'NOT_SUITABLE', 'DECLINED', 'WITHDRAWN', 'CANCELLED');
