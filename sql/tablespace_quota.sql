-- Quotas on the part of a schema or a role that lives in one tablespace.
-- In-place tablespaces (a directory under pg_tblspc) need no path outside
-- the cluster.
-- the worker stops these loads: its overshoot is what the checks after
-- them expect (self-charged loads stop before the quota: self_charge*)
SET diskquota.self_charge = off;
\set VERBOSITY terse
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE dq_ts1 LOCATION '';
CREATE TABLESPACE dq_ts2 LOCATION '';
RESET allow_in_place_tablespaces;
CREATE SCHEMA s22;
CREATE ROLE dq_r22 NOLOGIN;
GRANT CREATE ON TABLESPACE dq_ts1, dq_ts2 TO dq_r22;
GRANT ALL ON SCHEMA s22 TO dq_r22;
-- a table in dq_ts1, one in the database's default tablespace, one in
-- dq_ts2 whose index is in dq_ts1
CREATE TABLE s22.in_ts1(i int) TABLESPACE dq_ts1;
CREATE TABLE s22.in_default(i int);
CREATE TABLE s22.in_ts2(i int) TABLESPACE dq_ts2;
CREATE INDEX in_ts2_i ON s22.in_ts2(i) TABLESPACE dq_ts1;
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts1', '1 MB');
SELECT diskquota.set_schema_tablespace_quota('s22', 'pg_default', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- one row per configured quota, zero usage included
SELECT schema_name, schema_oid = 's22'::regnamespace AS oid_ok, tablespace_name,
       tablespace_oid = (SELECT oid FROM pg_tablespace WHERE spcname = tablespace_name) AS spc_ok,
       quota_in_mb, nspsize_tablespace_in_bytes
  FROM diskquota.show_schema_tablespace_quota_view ORDER BY tablespace_name;
-- usage in dq_ts1: the table there and the index of the table in dq_ts2
INSERT INTO s22.in_ts1 SELECT generate_series(1, 10000);
INSERT INTO s22.in_ts2 SELECT generate_series(1, 10000);
INSERT INTO s22.in_default SELECT generate_series(1, 10000);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT tablespace_name,
       nspsize_tablespace_in_bytes = CASE tablespace_name
         WHEN 'dq_ts1' THEN pg_total_relation_size('s22.in_ts1') + pg_relation_size('s22.in_ts2_i')
         ELSE pg_total_relation_size('s22.in_default') END AS matches
  FROM diskquota.show_schema_tablespace_quota_view ORDER BY tablespace_name;
-- the schema as a whole counts everything
SELECT diskquota.set_schema_quota('s22', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s22.in_ts1') +
       pg_total_relation_size('s22.in_ts2') + pg_total_relation_size('s22.in_default') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's22';
-- past the quota in dq_ts1 (lowered after the load): loads into it are
-- refused, before they start
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts1', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s22.in_ts1 SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts1', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s22.in_ts1 VALUES (1);
\echo :LAST_ERROR_SQLSTATE
-- a table elsewhere whose index is in dq_ts1 too
INSERT INTO s22.in_ts2 VALUES (1);
\echo :LAST_ERROR_SQLSTATE
-- but not a table with nothing in dq_ts1
INSERT INTO s22.in_default VALUES (1);
SELECT target_type, target_name, tablespace_name FROM diskquota.rejectmap;
-- ALTER TABLE SET TABLESPACE moves the usage out of dq_ts1, and the
-- schema is accepted there again after a refresh
ALTER TABLE s22.in_ts1 SET TABLESPACE pg_default;
ALTER INDEX s22.in_ts2_i SET TABLESPACE dq_ts2;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT tablespace_name, nspsize_tablespace_in_bytes = CASE tablespace_name
         WHEN 'dq_ts1' THEN 0
         ELSE pg_total_relation_size('s22.in_default') + pg_total_relation_size('s22.in_ts1') END AS matches
  FROM diskquota.show_schema_tablespace_quota_view ORDER BY tablespace_name;
INSERT INTO s22.in_ts2 VALUES (1);
SELECT count(*) FROM diskquota.rejectmap;
-- moving a table into a tablespace where its schema is over the quota is
-- a load, and refused
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts2', '1 kB');
SELECT diskquota.wait_for_worker_new_epoch();
ALTER TABLE s22.in_default SET TABLESPACE dq_ts2;
\echo :LAST_ERROR_SQLSTATE
-- with the schema over its quota: a move alone is allowed (into a
-- tablespace where it fits), a move combined with a rewrite is checked like
-- the rewrite
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts1', '100 MB');
SELECT diskquota.set_schema_quota('s22', '1 kB');
SELECT diskquota.wait_for_worker_new_epoch();
ALTER TABLE s22.in_ts1 SET TABLESPACE dq_ts1;
ALTER TABLE s22.in_ts1 SET TABLESPACE pg_default, ALTER COLUMN i TYPE bigint;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE s22.in_ts1 ALTER COLUMN i TYPE bigint, SET TABLESPACE pg_default;
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('s22', '100 MB');
-- a load that crosses the quota while it runs is stopped
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts2', '-1');
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts1', '2 MB');
CREATE TABLE s22.load(i int) TABLESPACE dq_ts1;
SELECT diskquota.wait_for_worker_new_epoch();
-- also into a table the transaction created there, which the worker cannot
-- see in the catalog yet
BEGIN;
CREATE TABLE s22.fresh(i int) TABLESPACE dq_ts1;
INSERT INTO s22.fresh SELECT generate_series(1, 20000000);
ROLLBACK;
INSERT INTO s22.load SELECT generate_series(1, 20000000);
\echo :LAST_ERROR_SQLSTATE
-- a role's part in a tablespace
SELECT diskquota.set_role_tablespace_quota('dq_r22', 'dq_ts2', '1 MB');
SET ROLE dq_r22;
CREATE TABLE s22.role_t(i int) TABLESPACE dq_ts2;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT role_name, tablespace_name, quota_in_mb, rolsize_tablespace_in_bytes
  FROM diskquota.show_role_tablespace_quota_view;
-- a load that crosses it while it runs is stopped
SET ROLE dq_r22;
INSERT INTO s22.role_t SELECT generate_series(1, 20000000);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rolsize_tablespace_in_bytes = pg_total_relation_size('s22.role_t') AS matches
  FROM diskquota.show_role_tablespace_quota_view;
SET ROLE dq_r22;
INSERT INTO s22.role_t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
-- a temporary table of the role in that tablespace counts too
SET temp_tablespaces = dq_ts2;
CREATE TEMP TABLE tmp22(i int);
INSERT INTO tmp22 VALUES (1);
\echo :LAST_ERROR_SQLSTATE
RESET temp_tablespaces;
RESET ROLE;
-- bad input
SELECT diskquota.set_schema_tablespace_quota('s22', 'no_such_ts', '1 MB');
\set VERBOSITY default
SELECT diskquota.set_schema_tablespace_quota('s22', 'pg_global', '1 MB');
SELECT diskquota.set_schema_tablespace_quota('s22', NULL, '1 MB');
SELECT diskquota.set_role_tablespace_quota('no_such_role', 'dq_ts1', '1 MB');
SELECT diskquota.set_schema_tablespace_quota('s22', 'dq_ts1', '1 parsec');
-- dropping the schema and the tablespaces removes their quotas
SELECT diskquota.set_schema_quota('s22', '-1');
DROP SCHEMA s22 CASCADE;
DROP TABLE pg_temp.tmp22;
DROP TABLESPACE dq_ts1;
DROP TABLESPACE dq_ts2;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.quota_config WHERE tablespace_oid IS NOT NULL;
DROP OWNED BY dq_r22;
DROP ROLE dq_r22;
