-- Capacity per trust, site, specialty and week (#5, matching to capacity).
--
-- `capacity` stays the declaration (weekly slots from/to a date), now one per trust, SITE and
-- specialty; `capacity_week` holds the slots of each Monday-start week and how many are used.
-- A patient accepting an offer takes one slot with a conditional UPDATE (used < slots) and records
-- it in `capacity_claim`; leaving the path before treatment releases it. `matching_run` stores the
-- proposals of POST /v1/matching/runs.

-- 1. A declaration names its site (the trust's main site when it did not).
UPDATE "capacity" c SET "site_ods" = t."main_site_ods" FROM "trust" t WHERE t."ods" = c."trust_ods" AND c."site_ods" IS NULL;
ALTER TABLE "capacity" ALTER COLUMN "site_ods" SET NOT NULL;
DROP INDEX "capacity_trust_ods_specialty_code_key";
CREATE UNIQUE INDEX "capacity_trust_ods_site_ods_specialty_code_key" ON "capacity" ("trust_ods", "site_ods", "specialty_code");
ALTER TABLE "capacity" ADD CONSTRAINT "capacity_site_ods_fkey" FOREIGN KEY ("site_ods") REFERENCES "site"("ods") ON DELETE RESTRICT ON UPDATE CASCADE;

-- 2. Slots per site, specialty and week (weeks start on Monday).
CREATE TABLE "capacity_week" (
    "trust_ods"      TEXT NOT NULL,
    "site_ods"       TEXT NOT NULL,
    "specialty_code" TEXT NOT NULL,
    "week_start"     DATE NOT NULL,
    "slots"          INTEGER NOT NULL,
    "used"           INTEGER NOT NULL DEFAULT 0,
    "updated_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "capacity_week_pkey" PRIMARY KEY ("site_ods", "specialty_code", "week_start"),
    CONSTRAINT "capacity_week_monday_check" CHECK (extract(isodow FROM "week_start") = 1),
    -- used may exceed slots only when a trust lowers slots it had already given out.
    CONSTRAINT "capacity_week_counts_check" CHECK ("slots" >= 0 AND "used" >= 0),
    CONSTRAINT "capacity_week_trust_fkey" FOREIGN KEY ("trust_ods") REFERENCES "trust"("ods") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "capacity_week_site_fkey" FOREIGN KEY ("site_ods") REFERENCES "site"("ods") ON DELETE RESTRICT ON UPDATE CASCADE
);
-- Offers and matching runs: weeks of a specialty with room, from a week on.
CREATE INDEX "capacity_week_free_idx" ON "capacity_week" ("specialty_code", "week_start") WHERE "used" < "slots";

-- 3. The slot a referral holds since its patient accepted an offer (one per referral: exits are final).
CREATE TABLE "capacity_claim" (
    "referral_id"     UUID NOT NULL,
    "offer_id"        UUID NOT NULL,
    "site_ods"        TEXT NOT NULL,
    "specialty_code"  TEXT NOT NULL,
    "week_start"      DATE NOT NULL,
    "claimed_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "released_at"     TIMESTAMPTZ(3),
    "released_reason" TEXT,
    CONSTRAINT "capacity_claim_pkey" PRIMARY KEY ("referral_id"),
    CONSTRAINT "capacity_claim_referral_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id"),
    CONSTRAINT "capacity_claim_offer_fkey" FOREIGN KEY ("offer_id") REFERENCES "offer"("id"),
    CONSTRAINT "capacity_claim_week_fkey" FOREIGN KEY ("site_ods", "specialty_code", "week_start") REFERENCES "capacity_week"("site_ods", "specialty_code", "week_start")
);
CREATE INDEX "capacity_claim_week_idx" ON "capacity_claim" ("site_ods", "specialty_code", "week_start") WHERE "released_at" IS NULL;

-- 4. Stored matching-run proposals.
CREATE TABLE "matching_run" (
    "id"             UUID NOT NULL,
    "specialty_code" TEXT NOT NULL,
    "min_weeks"      INTEGER NOT NULL,
    "params"         JSONB NOT NULL,
    "result"         JSONB NOT NULL,
    "created_by"     TEXT NOT NULL,
    "created_by_ods" TEXT,
    "duration_ms"    INTEGER NOT NULL,
    "created_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "matching_run_pkey" PRIMARY KEY ("id")
);

-- 5. The matching-run cohort across the group: open, unreferred entries of a specialty, longest wait
--    first (priority as tie-break), read index-only (origin and postcode included: no heap visit per
--    patient); band totals count over the same index.
CREATE INDEX "waiting_list_entry_matching_idx" ON "waiting_list_entry" ("specialty_code", "rtt_clock_start", "priority", "id")
  INCLUDE ("origin_ods", "postcode") WHERE "status" = 'open' AND "referral_id" IS NULL;
-- Short capacity: open offers at a site, for the "who is ahead" count.
CREATE INDEX "offer_open_site_idx" ON "offer" ("site_ods") WHERE "status" = 'OPEN';

-- 6. Existing declarations become weeks; slots already accepted (referrals past consent and before
--    treatment) are claimed in their offer's earliest week where that week is declared.
INSERT INTO "capacity_week" ("trust_ods", "site_ods", "specialty_code", "week_start", "slots")
SELECT c."trust_ods", c."site_ods", c."specialty_code", w::date, c."weekly_slots"
FROM "capacity" c, generate_series(date_trunc('week', c."from_date"::timestamp), c."to_date"::timestamp, interval '7 days') AS w
ON CONFLICT DO NOTHING;

INSERT INTO "capacity_claim" ("referral_id", "offer_id", "site_ods", "specialty_code", "week_start")
SELECT DISTINCT ON (r."id") r."id", o."id", o."site_ods", r."specialty_code", date_trunc('week', o."earliest_week"::timestamp)::date
FROM "offer" o JOIN "referral" r ON r."id" = o."referral_id"
JOIN "capacity_week" cw ON cw."site_ods" = o."site_ods" AND cw."specialty_code" = r."specialty_code" AND cw."week_start" = date_trunc('week', o."earliest_week"::timestamp)::date
WHERE o."status" = 'ACCEPTED' AND r."status" IN ('AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING', 'BOOKED')
ORDER BY r."id", o."created_at";

UPDATE "capacity_week" cw SET "used" = n.used
FROM (SELECT "site_ods", "specialty_code", "week_start", count(*)::int AS used FROM "capacity_claim" WHERE "released_at" IS NULL GROUP BY 1, 2, 3) n
WHERE cw."site_ods" = n."site_ods" AND cw."specialty_code" = n."specialty_code" AND cw."week_start" = n."week_start";
