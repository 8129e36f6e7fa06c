-- Self-charging where a second attack (branch attack2) found it blind:
-- a table moved mid-statement, a high-water mark kept past a TRUNCATE,
-- partitioned tables written by nested statements, CREATE TABLE AS and
-- REFRESH run by a function of a writing statement, and more than 16
-- ModifyTable nodes.  Each load is stopped near the quota by its own
-- charges.  self_charge is turned on the way a DBA would in production:
-- ALTER SYSTEM.
--
-- The worker is kept quiet (no file-change feed, naptime and
-- load_check_interval of a minute) so that only the statements' own
-- charges stop them between the steps' refreshes
-- (wait_for_worker_new_epoch).  Sizes are asserted, never time.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
\i sql/include/dblink_outcome.psql
\i sql/include/quiet_worker.psql
SHOW diskquota.self_charge;

-- 1. A relation is charged to the targets it has when it is measured: a
-- tenant's statement whose function writes a table (even no row), moves it
-- into another schema (ALTER TABLE ... SET SCHEMA, in the same statement)
-- and then loads it, is stopped near the new schema's 2 MB quota.
CREATE ROLE dq_m NOLOGIN;
CREATE SCHEMA s_m1 AUTHORIZATION dq_m;
CREATE SCHEMA s_m2 AUTHORIZATION dq_m;
SET ROLE dq_m;
CREATE TABLE s_m1.log(i int);
CREATE TABLE s_m1.t(i int);
CREATE TABLE s_m2.direct(i int);
CREATE FUNCTION s_m1.load() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s_m1.t SELECT 1 WHERE false;
  ALTER TABLE s_m1.t SET SCHEMA s_m2;
  INSERT INTO s_m2.t SELECT generate_series(1, 200000);
  RETURN 1;
