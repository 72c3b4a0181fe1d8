-- Patient details belong to the referral, as the trust that opened it recorded them (issue 12).
-- Until now `patient` was one row per NHS number that every trust's referral overwrote, so one
-- trust could read and rewrite what another recorded. From here a patient row is the patient of
-- exactly one referral: no trust reads another's copy, and no write by one changes another's.
--
-- 1. Every referral keeps the details it points at today: the first referral of each shared row
--    keeps the row, each later one gets a copy of it. Nothing is deleted.
DROP INDEX "patient_nhs_number_key";
ALTER TABLE "patient" ADD COLUMN "copied_for" UUID;
INSERT INTO "patient" ("id", "nhs_number", "family_name", "given_name", "date_of_birth", "address", "postcode", "phone", "email",
                       "gp_practice_ods", "contact_preference", "accessible_format", "created_at", "updated_at", "copied_for")
SELECT gen_random_uuid(), p."nhs_number", p."family_name", p."given_name", p."date_of_birth", p."address", p."postcode", p."phone", p."email",
       p."gp_practice_ods", p."contact_preference", p."accessible_format", p."created_at", p."updated_at", r."id"
FROM "referral" r JOIN "patient" p ON p."id" = r."patient_id"
WHERE EXISTS (SELECT 1 FROM "referral" o WHERE o."patient_id" = r."patient_id" AND (o."created_at", o."id") < (r."created_at", r."id"));
UPDATE "referral" r SET "patient_id" = p."id" FROM "patient" p WHERE p."copied_for" = r."id";
ALTER TABLE "patient" DROP COLUMN "copied_for";

-- 2. One referral per patient row; a patient (NHS login) finds their referrals by NHS number, and a
--    trust's earlier records of the same NHS number are found for the demographics check.
DROP INDEX "referral_patient_id_idx";
CREATE UNIQUE INDEX "referral_patient_id_key" ON "referral"("patient_id");
CREATE INDEX "patient_nhs_number_idx" ON "patient"("nhs_number");

-- 3. A receiving trust that stops being a party (it rejected the transfer, or the referral ended
--    before it accepted the transfer of care) reads nothing more: `receiving_ods` is cleared and the
--    trust kept here as history (the timeline has it too).
ALTER TABLE "referral" ADD COLUMN "former_receiving_ods" TEXT;
UPDATE "referral" r SET "former_receiving_ods" = r."receiving_ods", "receiving_ods" = NULL
WHERE r."receiving_ods" IS NOT NULL AND (
  r."status" = 'REJECTED_BY_RECEIVER'
  OR (r."status" IN ('WITHDRAWN', 'CANCELLED') AND NOT EXISTS (
        SELECT 1 FROM "timeline_event" e WHERE e."referral_id" = r."id" AND e."type" = 'transfer_of_care')));
