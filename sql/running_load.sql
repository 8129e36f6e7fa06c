-- A statement that starts under quota and crosses it while it runs is
-- stopped with the quota error, whatever kind of load it is.
\set VERBOSITY terse
CREATE SCHEMA s20;
CREATE SCHEMA s20_other;
CREATE TABLE s20_other.t(i int);
SELECT diskquota.set_schema_quota('s20', '1 MB');
CREATE TABLE s20.t(i int);
SELECT diskquota.wait_for_worker_new_epoch();
-- a load that stays under quota is untouched
INSERT INTO s20.t SELECT generate_series(1, 1000);
-- INSERT ... SELECT
INSERT INTO s20.t SELECT generate_series(1, 20000000);
\echo :LAST_ERROR_SQLSTATE
-- a data-modifying CTE that the query does not read runs at the end of
-- the statement (ExecutorFinish): stopped too
CREATE SCHEMA s20_cte;
CREATE TABLE s20_cte.t(i int);
SELECT diskquota.set_schema_quota('s20_cte', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
WITH x AS (INSERT INTO s20_cte.t SELECT generate_series(1, 20000000) RETURNING 1)
SELECT 1;
SELECT diskquota.set_schema_quota('s20_cte', '-1');
DROP SCHEMA s20_cte CASCADE;
-- the next statement of the session, elsewhere, is not hit
INSERT INTO s20_other.t VALUES (1);
SELECT count(*) FROM s20_other.t;
-- the error can be caught in PL/pgSQL; the function goes on
CREATE SCHEMA s20_plpgsql;
SELECT diskquota.set_schema_quota('s20_plpgsql', '1 MB');
CREATE TABLE s20_plpgsql.t(i int);
SELECT diskquota.wait_for_worker_new_epoch();
DO $$
BEGIN
  BEGIN
    INSERT INTO s20_plpgsql.t SELECT generate_series(1, 20000000);
  EXCEPTION WHEN disk_full THEN
    RAISE NOTICE 'caught: %', SQLERRM;
  END;
  INSERT INTO s20_other.t VALUES (2);
END $$;
SELECT count(*) FROM s20_other.t;
-- a table created in the same transaction
CREATE SCHEMA s20_new;
SELECT diskquota.set_schema_quota('s20_new', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
CREATE TABLE s20_new.t(i int);
INSERT INTO s20_new.t SELECT generate_series(1, 20000000);
ROLLBACK;
-- the known issue of the original diskquota, with a TOAST-heavy table
BEGIN;
CREATE TABLE s20_new.big(v text);
ALTER TABLE s20_new.big ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO s20_new.big
SELECT (SELECT string_agg(md5((i * 100 + j)::text), '') FROM generate_series(1, 100) j)
  FROM generate_series(1, 200000) i;
ROLLBACK;
-- CREATE TABLE AS, SELECT INTO, CREATE MATERIALIZED VIEW
CREATE TABLE s20_new.ctas AS SELECT generate_series(1, 20000000) AS i;
SELECT generate_series(1, 20000000) AS i INTO s20_new.selinto;
CREATE MATERIALIZED VIEW s20_new.mv AS SELECT generate_series(1, 20000000) AS i;
-- a table truncated in the same transaction
CREATE SCHEMA s20_trunc;
CREATE TABLE s20_trunc.t AS SELECT generate_series(1, 1000) AS i;
SELECT diskquota.set_schema_quota('s20_trunc', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
TRUNCATE s20_trunc.t;
INSERT INTO s20_trunc.t SELECT generate_series(1, 20000000);
ROLLBACK;
-- COPY FROM
CREATE SCHEMA s20_copy;
CREATE TABLE s20_copy.t(i int);
SELECT diskquota.set_schema_quota('s20_copy', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
COPY s20_copy.t FROM PROGRAM 'seq 1 20000000';
-- REFRESH MATERIALIZED VIEW
CREATE SCHEMA s20_mv;
CREATE MATERIALIZED VIEW s20_mv.mv AS SELECT generate_series(1, 20000000) AS i WITH NO DATA;
SELECT diskquota.set_schema_quota('s20_mv', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
REFRESH MATERIALIZED VIEW s20_mv.mv;
-- UPDATE
CREATE SCHEMA s20_upd;
CREATE TABLE s20_upd.t AS SELECT generate_series(1, 1000000) AS i;
SELECT diskquota.set_schema_quota('s20_upd', '40 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < 40 * 1024 * 1024 AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's20_upd';
UPDATE s20_upd.t SET i = i + 1;
UPDATE s20_upd.t SET i = i + 1;
-- CREATE INDEX: the table fits, the index does not
CREATE SCHEMA s20_idx;
CREATE TABLE s20_idx.t AS SELECT md5(i::text) AS v FROM generate_series(1, 2000000) i;
-- 2 MB above the table: the index crosses early in its writing phase
SELECT diskquota.set_schema_quota('s20_idx',
         (pg_total_relation_size('s20_idx.t') + 2 * 1024 * 1024)::text);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < quota_in_bytes AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's20_idx';
CREATE INDEX ON s20_idx.t(v);
-- a temporary table, by the role quota
CREATE ROLE dq_r20 NOLOGIN;
SELECT diskquota.set_role_quota('dq_r20', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_r20;
CREATE TEMP TABLE tt(i int);
INSERT INTO tt SELECT generate_series(1, 20000000);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE tt;
RESET ROLE;
-- a temporary partitioned table: its partitions' files cannot be mapped by
-- the file-change feed, so the worker re-sizes what the load writes
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rolsize_in_bytes < 1024 * 1024 AS under
  FROM diskquota.show_role_quota_view WHERE role_name = 'dq_r20';
SET ROLE dq_r20;
CREATE TEMP TABLE tp(i int) PARTITION BY RANGE (i);
CREATE TEMP TABLE tp1 PARTITION OF tp FOR VALUES FROM (0) TO (100000000);
INSERT INTO tp SELECT generate_series(1, 20000000);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE tp;
RESET ROLE;
SELECT diskquota.set_role_quota('dq_r20', '-1');
DROP ROLE dq_r20;
-- statements that free space are never stopped
SELECT diskquota.set_schema_quota('s20_upd', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
DELETE FROM s20_upd.t;
VACUUM FULL s20_upd.t;
SELECT diskquota.set_schema_quota('s20', '-1');
SELECT diskquota.set_schema_quota('s20_plpgsql', '-1');
SELECT diskquota.set_schema_quota('s20_new', '-1');
SELECT diskquota.set_schema_quota('s20_trunc', '-1');
SELECT diskquota.set_schema_quota('s20_copy', '-1');
SELECT diskquota.set_schema_quota('s20_mv', '-1');
SELECT diskquota.set_schema_quota('s20_upd', '-1');
SELECT diskquota.set_schema_quota('s20_idx', '-1');
\set VERBOSITY default
DROP SCHEMA s20, s20_other, s20_plpgsql, s20_new, s20_trunc, s20_copy, s20_mv,
  s20_upd, s20_idx CASCADE;
