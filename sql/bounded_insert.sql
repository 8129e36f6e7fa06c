-- Short INSERTs of constants are not polled while they run (see
-- bounded_insert in enforcement.c): they are checked before they start
-- only.  Whatever can make such an INSERT write much more than its input
-- takes it out of that rule, and the statement is stopped while it runs.
-- Each case has its own schema with a 1 MB quota; the columns are stored
-- uncompressed, so that each value is written in full.  The worker's
-- stop is what this tests: statements do not charge themselves here
-- (sql/self_charge_edges.sql: with self_charge on, such a row is refused
-- before it is written).
\set VERBOSITY terse
SET diskquota.self_charge = off;
CREATE FUNCTION pg_temp.setup(nsp text, coldef text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SCHEMA %I', nsp);
  PERFORM diskquota.set_schema_quota(nsp, '1 MB');
  EXECUTE format('CREATE TABLE %I.t(k text, v text %s)', nsp, coldef);
  EXECUTE format('ALTER TABLE %I.t ALTER COLUMN v SET STORAGE EXTERNAL', nsp);
END $$;
SELECT pg_temp.setup('s21_const', '');
SELECT pg_temp.setup('s21_trig', '');
SELECT pg_temp.setup('s21_gen', 'GENERATED ALWAYS AS (repeat(k, 200000000)) STORED');
SELECT pg_temp.setup('s21_def', 'DEFAULT repeat(chr(120), (random() * 0 + 200000000)::int)');
CREATE FUNCTION s21_trig.enlarge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.v := repeat('x', 200000000);
  RETURN NEW;
END $$;
CREATE TRIGGER enlarge BEFORE INSERT ON s21_trig.t
  FOR EACH ROW EXECUTE FUNCTION s21_trig.enlarge();
SELECT diskquota.wait_for_worker_new_epoch();
-- small rows pass
INSERT INTO s21_const.t VALUES ('a', 'b'), ('c', 'd');
-- a constant of 200 MB (the planner folds repeat() into one)
INSERT INTO s21_const.t VALUES ('a', repeat('x', 200000000));
\echo :LAST_ERROR_SQLSTATE
-- a trigger that makes the row large
INSERT INTO s21_trig.t VALUES ('a', 'b');
\echo :LAST_ERROR_SQLSTATE
-- a stored generated column
INSERT INTO s21_gen.t VALUES ('x');
\echo :LAST_ERROR_SQLSTATE
-- a column default that is not a constant
INSERT INTO s21_def.t VALUES ('a');
\echo :LAST_ERROR_SQLSTATE
-- an index that makes many entries of one small value (a GIN index on an
-- expression)
CREATE SCHEMA s21_gin;
SELECT diskquota.set_schema_quota('s21_gin', '1 MB');
CREATE FUNCTION s21_gin.spread(int) RETURNS int[] IMMUTABLE LANGUAGE sql
  AS 'SELECT array_agg(g) FROM generate_series(1, $1) g';
CREATE TABLE s21_gin.t(i int);
CREATE INDEX ON s21_gin.t USING gin (s21_gin.spread(i)) WITH (fastupdate = off);
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s21_gin.t VALUES (5000000);
\echo :LAST_ERROR_SQLSTATE
-- none of those rows is there; each schema is over its quota now, and even
-- the smallest INSERT is refused before it starts
SELECT (SELECT count(*) FROM s21_const.t) + (SELECT count(*) FROM s21_trig.t) +
       (SELECT count(*) FROM s21_gen.t) + (SELECT count(*) FROM s21_def.t) +
       (SELECT count(*) FROM s21_gin.t) AS rows;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_oid::regnamespace, rejected FROM diskquota.quota_usage()
 WHERE target_oid::regnamespace::text LIKE 's21%' ORDER BY 1;
INSERT INTO s21_const.t VALUES ('e', 'f');
\echo :LAST_ERROR_SQLSTATE
-- A bounded INSERT into a table with btree indexes is not polled either
-- (where the file-change feed watches the database, as here): its function
-- pushes the schema over its quota from another session and waits for the
-- worker to reject the schema, and the INSERT still completes.  The same
-- INSERT into a table with a GIN expression index is polled and stopped.
-- (The executor opens a table's indexes at the first row; the check opens
-- them earlier, so it sees them at all.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT pg_temp.setup('s21_idx', '');
CREATE TABLE s21_idx.pk(i int PRIMARY KEY, j int UNIQUE);
CREATE TABLE s21_idx.gin(i int);
CREATE INDEX ON s21_idx.gin USING gin (s21_gin.spread(i));
-- ON CONFLICT: the indexes are opened for the arbiter check
INSERT INTO s21_idx.pk VALUES (0, 0) ON CONFLICT DO NOTHING;
INSERT INTO s21_idx.pk VALUES (0, 0) ON CONFLICT DO NOTHING;
CREATE FUNCTION s21_idx.go_over_quota() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  rejected_at timestamptz;
BEGIN
  -- two bounded INSERTs of 600 kB, never polled themselves
  PERFORM dblink_exec('dbname=' || current_database(),
                      'INSERT INTO s21_idx.t VALUES (''a'', repeat(''x'', 600000));
                       INSERT INTO s21_idx.t VALUES (''b'', repeat(''x'', 600000))');
  -- a refresh that starts after the load rejects the schema and asks the
  -- statements writing into it to stop
  PERFORM diskquota.wait_for_worker_new_epoch();
  RAISE NOTICE 'schema rejected: %', (SELECT rejected FROM diskquota.quota_usage()
                                      WHERE target_oid = 's21_idx'::regnamespace);
  -- the statement must then go on for a few diskquota.load_check_interval,
  -- as a statement is polled from its second interval on: wait for the
  -- worker until three intervals have passed
  rejected_at := clock_timestamp();
  WHILE clock_timestamp() - rejected_at <
        3 * current_setting('diskquota.load_check_interval')::interval LOOP
    PERFORM diskquota.wait_for_worker_new_epoch();
  END LOOP;
  RETURN 1;
END $$;
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s21_idx.pk VALUES (s21_idx.go_over_quota(), 1);
\echo :SQLSTATE
SELECT count(*) FROM s21_idx.pk;
TRUNCATE s21_idx.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's21_idx'::regnamespace;
INSERT INTO s21_idx.gin VALUES (s21_idx.go_over_quota());
\echo :SQLSTATE
SELECT count(*) FROM s21_idx.gin;
-- The defaults of the columns a multi-row VALUES does not list are written
-- for every row: two rows of 600 kB defaults are 1.2 MB, not bounded, and
-- the INSERT is polled and stopped (it was counted once, as 600 kB).  The
-- same with the default of a domain.
CREATE TABLE s21_idx.dflt(i int, v text DEFAULT repeat('x', 600000));
ALTER TABLE s21_idx.dflt ALTER COLUMN v SET STORAGE EXTERNAL;
CREATE DOMAIN s21_idx.padded AS text DEFAULT repeat('x', 600000);
CREATE TABLE s21_idx.dom(i int, v s21_idx.padded);
ALTER TABLE s21_idx.dom ALTER COLUMN v SET STORAGE EXTERNAL;
TRUNCATE s21_idx.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's21_idx'::regnamespace;
INSERT INTO s21_idx.dflt(i) VALUES (s21_idx.go_over_quota()), (2);
\echo :SQLSTATE
SELECT count(*) FROM s21_idx.dflt;
TRUNCATE s21_idx.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's21_idx'::regnamespace;
INSERT INTO s21_idx.dom(i) VALUES (s21_idx.go_over_quota()), (2);
\echo :SQLSTATE
SELECT count(*) FROM s21_idx.dom;
SELECT diskquota.set_schema_quota(s, '-1')
  FROM unnest(ARRAY['s21_const', 's21_trig', 's21_gen', 's21_def', 's21_gin', 's21_idx']) s;
\set VERBOSITY default
DROP SCHEMA s21_const, s21_trig, s21_gen, s21_def, s21_gin, s21_idx CASCADE;
