-- Traces from a request to the jobs it causes (issue 14): each outbox row keeps the W3C trace
-- context of the change that wrote it, in the same transaction, and the relay hands it to the
-- job. Null when tracing is off. Header values only (ids and flags), never patient data.
ALTER TABLE "outbox_message" ADD COLUMN "traceparent" TEXT, ADD COLUMN "tracestate" TEXT;
