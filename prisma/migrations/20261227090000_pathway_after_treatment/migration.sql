-- The pathway after treatment (issue 18): the follow-up the receiving clinician decides at treatment.
ALTER TYPE "ReferralStatus" ADD VALUE 'FOLLOW_UP';
ALTER TYPE "ReferralStatus" ADD VALUE 'AWAITING_ORIGIN_ACCEPTANCE';
ALTER TYPE "ReferralStatus" ADD VALUE 'ORIGIN_FOLLOW_UP';
ALTER TYPE "ReferralStatus" ADD VALUE 'VIRTUAL_WARD';
