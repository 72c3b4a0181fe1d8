-- The group's service directory, capacity per service, and postcode geography (#16).
--
-- 1. Group membership is data: which trusts refer to which (one group today, the Foundation Group).
-- 2. Sites carry their address and booking team's phone; each site offers services to the group
--    (a treatment function, the OPCS-4 procedures it accepts, exclusions, booking guidance).
-- 3. Capacity is declared per service: capacity, capacity_week and capacity_claim gain service_id,
--    and capacity_week is keyed by (service_id, week_start). What was declared per site and
--    specialty moves to that site's default service for the treatment function (it accepts every
--    procedure and excludes no one), so slots, use and claims stay as they were.
-- 4. Offers name their service and how their distance was worked out (postcode, district, unknown:
--    distance_miles is null when it could not be); the sites a referral was not offered, and why.
-- 5. Postcodes from the ONS Postcode Directory (ONSPD), with their LSOAs for a later deprivation join.

-- 1.
CREATE TABLE "trust_group" (
    "id"         TEXT NOT NULL,
    "name"       TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "trust_group_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "group_membership" (
    "trust_ods" TEXT NOT NULL,
    "group_id"  TEXT NOT NULL,
    "added_by"  TEXT NOT NULL,
    "added_at"  TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "group_membership_pkey" PRIMARY KEY ("trust_ods"),
    CONSTRAINT "group_membership_trust_fkey" FOREIGN KEY ("trust_ods") REFERENCES "trust"("ods") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "group_membership_group_fkey" FOREIGN KEY ("group_id") REFERENCES "trust_group"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
-- Trusts already there were the Foundation Group.
INSERT INTO "trust_group" ("id", "name") SELECT 'foundation', 'Foundation Group' WHERE EXISTS (SELECT 1 FROM "trust");
INSERT INTO "group_membership" ("trust_ods", "group_id", "added_by") SELECT "ods", 'foundation', 'migration' FROM "trust";

-- 2.
ALTER TABLE "site" ADD COLUMN "address" TEXT,
                   ADD COLUMN "booking_phone" TEXT,
                   ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now();
CREATE TABLE "service" (
    "id"                 UUID NOT NULL DEFAULT gen_random_uuid(),
    "trust_ods"          TEXT NOT NULL,
    "site_ods"           TEXT NOT NULL,
    "treatment_function" TEXT NOT NULL,
    "name"               TEXT NOT NULL,
    -- OPCS-4 codes or code prefixes ("W37", "W371") and ranges ("W37-W39"); empty: every procedure.
    "procedures"         TEXT[] NOT NULL DEFAULT '{}',
    "max_bmi"            NUMERIC(4,1),
    "max_asa_grade"      SMALLINT,
    "min_age_years"      SMALLINT,
    "booking_guidance"   TEXT,
    -- The service a capacity declaration without one means (one per site and treatment function).
    "is_default"         BOOLEAN NOT NULL DEFAULT false,
    "updated_by"         TEXT NOT NULL,
    "updated_at"         TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "service_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "service_trust_fkey" FOREIGN KEY ("trust_ods") REFERENCES "trust"("ods") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "service_site_fkey" FOREIGN KEY ("site_ods") REFERENCES "site"("ods") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "service_asa_check" CHECK ("max_asa_grade" BETWEEN 1 AND 5),
    CONSTRAINT "service_age_check" CHECK ("min_age_years" BETWEEN 0 AND 120)
);
CREATE UNIQUE INDEX "service_site_name_key" ON "service" ("site_ods", "name");
CREATE UNIQUE INDEX "service_site_default_key" ON "service" ("site_ods", "treatment_function") WHERE "is_default";

-- 3.
INSERT INTO "service" ("trust_ods", "site_ods", "treatment_function", "name", "is_default", "updated_by")
SELECT DISTINCT "trust_ods", "site_ods", "specialty_code", 'Treatment function ' || "specialty_code", true, 'migration'
FROM (SELECT "trust_ods", "site_ods", "specialty_code" FROM "capacity" UNION SELECT "trust_ods", "site_ods", "specialty_code" FROM "capacity_week") d;

ALTER TABLE "capacity" ADD COLUMN "service_id" UUID;
UPDATE "capacity" c SET "service_id" = s."id" FROM "service" s WHERE s."site_ods" = c."site_ods" AND s."treatment_function" = c."specialty_code" AND s."is_default";
ALTER TABLE "capacity" ALTER COLUMN "service_id" SET NOT NULL;
DROP INDEX "capacity_trust_ods_site_ods_specialty_code_key";
CREATE UNIQUE INDEX "capacity_service_id_key" ON "capacity" ("service_id");
ALTER TABLE "capacity" ADD CONSTRAINT "capacity_service_fkey" FOREIGN KEY ("service_id") REFERENCES "service"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "capacity_claim" DROP CONSTRAINT "capacity_claim_week_fkey";
DROP INDEX "capacity_claim_week_idx";
ALTER TABLE "capacity_week" ADD COLUMN "service_id" UUID;
UPDATE "capacity_week" c SET "service_id" = s."id" FROM "service" s WHERE s."site_ods" = c."site_ods" AND s."treatment_function" = c."specialty_code" AND s."is_default";
ALTER TABLE "capacity_week" ALTER COLUMN "service_id" SET NOT NULL;
ALTER TABLE "capacity_week" DROP CONSTRAINT "capacity_week_pkey";
ALTER TABLE "capacity_week" ADD CONSTRAINT "capacity_week_pkey" PRIMARY KEY ("service_id", "week_start");
ALTER TABLE "capacity_week" ADD CONSTRAINT "capacity_week_service_fkey" FOREIGN KEY ("service_id") REFERENCES "service"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "capacity_claim" ADD COLUMN "service_id" UUID;
UPDATE "capacity_claim" c SET "service_id" = s."id" FROM "service" s WHERE s."site_ods" = c."site_ods" AND s."treatment_function" = c."specialty_code" AND s."is_default";
ALTER TABLE "capacity_claim" ALTER COLUMN "service_id" SET NOT NULL;
ALTER TABLE "capacity_claim" ADD CONSTRAINT "capacity_claim_week_fkey" FOREIGN KEY ("service_id", "week_start") REFERENCES "capacity_week"("service_id", "week_start");
CREATE INDEX "capacity_claim_week_idx" ON "capacity_claim" ("service_id", "week_start") WHERE "released_at" IS NULL;

-- 4.
ALTER TABLE "offer" ADD COLUMN "service_id" UUID,
                    ADD COLUMN "distance_basis" TEXT NOT NULL DEFAULT 'district',
                    ALTER COLUMN "distance_miles" DROP NOT NULL;
UPDATE "offer" o SET "service_id" = s."id" FROM "referral" r, "service" s
WHERE r."id" = o."referral_id" AND s."site_ods" = o."site_ods" AND s."treatment_function" = r."specialty_code" AND s."is_default";
ALTER TABLE "offer" ALTER COLUMN "distance_basis" DROP DEFAULT;
ALTER TABLE "offer" ADD CONSTRAINT "offer_distance_check" CHECK (("distance_basis" = 'unknown') = ("distance_miles" IS NULL) AND "distance_basis" IN ('postcode', 'district', 'unknown'));

CREATE TABLE "site_exclusion" (
    "referral_id" UUID NOT NULL,
    "service_id"  UUID NOT NULL,
    "site_ods"    TEXT NOT NULL,
    "reasons"     TEXT[] NOT NULL,
    "at"          TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "site_exclusion_pkey" PRIMARY KEY ("referral_id", "service_id"),
    CONSTRAINT "site_exclusion_referral_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- BMI and ASA grade, which the exclusions are judged on, are the clinical package's (clinical_information).

-- 5.
CREATE TABLE "postcode" (
    -- Upper case without spaces ("HR12ER"): how a patient's postcode is looked up.
    "postcode"  TEXT NOT NULL,
    "pcds"      TEXT NOT NULL,
    "district"  TEXT NOT NULL,
    "latitude"  DOUBLE PRECISION NOT NULL,
    "longitude" DOUBLE PRECISION NOT NULL,
    "lsoa11"    TEXT,
    "lsoa21"    TEXT,
    "loaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "postcode_pkey" PRIMARY KEY ("postcode")
);
CREATE INDEX "postcode_district_idx" ON "postcode" ("district");
