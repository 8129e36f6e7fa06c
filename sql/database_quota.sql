-- A quota on the database as a whole, as pg_database_size() counts it.
\set VERBOSITY terse
CREATE SCHEMA s23;
CREATE TABLE s23.t(i int);
INSERT INTO s23.t SELECT generate_series(1, 1000);
SELECT diskquota.set_database_quota('10 GB');
SELECT diskquota.wait_for_worker_new_epoch();
-- what pg_database_size() counts, within what catalog changes and the
-- relation cache init files may have moved since the last full rescan
SELECT database_name = current_database() AS ours, quota_in_mb,
       abs(dbsize_in_bytes - pg_database_size(current_database())) < 1024 * 1024 AS close
  FROM diskquota.show_database_quota_view;
-- a load grows it by what the load writes
SELECT dbsize_in_bytes AS before FROM diskquota.show_database_quota_view \gset
INSERT INTO s23.t SELECT generate_series(1, 100000);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT dbsize_in_bytes - :before >= pg_total_relation_size('s23.t') - 8192 * 10 AS grown
  FROM diskquota.show_database_quota_view;
-- below its size: every load into any table is refused, temporary ones too
CREATE TEMP TABLE t23(i int);
SELECT diskquota.set_database_quota('1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s23.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO t23 VALUES (1);
CREATE TABLE s23.ctas AS SELECT 1 AS i;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE s23.ctas AS SELECT 1 AS i;
SELECT target_type, target_name, tablespace_name FROM diskquota.rejectmap;
-- cleanup stays allowed; raising the quota is always possible
DELETE FROM s23.t;
TRUNCATE s23.t;
DROP TABLE t23;
SELECT diskquota.set_database_quota('10 GB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s23.t VALUES (1);
-- a load that crosses it while it runs is stopped
SELECT diskquota.set_database_quota(
         (pg_database_size(current_database()) / (1024 * 1024) + 3)::text || ' MB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
CREATE TABLE s23.fresh(i int);
INSERT INTO s23.fresh SELECT generate_series(1, 20000000);
ROLLBACK;
INSERT INTO s23.t SELECT generate_series(1, 20000000);
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_database_quota('-1');
SELECT count(*) FROM diskquota.show_database_quota_view;
DROP SCHEMA s23 CASCADE;
