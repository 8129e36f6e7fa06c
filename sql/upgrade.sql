-- ALTER EXTENSION diskquota UPDATE from 1.0 and from 1.1 gives the
-- objects a fresh install of 1.2 has, and the quotas set under 1.0 and 1.1
-- keep working, before the update (the library is 1.2's) and after.
CREATE DATABASE dq_v10;
CREATE DATABASE dq_v11;
CREATE DATABASE dq_v11u;
ALTER SYSTEM SET diskquota.monitor_databases =
  'contrib_regression, isolation_regression, dq_v10, dq_v11u';
SELECT pg_reload_conf();
\c dq_v11
CREATE EXTENSION diskquota;
\set VERBOSITY terse
\c dq_v10
CREATE EXTENSION diskquota VERSION '1.0';
CREATE SCHEMA s25;
CREATE TABLE s25.t(i int);
INSERT INTO s25.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s25', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s25.t VALUES (1);
-- what a DBA may have built on 1.0: grants, a view of its own on a view
CREATE ROLE dq_viewer25 NOLOGIN;
GRANT USAGE ON SCHEMA diskquota TO dq_viewer25;
GRANT SELECT ON diskquota.show_schema_quota_view TO dq_viewer25;
GRANT EXECUTE ON FUNCTION diskquota.quota_usage() TO dq_viewer25;
CREATE VIEW public.tenant_usage AS
  SELECT schema_name, nspsize_in_bytes FROM diskquota.show_schema_quota_view;
\c dq_v11u
CREATE EXTENSION diskquota VERSION '1.1';
CREATE SCHEMA s26;
CREATE TABLE s26.t(i int);
INSERT INTO s26.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s26', '1 MB');
CREATE ROLE dq_role26 NOLOGIN;
SELECT diskquota.set_role_tablespace_quota('dq_role26', 'pg_default', '1 TB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s26.t VALUES (1);
\c contrib_regression
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
-- everything the extension's objects are made of, one line each, in a
-- database
CREATE FUNCTION public.dq_objects(db text) RETURNS SETOF text LANGUAGE sql AS $f$
SELECT o FROM dblink('dbname=' || db, $q$
  SELECT 'member ' || pg_describe_object(classid, objid, objsubid)
    FROM pg_depend
   WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
     AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'diskquota')
  UNION ALL
  SELECT 'function ' || p.oid::regprocedure || ' returns ' || pg_get_function_result(p.oid) ||
         ' ' || p.provolatile::text || ' strict=' || p.proisstrict || ' src=' ||
         CASE WHEN l.lanname = 'c' THEN p.prosrc ELSE 'md5 ' || md5(p.prosrc) END ||
         ' acl=' || coalesce(p.proacl::text, 'default')
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
   WHERE p.pronamespace = 'diskquota'::regnamespace
  UNION ALL
  SELECT 'column ' || c.relname || '.' || a.attname || ' ' ||
         format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
   WHERE c.relnamespace = 'diskquota'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text ||
         ' acl=' || coalesce(c.relacl::text, 'default')
    FROM pg_class c WHERE c.relnamespace = 'diskquota'::regnamespace
  UNION ALL
  SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'diskquota'::regnamespace
  UNION ALL
  SELECT 'view ' || c.relname || ' md5 ' || md5(pg_get_viewdef(c.oid))
    FROM pg_class c WHERE c.relnamespace = 'diskquota'::regnamespace AND c.relkind = 'v'
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = 'diskquota'::regnamespace
  UNION ALL
  SELECT 'config ' || unnest(extconfig)::regclass::text
    FROM pg_extension WHERE extname = 'diskquota'
$q$) AS t(o text)
$f$;
-- the objects of 1.2, as CREATE EXTENSION installs them
SELECT o FROM public.dq_objects('dq_v11') o ORDER BY o COLLATE "C";
-- 1.0 lacks some of them
SELECT count(*) > 10 AS missing_in_10 FROM (
  SELECT * FROM public.dq_objects('dq_v11')
  EXCEPT ALL SELECT * FROM public.dq_objects('dq_v10')) d;
-- and 1.1 some
SELECT count(*) > 10 AS missing_in_11 FROM (
  SELECT * FROM public.dq_objects('dq_v11')
  EXCEPT ALL SELECT * FROM public.dq_objects('dq_v11u')) d;
SELECT dblink_exec('dbname=dq_v11u', 'ALTER EXTENSION diskquota UPDATE');
SELECT * FROM public.dq_objects('dq_v11') EXCEPT ALL SELECT * FROM public.dq_objects('dq_v11u');
SELECT * FROM public.dq_objects('dq_v11u') EXCEPT ALL SELECT * FROM public.dq_objects('dq_v11');
\c dq_v11u
-- the quotas set under 1.1 are there, enforced, and in 1.2's view
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s26.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
SELECT target_type, target_name, tablespace_name, source, enforced, hard_bytes,
       soft_bytes, state
  FROM diskquota.quotas ORDER BY target_type COLLATE "C";
SELECT schema_name, quota_in_mb FROM diskquota.show_schema_quota_view;
\c contrib_regression
SELECT dblink_exec('dbname=dq_v10', 'ALTER EXTENSION diskquota UPDATE');
\c dq_v10
SELECT extversion FROM pg_extension WHERE extname = 'diskquota';
-- the grants and the DBA's view are still there
SELECT has_table_privilege('dq_viewer25', 'diskquota.show_schema_quota_view', 'SELECT') AS can_select,
       has_function_privilege('dq_viewer25', 'diskquota.quota_usage()', 'EXECUTE') AS can_execute;
SELECT schema_name FROM public.tenant_usage;
REVOKE ALL ON SCHEMA diskquota FROM dq_viewer25;
REVOKE ALL ON diskquota.show_schema_quota_view FROM dq_viewer25;
REVOKE ALL ON FUNCTION diskquota.quota_usage() FROM dq_viewer25;
DROP VIEW public.tenant_usage;
\c contrib_regression
-- after the update (and without those grants): the same objects as a fresh
-- install, nothing more, nothing less
SELECT * FROM public.dq_objects('dq_v11') EXCEPT ALL SELECT * FROM public.dq_objects('dq_v10');
SELECT * FROM public.dq_objects('dq_v10') EXCEPT ALL SELECT * FROM public.dq_objects('dq_v11');
\c dq_v10
-- the quota set under 1.0 is still there, and still enforced
SELECT quota_type, schema_id, role_id, quota_in_bytes, tablespace_oid, tablespace_name
  FROM diskquota.quota_config;
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s25.t VALUES (1);
\echo :LAST_ERROR_SQLSTATE
SELECT schema_name, quota_in_mb FROM diskquota.show_schema_quota_view;
SELECT target_type, target_name FROM diskquota.rejectmap;
-- and 1.1's own functions work there
SELECT diskquota.set_database_quota('1 GB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT quota_in_mb FROM diskquota.show_database_quota_view;
\c contrib_regression
ALTER SYSTEM RESET diskquota.monitor_databases;
SELECT pg_reload_conf();
DROP DATABASE dq_v10 WITH (FORCE);
DROP DATABASE dq_v11;
DROP DATABASE dq_v11u WITH (FORCE);
DROP ROLE dq_viewer25;
DROP ROLE dq_role26;
DROP FUNCTION public.dq_objects(text);