END $$;
RESET ROLE;
SELECT diskquota.set_role_quota('dq_m', '100 MB');
SELECT diskquota.set_schema_quota('s_m2', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_m;
-- the same load straight into the schema is stopped near its quota
INSERT INTO s_m2.direct SELECT generate_series(1, 200000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_m2.direct') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_m2.direct;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_m;
INSERT INTO s_m1.log SELECT s_m1.load();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS completed FROM s_m1.log;
-- the move rolled back with the statement, not what it wrote: the table
-- is in s_m1 again, with the rows written before the stop
SELECT pg_total_relation_size('s_m1.t') <= 4 * 1024 * 1024 AS bounded;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_m2', '-1');
SELECT diskquota.set_role_quota('dq_m', '-1');
DROP SCHEMA s_m1 CASCADE;
DROP SCHEMA s_m2 CASCADE;
DROP ROLE dq_m;
SELECT diskquota.wait_for_worker_new_epoch();

-- 2. A high-water mark comes down with the relation's shrink.  A tenant's
-- statement writes about 7 MB into its table in a subtransaction that
-- rolls back (charged: under its 10 MB quota) and keeps running; the
-- subtransaction's locks are gone, so another session of the tenant
-- TRUNCATEs the table; after a refresh the quota has its whole headroom
-- back, and the map still holds the running statement's entry; the next
-- load, which acquires it, finds the relation below its mark: its growth is
-- charged from the size it found, and it is stopped near the quota, each
-- round.
CREATE ROLE dq_r NOLOGIN;
CREATE SCHEMA s_r AUTHORIZATION dq_r;
SET ROLE dq_r;
CREATE TABLE s_r.log(i int);
CREATE TABLE s_r.t(i int);
CREATE FUNCTION s_r.fill() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    INSERT INTO s_r.t SELECT generate_series(1, 200000);
    RAISE EXCEPTION 'roll back';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  -- keep the statement (and its mark on s_r.t) alive
  PERFORM pg_advisory_xact_lock_shared(4411);
  RETURN 1;
END $$;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_r', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_advisory_lock(4411) IS NOT NULL AS locked;
SELECT dblink_connect('dq_r_c', 'dbname=' || current_database());
SELECT dblink_exec('dq_r_c', 'SET diskquota.self_charge = on');
SELECT dblink_exec('dq_r_c', 'SET ROLE dq_r');
SELECT dblink_send_query('dq_r_c', 'INSERT INTO s_r.log SELECT s_r.fill()');
DO $$
BEGIN
  WHILE NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'
                     AND objid = 4411 AND NOT granted)
        -- a holder that failed first would leave us waiting forever
        AND dblink_is_busy('dq_r_c') = 1 LOOP
    PERFORM pg_stat_clear_snapshot();
  END LOOP;
END $$;
SET ROLE dq_r;
TRUNCATE s_r.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < 1024 * 1024 AS emptied
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_r';
SET ROLE dq_r;
INSERT INTO s_r.t SELECT generate_series(1, 600000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_r.t') <= (10 + 2) * 1024 * 1024 AS bounded;
TRUNCATE s_r.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_r;
INSERT INTO s_r.t SELECT generate_series(1, 1000000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_r.t') <= (10 + 2) * 1024 * 1024 AS bounded_again;
RESET ROLE;
SELECT pg_advisory_unlock(4411);
SELECT pg_temp.outcome('dq_r_c') AS holder;
SELECT dblink_disconnect('dq_r_c');
SELECT diskquota.set_schema_quota('s_r', '-1');
DROP SCHEMA s_r CASCADE;
DROP ROLE dq_r;

-- 3. A partitioned table written by a trigger or a function of a statement
-- that charges itself: the nested execution joins the statement
-- (self_charge_join), which follows the partitions its rows are routed to,
-- as it does its own.  Loads through a function (INSERT ... SELECT f()) and
-- through a BEFORE trigger of a one-row INSERT are stopped near the 2 MB
-- quota, as the same load straight into the partitioned table, or a
-- trigger's load into a plain table.
CREATE ROLE dq_p NOLOGIN;
CREATE SCHEMA s_p AUTHORIZATION dq_p;
SET ROLE dq_p;
CREATE TABLE s_p.log(i int);
CREATE TABLE s_p.p(i int) PARTITION BY RANGE (i);
CREATE TABLE s_p.p1 PARTITION OF s_p.p FOR VALUES FROM (0) TO (10000000);
CREATE TABLE s_p.plain(i int);
CREATE FUNCTION s_p.load() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s_p.p SELECT generate_series(1, 200000);
  RETURN 1;
END $$;
CREATE FUNCTION s_p.trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s_p.p SELECT generate_series(1, 200000);
  RETURN NEW;
END $$;
CREATE FUNCTION s_p.trg_plain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s_p.plain SELECT generate_series(1, 200000);
  RETURN NEW;
END $$;
CREATE TABLE s_p.log_p(i int);
CREATE TRIGGER tr BEFORE INSERT ON s_p.log_p
  FOR EACH ROW EXECUTE FUNCTION s_p.trg();
CREATE TABLE s_p.log_plain(i int);
CREATE TRIGGER tr BEFORE INSERT ON s_p.log_plain
  FOR EACH ROW EXECUTE FUNCTION s_p.trg_plain();
RESET ROLE;
SELECT diskquota.set_schema_quota('s_p', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_p;
-- straight into the partitioned table: stopped near the quota
INSERT INTO s_p.p SELECT generate_series(1, 200000);
SELECT pg_total_relation_size('s_p.p1') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_p.p;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_p;
-- a trigger's load into a plain table: stopped near the quota
INSERT INTO s_p.log_plain VALUES (1);
SELECT pg_total_relation_size('s_p.plain') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_p.plain;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_p;
-- through a function
INSERT INTO s_p.log SELECT s_p.load();
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS completed FROM s_p.log;
SELECT pg_total_relation_size('s_p.p1') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_p.p;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_p;
-- through a trigger
INSERT INTO s_p.log_p VALUES (1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS completed FROM s_p.log_p;
SELECT pg_total_relation_size('s_p.p1') <= 4 * 1024 * 1024 AS bounded;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_p', '-1');
DROP SCHEMA s_p CASCADE;
DROP ROLE dq_p;
SELECT diskquota.wait_for_worker_new_epoch();

-- 4. CREATE TABLE AS and REFRESH MATERIALIZED VIEW run by a function of an
-- INSERT that charges itself join it (charge_dest_joined): stopped near the
-- 2 MB quota, as the same CREATE TABLE AS in a function called by a
-- SELECT.
CREATE ROLE dq_c NOLOGIN;
CREATE SCHEMA s_c AUTHORIZATION dq_c;
SET ROLE dq_c;
CREATE TABLE s_c.log(i int);
CREATE FUNCTION s_c.ctas() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  CREATE TABLE s_c.big AS SELECT generate_series(1, 200000) i;
  RETURN 1;
END $$;
CREATE MATERIALIZED VIEW s_c.mv AS SELECT generate_series(1, 200000) i
  WITH NO DATA;
CREATE FUNCTION s_c.refresh() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  REFRESH MATERIALIZED VIEW s_c.mv;
  RETURN 1;
END $$;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_c', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_c;
-- outermost: stopped
SELECT s_c.ctas();
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_c;
INSERT INTO s_c.log SELECT s_c.ctas();
\echo :LAST_ERROR_SQLSTATE
-- stopped: nothing created (its files went with the transaction)
SELECT count(*) AS created FROM pg_class WHERE relname = 'big';
INSERT INTO s_c.log SELECT s_c.refresh();
\echo :LAST_ERROR_SQLSTATE
SELECT relispopulated FROM pg_class WHERE oid = 's_c.mv'::regclass;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_c', '-1');
DROP SCHEMA s_c CASCADE;
DROP ROLE dq_c;

-- 5. Every ModifyTable input is wrapped, however many: one table written
-- through 17 data-modifying CTEs, the first loading about 7 MB and 16 empty
-- ones, and functions nesting 17 INSERTs, the innermost loading, are
-- stopped near the 2 MB quota.
CREATE ROLE dq_x NOLOGIN;
CREATE SCHEMA s_x AUTHORIZATION dq_x;
SET ROLE dq_x;
CREATE TABLE s_x.t(i int);
RESET ROLE;
SELECT diskquota.set_schema_quota('s_x', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_x;
WITH big AS (INSERT INTO s_x.t SELECT generate_series(1, 200000)),
     e1 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e2 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e3 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e4 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e5 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e6 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e7 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e8 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e9 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e10 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e11 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e12 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e13 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e14 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e15 AS (INSERT INTO s_x.t SELECT 1 WHERE false),
     e16 AS (INSERT INTO s_x.t SELECT 1 WHERE false)
INSERT INTO s_x.t SELECT 1 WHERE false;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_x.t') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_x.t;
-- the same with functions: 17 nested INSERTs, the innermost loading
CREATE FUNCTION s_x.rec(n int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF n > 0 THEN
    INSERT INTO s_x.t SELECT s_x.rec(n - 1);
  ELSE
    INSERT INTO s_x.t SELECT generate_series(1, 200000);
  END IF;
  RETURN 1;
END $$;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_x;
-- 4 levels: stopped
INSERT INTO s_x.t SELECT s_x.rec(3);
SELECT pg_total_relation_size('s_x.t') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_x.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_x;
-- 17 levels
INSERT INTO s_x.t SELECT s_x.rec(16);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_x.t') <= 4 * 1024 * 1024 AS bounded;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_x', '-1');
DROP SCHEMA s_x CASCADE;
DROP ROLE dq_x;

\i sql/include/quiet_worker_end.psql
