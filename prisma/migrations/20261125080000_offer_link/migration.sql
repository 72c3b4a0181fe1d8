-- The patient's offer link (named by the offer notification): how often it was opened with the
-- right date of birth, wrong dates of birth (locked after 5), and the one answer given through it.
CREATE TABLE "offer_link" (
    "notification_id" UUID NOT NULL,
    "referral_id" UUID NOT NULL,
    "verified_count" INTEGER NOT NULL DEFAULT 0,
    "last_verified_at" TIMESTAMPTZ(3),
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "last_failed_at" TIMESTAMPTZ(3),
    "locked_at" TIMESTAMPTZ(3),
    "used_at" TIMESTAMPTZ(3),
    "decision" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "offer_link_pkey" PRIMARY KEY ("notification_id"),
    CONSTRAINT "offer_link_notification_id_fkey" FOREIGN KEY ("notification_id") REFERENCES "notification"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "offer_link_referral_id_fkey" FOREIGN KEY ("referral_id") REFERENCES "referral"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "offer_link_referral_id_idx" ON "offer_link"("referral_id");
