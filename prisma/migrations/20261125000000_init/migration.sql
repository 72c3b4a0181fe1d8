-- CreateEnum
CREATE TYPE "ReferralStatus" AS ENUM ('IDENTIFIED', 'AWAITING_CLINICAL_REVIEW', 'AWAITING_PATIENT_CONSENT', 'AWAITING_RECEIVER_ACCEPTANCE', 'AWAITING_BOOKING', 'BOOKED', 'TREATED', 'DISCHARGED', 'NOT_ELIGIBLE', 'NOT_SUITABLE', 'DECLINED', 'REJECTED_BY_RECEIVER', 'WITHDRAWN', 'CANCELLED');

-- CreateTable
CREATE TABLE "trust" (
    "ods" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "main_site_ods" TEXT NOT NULL,

    CONSTRAINT "trust_pkey" PRIMARY KEY ("ods")
);

-- CreateTable
CREATE TABLE "site" (
    "ods" TEXT NOT NULL,
    "trust_ods" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "postcode" TEXT NOT NULL,
    "latitude" DOUBLE PRECISION NOT NULL,
    "longitude" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "site_pkey" PRIMARY KEY ("ods")
);

-- CreateTable
CREATE TABLE "capacity" (
    "id" UUID NOT NULL,
    "trust_ods" TEXT NOT NULL,
    "specialty_code" TEXT NOT NULL,
    "site_ods" TEXT,
    "weekly_slots" INTEGER NOT NULL,
    "from_date" DATE NOT NULL,
    "to_date" DATE NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "capacity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "postcode_district" (
    "district" TEXT NOT NULL,
    "latitude" DOUBLE PRECISION NOT NULL,
    "longitude" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "postcode_district_pkey" PRIMARY KEY ("district")
);

