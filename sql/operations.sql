-- pause() and resume(), the reject map, relation_size(), show_worker_epoch()
\set VERBOSITY terse
CREATE SCHEMA s24;
CREATE TABLE s24.t(i int);
INSERT INTO s24.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s24', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_type, target_oid = 's24'::regnamespace AS oid_ok, target_name,
       tablespace_oid, tablespace_name, quota_in_bytes, used_bytes > quota_in_bytes AS over
  FROM diskquota.rejectmap;
SELECT * FROM diskquota.show_rejectmap() EXCEPT SELECT * FROM diskquota.rejectmap;
INSERT INTO s24.t VALUES (1);
-- paused: nothing is refused, the reject map is empty, sizes are tracked
SELECT diskquota.pause();
INSERT INTO s24.t VALUES (1);
SELECT count(*) FROM diskquota.rejectmap;
SELECT nspsize_in_bytes AS before FROM diskquota.show_schema_quota_view
 WHERE schema_name = 's24' \gset
INSERT INTO s24.t SELECT generate_series(1, 100000);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes > :before AS tracked,
       nspsize_in_bytes = pg_total_relation_size('s24.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's24';
-- nor is a running load stopped
CREATE SCHEMA s24_run;
CREATE TABLE s24_run.t(i int);
SELECT diskquota.set_schema_quota('s24_run', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s24_run.t SELECT generate_series(1, 2000000);
-- pausing twice is harmless; a rolled-back resume leaves it paused
SELECT diskquota.pause();
BEGIN;
SELECT diskquota.resume();
ROLLBACK;
INSERT INTO s24.t VALUES (1);
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s24.t VALUES (1);
-- resumed: refused at once, with no refresh in between
SELECT diskquota.resume();
INSERT INTO s24.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
-- a pause rolled back with its savepoint does not pause
BEGIN;
SAVEPOINT a;
SELECT diskquota.pause();
ROLLBACK TO a;
COMMIT;
INSERT INTO s24.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s24.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO s24_run.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM diskquota.rejectmap;
-- only superusers, even where the schema and the functions are granted
CREATE ROLE dq_r24 NOLOGIN;
GRANT USAGE ON SCHEMA diskquota TO dq_r24;
GRANT EXECUTE ON FUNCTION diskquota.pause(), diskquota.resume() TO dq_r24;
SELECT 's24.t'::regclass::oid AS t_oid \gset
SET ROLE dq_r24;
\set VERBOSITY default
SELECT diskquota.pause();
SELECT diskquota.resume();
SELECT * FROM diskquota.rejectmap;
SELECT diskquota.relation_size(:t_oid);
SELECT diskquota.show_worker_epoch();
RESET ROLE;
REVOKE ALL ON SCHEMA diskquota FROM dq_r24;
REVOKE ALL ON FUNCTION diskquota.pause(), diskquota.resume() FROM dq_r24;
-- relation_size(): what diskquota counts for a table (heap, TOAST,
-- indexes), without a lock, also for a relation of this transaction
CREATE SCHEMA s24_size;
CREATE TABLE s24_size.big(i int PRIMARY KEY, v text);
INSERT INTO s24_size.big
SELECT i, (SELECT string_agg(md5((i * 1000 + j)::text), '') FROM generate_series(1, 100) j)
  FROM generate_series(1, 100) i;
SELECT diskquota.relation_size('s24_size.big') = pg_total_relation_size('s24_size.big') AS table_ok,
       diskquota.relation_size('s24_size.big_pkey') = pg_relation_size('s24_size.big_pkey') AS index_ok,
       diskquota.relation_size('s24_size.big') >
         pg_relation_size('s24_size.big') + pg_relation_size('s24_size.big_pkey') + 100000 AS with_toast;
BEGIN;
CREATE TABLE s24_size.fresh(i int);
INSERT INTO s24_size.fresh SELECT generate_series(1, 10000);
SELECT diskquota.relation_size('s24_size.fresh') = pg_total_relation_size('s24_size.fresh') AS fresh_ok,
       diskquota.relation_size('s24_size.fresh') > 0 AS nonzero;
ROLLBACK;
CREATE TEMP TABLE tmp24 AS SELECT generate_series(1, 1000) AS i;
SELECT diskquota.relation_size('tmp24') = pg_total_relation_size('tmp24') AS temp_ok;
SELECT diskquota.relation_size(0);
SELECT diskquota.relation_size(NULL);
-- show_worker_epoch() counts the refreshes
SELECT diskquota.show_worker_epoch() AS e \gset
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.show_worker_epoch() > :e AS advanced;
-- dropping a schema or a role removes its quotas
CREATE SCHEMA s24_gone;
CREATE ROLE dq_r24_gone NOLOGIN;
SELECT diskquota.set_schema_quota('s24_gone', '1 MB');
SELECT diskquota.set_role_quota('dq_r24_gone', '1 MB');
SELECT count(*) FROM diskquota.quota_config;
DROP SCHEMA s24_gone;
DROP ROLE dq_r24_gone;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT quota_type, count(*) FROM diskquota.quota_config GROUP BY 1 ORDER BY 1;
SELECT diskquota.set_schema_quota('s24', '-1');
SELECT diskquota.set_schema_quota('s24_run', '-1');
DROP SCHEMA s24, s24_run, s24_size CASCADE;
DROP ROLE dq_r24;
