-- A writing statement charges its own growth against the headroom of its
-- targets (diskquota.self_charge) and stops itself when the headroom is
-- used up, without waiting for the worker.  A load into a temporary
-- table, whose files the file-change feed cannot map, is stopped within
-- 2 MB of its owner's quota even when the worker refreshes only every
-- minute.  Sizes are asserted, never time.
-- the errors carry usage figures that vary from run to run
-- self-charging is off by default: this test turns it on
SET diskquota.self_charge = on;
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.naptime = 60;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE ROLE dq_sc NOLOGIN;
SELECT diskquota.set_role_quota('dq_sc', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_sc;
CREATE TEMP TABLE tl(i int);
-- about 200 MB if it ran to the end
INSERT INTO tl SELECT generate_series(1, 6000000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('tl') < (10 + 2) * 1024 * 1024 AS bounded;
RESET ROLE;
-- the worker's next refresh counts what the load wrote once: its usage is
-- what is on disk
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rolsize_in_bytes = pg_total_relation_size('pg_temp.tl') AS usage_matches
  FROM diskquota.show_role_quota_view WHERE role_name = 'dq_sc';
-- with a larger quota the charges restart from the new headroom: what the
-- first load charged is not counted again (it would stop the second load
-- at once), and the second load stops within 2 MB of the new quota
SELECT diskquota.set_role_quota('dq_sc', '20 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_sc;
INSERT INTO tl SELECT generate_series(1, 6000000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('tl') > 15 * 1024 * 1024 AS not_double_counted,
       pg_total_relation_size('tl') < (20 + 2) * 1024 * 1024 AS bounded;
DROP TABLE tl;
RESET ROLE;

-- an indexed table in a schema with a quota
CREATE SCHEMA s_sc;
CREATE TABLE s_sc.t(i int PRIMARY KEY, v text);
SELECT diskquota.set_schema_quota('s_sc', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s_sc.t SELECT i, repeat('x', 100) FROM generate_series(1, 3000000) i;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_sc.t') < (10 + 2) * 1024 * 1024 AS bounded;
SELECT diskquota.set_schema_quota('s_sc', '-1');
DROP SCHEMA s_sc CASCADE;

-- a role's part in a tablespace: the files are charged to the role in
-- their tablespace too
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE dq_sc_ts LOCATION '';
RESET allow_in_place_tablespaces;
GRANT CREATE ON TABLESPACE dq_sc_ts TO dq_sc;
CREATE SCHEMA s_sc_ts AUTHORIZATION dq_sc;
SELECT diskquota.set_role_tablespace_quota('dq_sc', 'dq_sc_ts', '5 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_sc;
CREATE TABLE s_sc_ts.t(i int) TABLESPACE dq_sc_ts;
INSERT INTO s_sc_ts.t SELECT generate_series(1, 6000000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_sc_ts.t') < (5 + 2) * 1024 * 1024 AS bounded;
RESET ROLE;
SELECT diskquota.set_role_tablespace_quota('dq_sc', 'dq_sc_ts', '-1');
DROP SCHEMA s_sc_ts CASCADE;
DROP TABLESPACE dq_sc_ts;

-- with diskquota.self_charge off, the worker still stops the load
SELECT diskquota.wait_for_worker_new_epoch();
SET diskquota.self_charge = off;
SET ROLE dq_sc;
CREATE TEMP TABLE tl(i int);
INSERT INTO tl SELECT generate_series(1, 6000000);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE tl;
RESET ROLE;
SET diskquota.self_charge = on;
-- only a superuser may turn it off
SET ROLE dq_sc;
SET diskquota.self_charge = off;
RESET ROLE;

SELECT diskquota.set_role_quota('dq_sc', '-1');
DROP ROLE dq_sc;
ALTER SYSTEM RESET diskquota.naptime;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
