-- A stop is never lost: a function that the statement runs per row and that
-- catches query_canceled swallows the interrupt diskquota sends, but the
-- statement must still fail with the quota error, never complete.
\set VERBOSITY terse
CREATE SCHEMA s30;
CREATE SCHEMA s30_other;
CREATE TABLE s30.t(i int);
CREATE TABLE s30.fill(v text);
ALTER TABLE s30.fill ALTER COLUMN v SET STORAGE EXTERNAL;
CREATE TABLE s30_other.t(i int);
SELECT diskquota.set_schema_quota('s30', '1 MB');
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
-- At its first row, another session puts the schema over its quota; then
-- each row waits, inside an exception block, until the stop request of the
-- worker interrupts it, and swallows the interrupt.
CREATE FUNCTION s30.swallow(i int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  caught bool := false;
  started timestamptz := clock_timestamp();
BEGIN
  IF i = 1 THEN
    -- two bounded INSERTs of 600 kB, never polled themselves; the stop may
    -- come before dblink_exec returns, and is swallowed then
    BEGIN
      PERFORM dblink_exec('dbname=' || current_database(),
                          'INSERT INTO s30.fill VALUES (repeat(''x'', 600000));
                           INSERT INTO s30.fill VALUES (repeat(''x'', 600000))');
    EXCEPTION WHEN query_canceled THEN
      caught := true;
    END;
  END IF;
  -- (the time limit only keeps the unfixed code from waiting forever)
  WHILE NOT caught AND clock_timestamp() < started + interval '10 s' LOOP
    BEGIN
      PERFORM diskquota.wait_for_worker_new_epoch();
    EXCEPTION WHEN query_canceled THEN
      caught := true;
    END;
  END LOOP;
  -- (rows after the first may also be stopped between two rows: the
  -- interrupt is sent again at every poll)
  IF i = 1 THEN
    RAISE NOTICE 'row %: interrupt swallowed: %', i, caught;
  END IF;
  RETURN i;
END $$;
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s30.t SELECT s30.swallow(i) FROM generate_series(1, 3) i;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM s30.t;
-- the next statement of the session is not hit
INSERT INTO s30_other.t VALUES (1);
-- the same from a row trigger
TRUNCATE s30.fill;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's30'::regnamespace;
CREATE FUNCTION s30.swallow_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.i := s30.swallow(NEW.i);
  RETURN NEW;
END $$;
CREATE TRIGGER swallow BEFORE INSERT ON s30.t
  FOR EACH ROW EXECUTE FUNCTION s30.swallow_trigger();
INSERT INTO s30.t SELECT generate_series(1, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM s30.t;
INSERT INTO s30_other.t VALUES (2);
SELECT count(*) FROM s30_other.t;
-- once the stop is requested, writes nested in the statement are refused
-- at once, even where the interrupt is swallowed
DROP TRIGGER swallow ON s30.t;
TRUNCATE s30.fill;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's30'::regnamespace;
CREATE FUNCTION s30.swallow_and_write(i int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  PERFORM s30.swallow(i);
  BEGIN
    INSERT INTO s30_other.t VALUES (100 + i);
  EXCEPTION WHEN disk_full THEN
    IF i = 1 THEN
      RAISE NOTICE 'row %: nested write refused: %', i, SQLERRM;
    END IF;
  END;
  RETURN i;
END $$;
INSERT INTO s30.t SELECT s30.swallow_and_write(i) FROM generate_series(1, 2) i;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM s30_other.t;
SELECT diskquota.set_schema_quota('s30', '-1');
\set VERBOSITY default
DROP SCHEMA s30, s30_other CASCADE;
