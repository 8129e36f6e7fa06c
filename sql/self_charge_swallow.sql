-- A statement that charges itself and is stopped by its own poll stays
-- stopped, even when that poll ran inside a function of the statement whose
-- exception block caught the quota error.  A poll runs wherever the next
-- row is written: in a nested statement of a function the statement calls
-- for each row, the poll measures the whole statement (its own table
-- included) and raises the error there.  A tenant's function that catches
-- it (WHEN others) let the statement go on writing its fixed-width rows
-- (none of whose values alone trips the per-row check) until the worker's
-- next refresh: 20 MB into a 2 MB quota.  Likewise a CREATE TABLE AS.  (A
-- statement whose nested loads were stopped and caught, and that then
-- wrote into the schema itself, was stopped already.)  The worker is kept quiet, so that only
-- the statements' own charges stop them; sizes are asserted, never time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_sw NOLOGIN;
CREATE SCHEMA s_sw AUTHORIZATION dq_sw;
CREATE SCHEMA s_sw_free AUTHORIZATION dq_sw;
SET ROLE dq_sw;
-- fixed-width rows: 8 name columns, 512 bytes of values
CREATE TABLE s_sw.t (a name, b name, c name, d name, e name, f name, g name, h name);
CREATE TABLE s_sw.log (i int);
-- a row that is never written (the check fails) but whose values are
-- reckoned at 300 kB: the poll falls into this nested statement
CREATE TABLE s_sw_free.sink (v text CHECK (v IS NULL));
CREATE FUNCTION s_sw.swallow() RETURNS name LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    INSERT INTO s_sw_free.sink VALUES (repeat('y', 300000));
  EXCEPTION WHEN others THEN NULL;
  END;
  RETURN 'a';
END $$;
-- writes only through nested statements, each in an exception block
CREATE FUNCTION s_sw.fill() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  FOR k IN 1 .. 40 LOOP
    BEGIN
      INSERT INTO s_sw.t SELECT 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'
        FROM generate_series(1, 1000);
    EXCEPTION WHEN disk_full THEN NULL;
    END;
  END LOOP;
  RETURN 1;
END $$;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_sw', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

-- 1. INSERT: stopped near the quota, whatever the function caught
SET ROLE dq_sw;
INSERT INTO s_sw.t SELECT s_sw.swallow(), 'b', 'c', 'd', 'e', 'f', 'g', 'h'
  FROM generate_series(1, 40000);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = 0 AS rolled_back FROM s_sw.t;
SELECT pg_total_relation_size('s_sw.t') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_sw.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();

-- 2. CREATE TABLE AS: the same
SET ROLE dq_sw;
CREATE TABLE s_sw.c AS SELECT s_sw.swallow() AS a, 'b'::name AS b, 'c'::name AS c,
  'd'::name AS d, 'e'::name AS e, 'f'::name AS f, 'g'::name AS g, 'h'::name AS h
  FROM generate_series(1, 40000);
\echo :LAST_ERROR_SQLSTATE
SELECT to_regclass('s_sw.c') IS NULL AS not_created;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();

-- 3. A statement into the schema whose function's nested loads were
-- stopped and caught: it fails too (it wrote past the headroom)
SET ROLE dq_sw;
INSERT INTO s_sw.t SELECT 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' FROM s_sw.fill();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = 0 AS rolled_back FROM s_sw.t;
SELECT pg_total_relation_size('s_sw.t') <= 4 * 1024 * 1024 AS bounded;
RESET ROLE;

-- 4. Into a table without a quota, the same function: each nested load is
-- its own statement, stopped; the outer statement, which catches the
-- errors, completes
SET ROLE dq_sw;
TRUNCATE s_sw.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_sw;
CREATE TABLE s_sw_free.log (i int);
INSERT INTO s_sw_free.log SELECT s_sw.fill();
SELECT count(*) AS completed FROM s_sw_free.log;
SELECT pg_total_relation_size('s_sw.t') <= 4 * 1024 * 1024 AS bounded;
RESET ROLE;

DROP SCHEMA s_sw CASCADE;
DROP SCHEMA s_sw_free CASCADE;
DROP ROLE dq_sw;
\i sql/include/quiet_worker_end.psql
