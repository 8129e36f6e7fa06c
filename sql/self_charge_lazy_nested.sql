-- Found by a sixteenth attack (branch attack16) on the lazy start: a
-- statement whose own targets all have 64 MB or more left starts lazily
-- and charges nothing if it ends before its first poll.  A function it
-- runs that writes into another target, near its quota, joined it and was
-- measured, but what it wrote was never charged: a series of such
-- statements (here: into a schema far from its quota, or into a temporary
-- table under a database quota far from it) wrote past the other target's
-- quota unstopped until the worker's next refresh (25 MB into a 10 MB
-- quota with the worker quiet).  Now what a nested execution wrote is
-- charged at the first poll or when the statement completes.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_lz16 NOLOGIN;
CREATE SCHEMA s_lz16_far AUTHORIZATION dq_lz16;
CREATE SCHEMA s_lz16_near AUTHORIZATION dq_lz16;
SET ROLE dq_lz16;
CREATE TABLE s_lz16_far.t(i int) WITH (autovacuum_enabled = off);
-- stored uncompressed in TOAST: a row of 8000 bytes writes about 8 kB and
-- is reckoned 16 kB
CREATE TABLE s_lz16_near.t(b text) WITH (autovacuum_enabled = off);
ALTER TABLE s_lz16_near.t ALTER b SET STORAGE EXTERNAL;
-- 50 rows: about 400 kB written, 800 kB reckoned (under the 1 MB of a
-- lazy start)
CREATE FUNCTION s_lz16_far.fill() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s_lz16_near.t SELECT repeat('x', 8000) FROM generate_series(1, 50);
  RETURN 1;
END $$;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_lz16_far', '1 GB');
SELECT diskquota.set_schema_quota('s_lz16_near', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_lz16;

-- 60 statements into the far schema, each writing 400 kB into the near
-- one through the function: about 25 MB if none were stopped
DO $$ BEGIN
  FOR i IN 1..60 LOOP
    INSERT INTO s_lz16_far.t SELECT s_lz16_far.fill();
  END LOOP;
END $$;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_lz16_near.t') <= (10 + 2) * 1024 * 1024 AS near_stopped_at_quota;

-- the same from a temporary table, whose targets (the owner, without a
-- quota, and the database) are far
RESET ROLE;
TRUNCATE s_lz16_near.t;
SELECT diskquota.set_schema_quota('s_lz16_far', '-1');
SELECT diskquota.set_database_quota('1 GB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_lz16;
CREATE TEMP TABLE lz16_tmp(i int);
DO $$ BEGIN
  FOR i IN 1..60 LOOP
    INSERT INTO lz16_tmp SELECT s_lz16_far.fill();
  END LOOP;
END $$;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_lz16_near.t') <= (10 + 2) * 1024 * 1024 AS near_stopped_at_quota;
DROP TABLE lz16_tmp;

-- near its quota (1 MB left) the function's rows make the statement poll
-- (its budget is cut when the function joins): stopped within it, as before
RESET ROLE;
TRUNCATE s_lz16_near.t;
SELECT diskquota.set_schema_quota('s_lz16_near', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_lz16;
INSERT INTO s_lz16_far.t SELECT s_lz16_far.fill();
INSERT INTO s_lz16_far.t SELECT s_lz16_far.fill();
INSERT INTO s_lz16_far.t SELECT s_lz16_far.fill();
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_lz16_near.t') <= 2 * 1024 * 1024 AS near_stopped_at_quota;
RESET ROLE;

SELECT diskquota.set_database_quota('-1');
SELECT diskquota.set_schema_quota('s_lz16_near', '-1');
DROP SCHEMA s_lz16_far CASCADE;
DROP SCHEMA s_lz16_near CASCADE;
DROP ROLE dq_lz16;
\i sql/include/quiet_worker_end.psql