-- CreateTable
CREATE TABLE "patient" (
    "id" UUID NOT NULL,
    "nhs_number" TEXT NOT NULL,
    "family_name" TEXT NOT NULL,
    "given_name" TEXT NOT NULL,
    "date_of_birth" DATE NOT NULL,
    "address" TEXT,
    "postcode" TEXT NOT NULL,
    "phone" TEXT,
    "email" TEXT,
    "gp_practice_ods" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "patient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "referral" (
    "id" UUID NOT NULL,
    "patient_id" UUID NOT NULL,
    "origin_ods" TEXT NOT NULL,
    "receiving_ods" TEXT,
    "specialty_code" TEXT NOT NULL,
    "procedure_code" TEXT NOT NULL,
    "rtt_clock_start" DATE NOT NULL,
    "rtt_clock_stop" DATE,
    "pathway_id" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "next_appointment_date" DATE,
    "tertiary" BOOLEAN NOT NULL DEFAULT false,
    "status" "ReferralStatus" NOT NULL DEFAULT 'IDENTIFIED',
    "needs_attention" BOOLEAN NOT NULL DEFAULT false,
    "travel_radius_miles" INTEGER,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "referral_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "timeline_event" (
    "id" BIGSERIAL NOT NULL,
    "referral_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "from_status" "ReferralStatus",
    "to_status" "ReferralStatus",
    "actor_sub" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "actor_ods" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "detail" JSONB,

    CONSTRAINT "timeline_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox_message" (
    "id" BIGSERIAL NOT NULL,
    "referral_id" UUID,
    "queue" TEXT NOT NULL,
    "job_name" TEXT NOT NULL,
    "job_id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "delay_ms" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(3),
    "dispatched_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "offer" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "receiving_ods" TEXT NOT NULL,
    "site_ods" TEXT NOT NULL,
    "distance_miles" DOUBLE PRECISION NOT NULL,
    "earliest_week" DATE NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "offer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "booking" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "site_ods" TEXT NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'BOOKED',
    "cancel_reason" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMPTZ(3),

    CONSTRAINT "booking_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'created',
    "detail" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dispatch" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "recipient_ods" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'SENT',
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMPTZ(3),

    CONSTRAINT "dispatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "clinical_note" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "author_sub" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "clinical_note_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_record" (
    "ods" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "referral_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_record_pkey" PRIMARY KEY ("ods","key")
);

-- CreateIndex
CREATE INDEX "capacity_specialty_code_idx" ON "capacity"("specialty_code");

-- CreateIndex
CREATE UNIQUE INDEX "capacity_trust_ods_specialty_code_key" ON "capacity"("trust_ods", "specialty_code");

-- CreateIndex
CREATE UNIQUE INDEX "patient_nhs_number_key" ON "patient"("nhs_number");

-- CreateIndex
CREATE INDEX "referral_origin_ods_status_idx" ON "referral"("origin_ods", "status");

-- CreateIndex
CREATE INDEX "referral_receiving_ods_status_idx" ON "referral"("receiving_ods", "status");

-- CreateIndex
CREATE INDEX "referral_patient_id_idx" ON "referral"("patient_id");

-- CreateIndex
CREATE INDEX "timeline_event_referral_id_id_idx" ON "timeline_event"("referral_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_message_job_id_key" ON "outbox_message"("job_id");

-- CreateIndex
CREATE UNIQUE INDEX "offer_referral_id_receiving_ods_site_ods_key" ON "offer"("referral_id", "receiving_ods", "site_ods");

-- CreateIndex
CREATE INDEX "booking_referral_id_idx" ON "booking"("referral_id");

-- CreateIndex
CREATE UNIQUE INDEX "notification_key_key" ON "notification"("key");

-- CreateIndex
CREATE INDEX "notification_referral_id_idx" ON "notification"("referral_id");

-- CreateIndex
CREATE UNIQUE INDEX "dispatch_referral_id_kind_key" ON "dispatch"("referral_id", "kind");

-- CreateIndex
CREATE INDEX "clinical_note_referral_id_idx" ON "clinical_note"("referral_id");

-- AddForeignKey
ALTER TABLE "site" ADD CONSTRAINT "site_trust_ods_fkey" FOREIGN KEY ("trust_ods") REFERENCES "trust"("ods") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "capacity" ADD CONSTRAINT "capacity_trust_ods_fkey" FOREIGN KEY ("trust_ods") REFERENCES "trust"("ods") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "referral" ADD CONSTRAINT "referral_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "patient"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "timeline_event" ADD CONSTRAINT "timeline_event_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "offer" ADD CONSTRAINT "offer_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "booking" ADD CONSTRAINT "booking_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification" ADD CONSTRAINT "notification_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dispatch" ADD CONSTRAINT "dispatch_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- One open referral per pathway at a trust: a second one for the same pathway is
-- refused while the first is still in progress (exits free the pathway again).
CREATE UNIQUE INDEX "referral_open_pathway_key" ON "referral" ("origin_ods", "pathway_id")
  WHERE "status" NOT IN ('DISCHARGED', 'NOT_ELIGIBLE', 'NOT_SUITABLE', 'DECLINED', 'REJECTED_BY_RECEIVER', 'WITHDRAWN', 'CANCELLED');

-- Worklists: the caller's trust, status, longest waiters first (earliest RTT start).
CREATE INDEX "referral_origin_worklist_idx" ON "referral" ("origin_ods", "status", "rtt_clock_start", "id");
CREATE INDEX "referral_receiving_worklist_idx" ON "referral" ("receiving_ods", "status", "rtt_clock_start", "id");

-- Outbox rows not yet enqueued, oldest first.
CREATE INDEX "outbox_message_pending_idx" ON "outbox_message" ("id") WHERE "dispatched_at" IS NULL;

-- The timeline is append-only: refuse any update or delete at the database.
CREATE FUNCTION timeline_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'timeline_event is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER timeline_event_no_update BEFORE UPDATE OR DELETE ON "timeline_event"
  FOR EACH ROW EXECUTE FUNCTION timeline_event_append_only();
