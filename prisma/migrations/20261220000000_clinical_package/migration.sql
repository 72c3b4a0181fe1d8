-- The clinical package (issue 16): what the referring trust records for the receiving clinician
-- (clinical_information, one row per referral), the documents sent with the referral (attachment,
-- its bytes in attachment_content: the Postgres AttachmentStore), and the receiving clinician's
-- requests for information with the referrer's answers (information_request).

-- CreateTable
CREATE TABLE "clinical_information" (
    "referral_id" UUID NOT NULL,
    "diagnosis_code" TEXT,
    "diagnosis_text" TEXT,
    "laterality" TEXT,
    "comorbidities" JSONB NOT NULL DEFAULT '[]',
    "bmi" DECIMAL(4,1),
    "asa_grade" SMALLINT,
    "anticoagulated" BOOLEAN,
    "anticoagulant" TEXT,
    "mobility" TEXT,
    "referral_letter" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by_sub" TEXT NOT NULL,

    CONSTRAINT "clinical_information_pkey" PRIMARY KEY ("referral_id"),
    CONSTRAINT "clinical_information_laterality_check" CHECK ("laterality" IN ('left', 'right', 'bilateral', 'not_applicable')),
    CONSTRAINT "clinical_information_asa_grade_check" CHECK ("asa_grade" BETWEEN 1 AND 5),
    CONSTRAINT "clinical_information_bmi_check" CHECK ("bmi" BETWEEN 10 AND 100)
);

-- CreateTable
CREATE TABLE "attachment" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "uploaded_by_sub" TEXT NOT NULL,
    "uploaded_by_ods" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attachment_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "attachment_kind_check" CHECK ("kind" IN ('referral_letter', 'clinic_letter', 'imaging_report')),
    CONSTRAINT "attachment_media_type_check" CHECK ("media_type" IN ('application/pdf', 'image/png', 'image/jpeg'))
);

-- CreateTable
CREATE TABLE "attachment_content" (
    "attachment_id" UUID NOT NULL,
    "content" BYTEA NOT NULL,

    CONSTRAINT "attachment_content_pkey" PRIMARY KEY ("attachment_id")
);

-- CreateTable
CREATE TABLE "information_request" (
    "id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "question" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'OPEN',
    "asked_by_sub" TEXT NOT NULL,
    "asked_by_name" TEXT,
    "asked_by_ods" TEXT NOT NULL,
    "asked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answer" TEXT,
    "answered_by_sub" TEXT,
    "answered_by_name" TEXT,
    "answered_by_role" TEXT,
    "answered_at" TIMESTAMPTZ(3),

    CONSTRAINT "information_request_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "information_request_status_check" CHECK ("status" IN ('OPEN', 'ANSWERED', 'CLOSED'))
);

-- CreateIndex
CREATE INDEX "attachment_referral_id_created_at_idx" ON "attachment"("referral_id", "created_at");

-- CreateIndex
CREATE INDEX "information_request_referral_id_asked_at_idx" ON "information_request"("referral_id", "asked_at");

-- One question open at a time: a second request waits for the first answer (Prisma cannot say a
-- partial index; it lives here only).
CREATE UNIQUE INDEX "information_request_one_open" ON "information_request"("referral_id") WHERE "status" = 'OPEN';

-- AddForeignKey
ALTER TABLE "clinical_information" ADD CONSTRAINT "clinical_information_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attachment" ADD CONSTRAINT "attachment_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attachment_content" ADD CONSTRAINT "attachment_content_attachment_id_fkey" FOREIGN KEY ("attachment_id") REFERENCES "attachment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "information_request" ADD CONSTRAINT "information_request_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE CASCADE ON UPDATE CASCADE;
