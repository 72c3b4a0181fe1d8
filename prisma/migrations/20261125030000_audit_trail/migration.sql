-- The audit trail: every read and write of a patient's referral by a person or system.
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_sub" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "actor_ods" TEXT,
    "action" TEXT NOT NULL,
    "referral_id" UUID,
    "request_id" TEXT,
    "outcome" INTEGER NOT NULL,
    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_event_referral_idx" ON "audit_event" ("referral_id", "id");
CREATE INDEX "audit_event_at_idx" ON "audit_event" ("at");

-- Append-only, like the timeline: refuse any update or delete at the database.
CREATE OR REPLACE FUNCTION timeline_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION timeline_event_append_only();
