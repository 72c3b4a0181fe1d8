-- Every trust that stopped being a party to a referral before it accepted (issue 18, RO): a re-offer offers none of them again.
ALTER TABLE "referral" ADD COLUMN "former_receivers" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
UPDATE "referral" SET "former_receivers" = ARRAY["former_receiving_ods"] WHERE "former_receiving_ods" IS NOT NULL;
