-- Wake the outbox relay when jobs are written, instead of waiting for its next poll: one
-- NOTIFY per inserting statement, delivered when the transaction commits (Postgres folds
-- repeats within a transaction into one). The relay still polls, slowly, in case a
-- notification is missed while its listening connection is down.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox_message', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER outbox_message_notify AFTER INSERT ON "outbox_message"
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
