-- The pathway after treatment (issue 18): the follow-up the receiving clinician decides at treatment.
ALTER TYPE "ReferralStatus" ADD VALUE 'FOLLOW_UP';
ALTER TYPE "ReferralStatus" ADD VALUE 'AWAITING_ORIGIN_ACCEPTANCE';
ALTER TYPE "ReferralStatus" ADD VALUE 'ORIGIN_FOLLOW_UP';
ALTER TYPE "ReferralStatus" ADD VALUE 'VIRTUAL_WARD';

-- Care closer to home (issue 18): which way care moves, set at opening. Every referral before this was a long-wait transfer.
ALTER TABLE "referral" ADD COLUMN "direction" TEXT NOT NULL DEFAULT 'long_wait_transfer';
ALTER TABLE "referral" ADD CONSTRAINT "referral_direction_check" CHECK ("direction" IN ('long_wait_transfer', 'closer_to_home'));
