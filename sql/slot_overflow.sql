-- More written relations than a backend slot holds (16 relations a
-- statement writes, 64 files a transaction creates): what does not fit is
-- still counted and stopped (fail closed), and status() says so.
\set VERBOSITY terse
CREATE SCHEMA s32;
CREATE TABLE s32.t(i int);
SELECT diskquota.set_schema_quota('s32', '1 MB');
CREATE FUNCTION pg_temp.ctes(n int, target text) RETURNS text LANGUAGE sql AS $$
  SELECT 'WITH ' || string_agg(format('a%s AS (INSERT INTO pg_temp.tt%s VALUES (1))', i, i), ', ')
         || format(', big AS (INSERT INTO %s SELECT generate_series(1, 20000000))', target)
         || ' INSERT INTO pg_temp.tt0 VALUES (1)'
    FROM generate_series(1, n) i
$$;
DO $$
BEGIN
  FOR i IN 0..17 LOOP
    EXECUTE format('CREATE TEMP TABLE tt%s(i int)', i);
  END LOOP;
END $$;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's32'::regnamespace;
-- 17 data-modifying CTEs into small temporary tables, an 18th that loads
-- into the schema (under its quota when it starts): stopped
SELECT pg_temp.ctes(17, 's32.t') AS q \gset
:q;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM s32.t;
-- more distinct targets than the slot keeps apart: the statement is
-- stopped when any target of the database becomes rejected
CREATE FUNCTION pg_temp.ctes_schemas(n int, target text) RETURNS text LANGUAGE sql AS $$
  SELECT 'WITH ' || string_agg(format('a%s AS (INSERT INTO s32_n%s.t VALUES (1))', i, i), ', ')
         || format(', big AS (INSERT INTO %s SELECT generate_series(1, 20000000))', target)
         || ' SELECT 1'
    FROM generate_series(1, n) i
$$;
DO $$
BEGIN
  FOR i IN 1..40 LOOP
    EXECUTE format('CREATE SCHEMA s32_n%s', i);
    EXECUTE format('CREATE TABLE s32_n%s.t(i int)', i);
  END LOOP;
END $$;
TRUNCATE s32.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's32'::regnamespace;
SELECT pg_temp.ctes_schemas(40, 's32.t') AS q \gset
:q;
\echo :LAST_ERROR_SQLSTATE
-- and more than a query can list (64)
DO $$
BEGIN
  FOR i IN 41..70 LOOP
    EXECUTE format('CREATE SCHEMA s32_n%s', i);
    EXECUTE format('CREATE TABLE s32_n%s.t(i int)', i);
  END LOOP;
END $$;
TRUNCATE s32.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's32'::regnamespace;
SELECT pg_temp.ctes_schemas(70, 's32.t') AS q \gset
:q;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM s32.t;
-- a transaction creates 64 temporary tables, then creates and fills a
-- table: its files are found in the catalog and it is stopped (by the
-- worker: self-charging would stop it before the worker sees the slot)
SET diskquota.self_charge = off;
CREATE SCHEMA s32_files;
SELECT diskquota.set_schema_quota('s32_files', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
DO $$
BEGIN
  FOR i IN 1..64 LOOP
    EXECUTE format('CREATE TEMP TABLE tf%s(i int)', i);
  END LOOP;
END $$;
CREATE TABLE s32_files.t(i int);
INSERT INTO s32_files.t SELECT generate_series(1, 20000000);
ROLLBACK;
RESET diskquota.self_charge;
-- status() says a slot was full (for a minute)
SELECT degraded_reason LIKE '%backend slot%' AS slot_full
  FROM diskquota.status() WHERE database_name = current_database();
SELECT diskquota.set_schema_quota('s32', '-1');
SELECT diskquota.set_schema_quota('s32_files', '-1');
DO $$
BEGIN
  FOR i IN 1..70 LOOP
    EXECUTE format('DROP SCHEMA s32_n%s CASCADE', i);
  END LOOP;
END $$;
DROP SCHEMA s32, s32_files CASCADE;
