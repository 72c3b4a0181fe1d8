-- Booking as it really goes (issue 18): clinic sessions a receiving trust's booking team declares,
-- cut into slots; a booking takes a free slot. A slot holds at most one booking (the unique index on
-- booking_id) and is taken by a conditional UPDATE ... WHERE booking_id IS NULL, so two clerks
-- cannot take the same one: the second finds no row to update.
CREATE TABLE "clinic_session" (
    "id" UUID NOT NULL,
    "trust_ods" TEXT NOT NULL,
    "site_ods" TEXT NOT NULL,
    "clinician_name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "slot_minutes" INTEGER NOT NULL,
    "slot_count" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "clinic_session_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "clinic_session_kind_check" CHECK ("kind" IN ('pre_op_assessment', 'procedure', 'follow_up')),
    CONSTRAINT "clinic_session_slot_minutes_check" CHECK ("slot_minutes" BETWEEN 5 AND 480),
    CONSTRAINT "clinic_session_slot_count_check" CHECK ("slot_count" BETWEEN 1 AND 96),
    CONSTRAINT "clinic_session_site_fkey" FOREIGN KEY ("site_ods") REFERENCES "site"("ods") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "clinic_session_trust_ods_starts_at_idx" ON "clinic_session" ("trust_ods", "starts_at");

CREATE TABLE "clinic_slot" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "booking_id" UUID,
    CONSTRAINT "clinic_slot_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "clinic_slot_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "clinic_session"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "clinic_slot_booking_id_fkey" FOREIGN KEY ("booking_id") REFERENCES "booking"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "clinic_slot_booking_id_key" ON "clinic_slot" ("booking_id");
CREATE UNIQUE INDEX "clinic_slot_session_id_starts_at_key" ON "clinic_slot" ("session_id", "starts_at");

-- What a did-not-attend leads to at each trust (its admin sets it; no row: rebook, never return).
CREATE TABLE "booking_policy" (
    "trust_ods" TEXT NOT NULL,
    "dna_action" TEXT NOT NULL,
    "return_after_dnas" INTEGER NOT NULL DEFAULT 1,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "booking_policy_pkey" PRIMARY KEY ("trust_ods"),
    CONSTRAINT "booking_policy_dna_action_check" CHECK ("dna_action" IN ('rebook', 'return_to_referrer')),
    CONSTRAINT "booking_policy_return_after_dnas_check" CHECK ("return_after_dnas" BETWEEN 1 AND 5),
    CONSTRAINT "booking_policy_trust_ods_fkey" FOREIGN KEY ("trust_ods") REFERENCES "trust"("ods") ON DELETE CASCADE ON UPDATE CASCADE
);
