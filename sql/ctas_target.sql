-- CREATE TABLE AS and friends are checked against the relation they do
-- create: a function the planner runs may switch search_path or
-- default_tablespace after the statement was checked.
\set VERBOSITY terse
CREATE SCHEMA s_full;
CREATE TABLE s_full.t AS SELECT generate_series(1, 100000) AS i;
CREATE SCHEMA s_open;
CREATE ROLE dq_ct NOLOGIN;
GRANT CREATE, USAGE ON SCHEMA s_full, s_open TO dq_ct;
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE dq_ts_ct LOCATION '';
RESET allow_in_place_tablespaces;
GRANT CREATE ON TABLESPACE dq_ts_ct TO dq_ct;
CREATE TABLE s_open.in_ts TABLESPACE dq_ts_ct AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s_full', '1 MB');
SELECT diskquota.set_schema_tablespace_quota('s_open', 'dq_ts_ct', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- planned with search_path = s_open, created in s_full
CREATE FUNCTION s_open.flip() RETURNS bool LANGUAGE sql IMMUTABLE
  AS $$ SELECT set_config('search_path', 's_full', true) IS NOT NULL $$;
CREATE FUNCTION s_open.to_ts() RETURNS bool LANGUAGE sql IMMUTABLE
  AS $$ SELECT set_config('default_tablespace', 'dq_ts_ct', true) IS NOT NULL $$;
GRANT EXECUTE ON FUNCTION s_open.flip(), s_open.to_ts() TO dq_ct;
SET ROLE dq_ct;
BEGIN;
SET LOCAL search_path = s_open;
CREATE TABLE big AS SELECT generate_series(1, 100000) AS i WHERE s_open.flip();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL search_path = s_open;
SELECT generate_series(1, 100000) AS i INTO big WHERE s_open.flip();
ROLLBACK;
BEGIN;
SET LOCAL search_path = s_open;
CREATE MATERIALIZED VIEW big AS SELECT generate_series(1, 100000) AS i WHERE s_open.flip();
ROLLBACK;
BEGIN;
SET LOCAL search_path = s_open;
EXPLAIN (ANALYZE, COSTS off, TIMING off, SUMMARY off)
  CREATE TABLE big AS SELECT generate_series(1, 100000) AS i WHERE s_open.flip();
ROLLBACK;
-- the tablespace switched the same way: its quota refuses the table
BEGIN;
CREATE TABLE s_open.big AS SELECT generate_series(1, 100000) AS i WHERE s_open.to_ts();
ROLLBACK;
BEGIN;
EXPLAIN (ANALYZE, COSTS off, TIMING off, SUMMARY off)
  CREATE MATERIALIZED VIEW s_open.big AS SELECT generate_series(1, 100000) AS i
  WHERE s_open.to_ts();
ROLLBACK;
-- where nothing is switched, the table is created
BEGIN;
SET LOCAL search_path = s_open;
CREATE TABLE fine AS SELECT generate_series(1, 1000) AS i;
SELECT count(*) FROM s_open.fine;
ROLLBACK;
RESET ROLE;
-- a table created by a function the planner runs (an IMMUTABLE function
-- calling a VOLATILE one) is not the statement's: the relation the statement
-- then creates is the one checked
CREATE FUNCTION s_open.make_side(flip bool) RETURNS bool LANGUAGE plpgsql
  AS $$ BEGIN
    CREATE TABLE s_open.side(i int);
    IF flip THEN PERFORM set_config('search_path', 's_full', true); END IF;
    RETURN true;
  END $$;
CREATE FUNCTION s_open.make(flip bool) RETURNS bool LANGUAGE sql IMMUTABLE
  AS $$ SELECT s_open.make_side(flip) $$;
BEGIN;
SET LOCAL search_path = s_open;
CREATE TABLE big AS SELECT generate_series(1, 100000) AS i WHERE s_open.make(true);
ROLLBACK;
BEGIN;
SET LOCAL search_path = s_open;
CREATE TABLE fine2 AS SELECT 1 AS i WHERE s_open.make(false);
SELECT to_regclass('s_open.fine2') IS NOT NULL AS created,
       to_regclass('s_open.side') IS NOT NULL AS side;
ROLLBACK;
\set VERBOSITY default
DROP SCHEMA s_full, s_open CASCADE;
DROP TABLESPACE dq_ts_ct;
DROP ROLE dq_ct;
