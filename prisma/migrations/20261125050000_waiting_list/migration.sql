-- Waiting-list import (a trust's PTL extract as CSV) and the entries it keeps.

-- One upload. `seq` orders imports: an entry remembers the latest import that listed it, so a
-- full extract closes exactly the open entries no later import has listed.
CREATE TABLE "waiting_list_import" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "origin_ods" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "created_by" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "header_fields" INTEGER NOT NULL,
    "rows_total" INTEGER NOT NULL,
    "rows_read" INTEGER NOT NULL DEFAULT 0,
    "accepted" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,
    "closed" INTEGER NOT NULL DEFAULT 0,
    "errors_stored" INTEGER NOT NULL DEFAULT 0,
    "ignored_columns" TEXT[] NOT NULL DEFAULT '{}',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "waiting_list_import_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "waiting_list_import_mode_check" CHECK ("mode" IN ('full', 'partial')),
    CONSTRAINT "waiting_list_import_status_check" CHECK ("status" IN ('queued', 'running', 'completed', 'failed'))
);
CREATE UNIQUE INDEX "waiting_list_import_seq_key" ON "waiting_list_import" ("seq");
CREATE INDEX "waiting_list_import_origin_idx" ON "waiting_list_import" ("origin_ods", "created_at");

-- The uploaded rows as received (text, unvalidated), streamed in with COPY by the API and taken
-- out in batches by the worker: a batch's rows are deleted in the transaction that applies them,
-- so what is left is exactly what is still to do (a crashed import resumes; nothing runs twice).
CREATE TABLE "waiting_list_import_row" (
    "import_id" UUID NOT NULL,
    "row_number" INTEGER NOT NULL,
    "field_count" INTEGER NOT NULL,
    "nhs_number" TEXT,
    "family_name" TEXT,
    "given_name" TEXT,
    "date_of_birth" TEXT,
    "postcode" TEXT,
    "gp_practice_ods" TEXT,
    "specialty_code" TEXT,
    "procedure_code" TEXT,
    "rtt_clock_start" TEXT,
    "pathway_id" TEXT,
    "priority" TEXT,
    "next_appointment_date" TEXT,
    CONSTRAINT "waiting_list_import_row_pkey" PRIMARY KEY ("import_id", "row_number")
);

-- Row-level problems of an import (row numbers as a spreadsheet shows them: the header is row 1).
-- Reasons name the field and the rule, never the value.
CREATE TABLE "waiting_list_import_error" (
    "import_id" UUID NOT NULL,
    "row_number" INTEGER NOT NULL,
    "field" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    CONSTRAINT "waiting_list_import_error_pkey" PRIMARY KEY ("import_id", "row_number", "field"),
    CONSTRAINT "waiting_list_import_error_import_fkey" FOREIGN KEY ("import_id") REFERENCES "waiting_list_import"("id") ON DELETE CASCADE
);

-- One open pathway on a trust's waiting list, as its latest extract describes it.
CREATE TABLE "waiting_list_entry" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "origin_ods" TEXT NOT NULL,
    "pathway_id" TEXT NOT NULL,
    "nhs_number" TEXT NOT NULL,
    "family_name" TEXT NOT NULL,
    "given_name" TEXT NOT NULL,
    "date_of_birth" DATE NOT NULL,
    "postcode" TEXT NOT NULL,
    "gp_practice_ods" TEXT NOT NULL,
    "specialty_code" TEXT NOT NULL,
    "procedure_code" TEXT NOT NULL,
    "rtt_clock_start" DATE NOT NULL,
    "priority" TEXT NOT NULL,
    "next_appointment_date" DATE,
    "status" TEXT NOT NULL DEFAULT 'open',
    "closed_at" TIMESTAMPTZ(3),
    "referral_id" UUID,
    "last_import_id" UUID,
    "last_import_row" INTEGER,
    "last_seen_seq" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "waiting_list_entry_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "waiting_list_entry_status_check" CHECK ("status" IN ('open', 'closed')),
    CONSTRAINT "waiting_list_entry_referral_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id")
);
CREATE UNIQUE INDEX "waiting_list_entry_origin_ods_pathway_id_key" ON "waiting_list_entry" ("origin_ods", "pathway_id");
-- GET /v1/long-waiters: a trust's open, unreferred entries, longest wait first (keyset on clock start, id),
-- with or without a specialty.
CREATE INDEX "waiting_list_entry_long_waiters_idx" ON "waiting_list_entry" ("origin_ods", "rtt_clock_start", "id")
  WHERE "status" = 'open' AND "referral_id" IS NULL;
CREATE INDEX "waiting_list_entry_long_waiters_specialty_idx" ON "waiting_list_entry" ("origin_ods", "specialty_code", "rtt_clock_start", "id")
  WHERE "status" = 'open' AND "referral_id" IS NULL;
-- A full extract closes the trust's open entries it did not list.
CREATE INDEX "waiting_list_entry_open_seen_idx" ON "waiting_list_entry" ("origin_ods", "last_seen_seq") WHERE "status" = 'open';
CREATE INDEX "waiting_list_entry_referral_idx" ON "waiting_list_entry" ("referral_id") WHERE "referral_id" IS NOT NULL;
