-- The patient's additional requirements (issue 16): transport, interpreter, accessible information
-- (NHS Accessible Information Standard), carer or escort, mobility, reasonable adjustments. One
-- record per referral, as the patient's details are (each trust's own record), replaced whole by
-- the patient on the offer page or by the trust's staff. The value is checked by the application
-- (libs/domain/src/additional-requirements.ts); the table keeps it an object.
CREATE TABLE "additional_requirement" (
    "referral_id" UUID NOT NULL,
    "requirements" JSONB NOT NULL,
    "recorded_by_role" TEXT NOT NULL,
    "recorded_by_ods" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "additional_requirement_pkey" PRIMARY KEY ("referral_id"),
    CONSTRAINT "additional_requirement_object_check" CHECK (jsonb_typeof("requirements") = 'object')
);

ALTER TABLE "additional_requirement" ADD CONSTRAINT "additional_requirement_referral_id_fkey"
    FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
