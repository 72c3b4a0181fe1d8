-- Equity figures (issue 19): who is offered a transfer and who takes it, by sex, ethnicity and
-- deprivation as well as age and distance.
-- The patient's stated sex (NHS Data Dictionary PERSON STATED GENDER CODE: 1 male, 2 female,
-- 9 indeterminate, X not known) and ethnic category (ETHNIC CATEGORY: one letter A-S, Z not
-- stated); both optional, null when the trust did not record them.
ALTER TABLE "patient"
    ADD COLUMN "sex" TEXT,
    ADD COLUMN "ethnic_category" TEXT,
    ADD CONSTRAINT "patient_sex_check" CHECK ("sex" IN ('1', '2', '9', 'X')),
    ADD CONSTRAINT "patient_ethnic_category_check" CHECK ("ethnic_category" ~ '^[A-HJ-NPRSZ]$');

-- The English Index of Multiple Deprivation by small area (LSOA), loaded by `npm run imd:load`:
-- decile 1 is the most deprived tenth of areas, 10 the least. Keyed by the LSOA code of whichever
-- census the loaded edition uses (2011 for IMD 2019, 2021 for IMD 2025); the join reads both.
CREATE TABLE "imd_lsoa" (
    "lsoa" TEXT NOT NULL,
    "decile" SMALLINT NOT NULL,
    "edition" TEXT NOT NULL,
    "loaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "imd_lsoa_pkey" PRIMARY KEY ("lsoa"),
    CONSTRAINT "imd_lsoa_decile_check" CHECK ("decile" BETWEEN 1 AND 10),
    CONSTRAINT "imd_lsoa_code_check" CHECK ("lsoa" ~ '^[EW]0[0-9]{7}$')
);
