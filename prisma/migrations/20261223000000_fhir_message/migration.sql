-- BaRS-shaped intake (issue 17): the X-Request-ID each sending system has used, so that the same id
-- again is refused with 409 as BaRS says. Scoped to the sender's trust; a claim is taken before the
-- message is acted on and deleted if acting on it fails (a resend after an error is read afresh).
CREATE TABLE "fhir_message" (
    "sender_ods" TEXT NOT NULL,
    "request_id" UUID NOT NULL,
    "referral_id" UUID,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fhir_message_pkey" PRIMARY KEY ("sender_ods","request_id")
);
