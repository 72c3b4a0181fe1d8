-- The outbox's short hop (issue 20): rows the committing process enqueues itself are written
-- already dispatched, and need no relay. Wake the relay only for rows left to it (dispatched_at
-- NULL): a row trigger with a WHEN condition, so a transaction whose rows are all enqueued by
-- their writer sends no NOTIFY. (A NOTIFY takes a database-wide lock at commit, held until the
-- commit is flushed: transactions that notify commit one at a time.) Repeats of the same
-- notification in one transaction are still folded into one by Postgres.
DROP TRIGGER outbox_message_notify ON "outbox_message";

CREATE TRIGGER outbox_message_notify AFTER INSERT ON "outbox_message"
  FOR EACH ROW WHEN (NEW.dispatched_at IS NULL) EXECUTE FUNCTION outbox_notify();
