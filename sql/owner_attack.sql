-- A database owner who is not a superuser plants, in public, in a schema of
-- its own and in a schema named after the superuser ("$user"), an operator,
-- a function or a type for every name diskquota's own SQL could resolve,
-- and sets the database's search_path to put them before pg_catalog.  Each
-- records its call and, run by a superuser, makes the owner a superuser.
-- Then the worker and a superuser go through every path of diskquota's own
-- SQL: none of them may be called, and the owner stays what it is.
\set VERBOSITY terse
SELECT current_user AS su, current_database() AS dbname \gset
SELECT datdba::regrole AS olddba FROM pg_database WHERE datname = current_database() \gset
CREATE ROLE dq_dbo LOGIN;
ALTER DATABASE :"dbname" OWNER TO dq_dbo;
CREATE SCHEMA dq_oa;
CREATE TABLE dq_oa.t AS SELECT generate_series(1, 100000) AS i;
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE dq_oa_ts LOCATION '';
CREATE TABLESPACE dq_oa_ts_gone LOCATION '';
RESET allow_in_place_tablespaces;

SET ROLE dq_dbo;
CREATE TABLE public.dq_calls (what text, superuser text);
GRANT INSERT ON public.dq_calls TO PUBLIC;
CREATE FUNCTION public.dq_trap(what text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO public.dq_calls VALUES (what, current_setting('is_superuser'));
    IF current_setting('is_superuser') = 'on' THEN
        EXECUTE 'ALTER ROLE dq_dbo SUPERUSER';
    END IF;
    RETURN true;
END
$$;
CREATE SCHEMA dq_own;
CREATE SCHEMA :"su";
DO $do$
DECLARE
    s text;
    o text[];
    n int := 0;
BEGIN
    FOREACH s IN ARRAY ARRAY['public', 'dq_own', session_user::text] LOOP
        -- operator, left, right, result, what the trap returns
        FOREACH o SLICE 1 IN ARRAY ARRAY[
            ['=', 'oid', 'regnamespace', 'bool', '$1 OPERATOR(pg_catalog.=) $2::pg_catalog.oid'],
            ['=', 'oid', 'regrole', 'bool', '$1 OPERATOR(pg_catalog.=) $2::pg_catalog.oid'],
            ['=', 'regnamespace', 'oid', 'bool', '$1::pg_catalog.oid OPERATOR(pg_catalog.=) $2'],
            ['=', 'regrole', 'oid', 'bool', '$1::pg_catalog.oid OPERATOR(pg_catalog.=) $2'],
            ['=', 'oid', 'oid', 'bool', '$1 OPERATOR(pg_catalog.=) $2'],
            ['=', 'text', 'text', 'bool', '$1 OPERATOR(pg_catalog.=) $2'],
            ['=', 'name', 'name', 'bool', '$1 OPERATOR(pg_catalog.=) $2'],
            ['<>', 'name', 'name', 'bool', '$1 OPERATOR(pg_catalog.<>) $2'],
            ['=', 'name', 'text', 'bool', '$1 OPERATOR(pg_catalog.=) $2'],
            ['=', 'tid', 'tid', 'bool', '$1 OPERATOR(pg_catalog.=) $2'],
            ['/', 'int8', 'int4', 'int8', '$1 OPERATOR(pg_catalog./) $2'],
            ['*', 'int4', 'int4', 'int4', '$1 OPERATOR(pg_catalog.*) $2'],
            ['=', 'int8', 'int8', 'bool', '$1 OPERATOR(pg_catalog.=) $2'],
            ['>', 'int8', 'int8', 'bool', '$1 OPERATOR(pg_catalog.>) $2'],
            ['<', 'timestamptz', 'timestamptz', 'bool', '$1 OPERATOR(pg_catalog.<) $2']]
        LOOP
            n := n + 1;
            EXECUTE format('CREATE FUNCTION %I.dq_op%s(pg_catalog.%s, pg_catalog.%s) RETURNS pg_catalog.%s'
                           ' LANGUAGE sql AS %L',
                           s, n, o[2], o[3], o[4],
                           format('SELECT CASE WHEN public.dq_trap(%L) THEN %s END',
                                  s || '.' || o[1] || '(' || o[2] || ', ' || o[3] || ')', o[5]));
            EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = pg_catalog.%s, RIGHTARG = pg_catalog.%s,'
                           ' FUNCTION = %I.dq_op%s)',
                           s, o[1], o[2], o[3], s, n);
        END LOOP;
        -- functions and types named as the built-in ones
        EXECUTE format('CREATE FUNCTION %I.now() RETURNS pg_catalog.timestamptz LANGUAGE sql'
                       ' AS %L', s,
                       format('SELECT pg_catalog.now() WHERE public.dq_trap(%L)', s || '.now()'));
        EXECUTE format('CREATE FUNCTION %I.current_database() RETURNS pg_catalog.name LANGUAGE sql'
                       ' AS %L', s,
                       format('SELECT pg_catalog.current_database() WHERE public.dq_trap(%L)',
                              s || '.current_database()'));
        EXECUTE format('CREATE FUNCTION %I.pg_notify(pg_catalog.text, pg_catalog.text) RETURNS void'
                       ' LANGUAGE sql AS %L', s,
                       format('SELECT pg_catalog.pg_notify($1, $2) WHERE public.dq_trap(%L)',
                              s || '.pg_notify()'));
        EXECUTE format('CREATE FUNCTION %I.current_setting(pg_catalog.text, pg_catalog.bool) RETURNS pg_catalog.text'
                       ' LANGUAGE sql AS %L', s,
                       format('SELECT pg_catalog.current_setting($1, $2) WHERE public.dq_trap(%L)',
                              s || '.current_setting()'));
        EXECUTE format('CREATE FUNCTION %I.coalesce(pg_catalog.oid, pg_catalog.oid) RETURNS pg_catalog.oid'
                       ' LANGUAGE sql AS %L', s,
                       format('SELECT CASE WHEN public.dq_trap(%L) THEN COALESCE($1, $2) END',
                              s || '.coalesce()'));
        FOREACH o SLICE 1 IN ARRAY ARRAY[['oid', 'oid'], ['regnamespace', 'regnamespace'],
                                         ['regrole', 'regrole'], ['name', 'name'],
                                         ['text', 'text'], ['int8', 'int8'],
                                         ['timestamptz', 'timestamptz'],
                                         ['interval', 'interval'], ['jsonb', 'jsonb'],
                                         ['bool', 'bool'], ['date', 'date'],
                                         ['float8', 'float8'], ['int4', 'int4']]
        LOOP
            EXECUTE format('CREATE DOMAIN %I.%I AS pg_catalog.%s CHECK (public.dq_trap(%L))',
                           s, o[1], o[2], s || '.' || o[1] || ' (type)');
        END LOOP;
    END LOOP;
END
$do$;
-- casts between built-in types cannot be planted: the owner owns neither
CREATE CAST (regnamespace AS oid) WITHOUT FUNCTION;
CREATE CAST (text AS name) WITH INOUT AS IMPLICIT;
-- and the database's sessions (the worker too) resolve names there first
ALTER DATABASE :"dbname" SET search_path = "$user", dq_own, public, pg_catalog;
RESET ROLE;

-- The worker starts again and reads the database's settings.
SELECT pg_terminate_backend(worker_pid, 10000) FROM diskquota.status()
 WHERE database_name = current_database();
SELECT diskquota.wait_for_worker_new_epoch();

-- A superuser whose session has the database's search_path sets quotas,
-- pauses, resumes and reads every view and function.
SET search_path = :"su", dq_own, public, pg_catalog;
CREATE SCHEMA dq_oa_gone;
CREATE ROLE dq_oa_gone_role;
SELECT diskquota.set_schema_quota('dq_oa', '1 MB');
SELECT diskquota.set_schema_quota('dq_oa_gone', '1 MB');
SELECT diskquota.set_role_quota('dq_oa_gone_role', '1 MB');
SELECT diskquota.set_role_quota('dq_dbo', '1 GB');
SELECT diskquota.set_schema_tablespace_quota('dq_oa', 'dq_oa_ts', '1 MB');
SELECT diskquota.set_role_tablespace_quota('dq_dbo', 'dq_oa_ts', '1 MB');
SELECT diskquota.set_schema_tablespace_quota('dq_oa', 'dq_oa_ts_gone', '1 MB');
SELECT diskquota.set_database_quota('10 GB');
SELECT diskquota.pause();
SELECT diskquota.resume();
SELECT diskquota.wait_for_worker_new_epoch();
-- the worker removes the quotas of what is dropped, and stores a new
-- tablespace name
DROP SCHEMA dq_oa_gone;
DROP ROLE dq_oa_gone_role;
DROP TABLESPACE dq_oa_ts_gone;
ALTER TABLESPACE dq_oa_ts RENAME TO dq_oa_ts_renamed;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
RESET search_path;
SELECT quota_type, schema_id, role_id, tablespace_name, quota_in_bytes
  FROM diskquota.quota_config
 ORDER BY quota_type COLLATE "C", quota_in_bytes, tablespace_name COLLATE "C";
SET search_path = :"su", dq_own, public, pg_catalog;
SELECT count(*) FROM diskquota.show_schema_quota_view;
SELECT count(*) FROM diskquota.show_role_quota_view;
SELECT count(*) FROM diskquota.show_schema_tablespace_quota_view;
SELECT count(*) FROM diskquota.show_role_tablespace_quota_view;
SELECT count(*) FROM diskquota.show_database_quota_view;
SELECT count(*) FROM diskquota.rejectmap;
SELECT count(*) FROM diskquota.quota_usage();
SELECT count(*) FROM diskquota.quota_usage_all();
SELECT count(*) FROM diskquota.status();
SELECT diskquota.show_worker_epoch() IS NOT NULL AS ok;
-- enforcement goes on
INSERT INTO dq_oa.t VALUES (1);
-- version 1.2: quota policy, default quotas, grace periods and the event
-- log, set and run with that search_path (the worker's too)
SELECT diskquota.set_schema_quota('dq_oa', '-1');
-- (a refresh without the quota: the refusal above, if it was logged, sets
-- no rate limit on the write_denied event checked below)
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.set_quota('schema', 'dq_oa', '1 GB', soft => '1 kB', grace => '1 hour',
                           advisory => '1 kB, 10%');
SELECT diskquota.set_quota('role', 'dq_dbo', 'unlimited', soft => '1 kB', enforced => false);
SELECT diskquota.set_default_quota('schema', '1 GB', soft => '50%', advisory => '1 kB');
SELECT diskquota.set_default_quota('role_tablespace', '1 GB', tablespace => 'dq_oa_ts_renamed');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state FROM diskquota.quotas
 WHERE target_oid OPERATOR(pg_catalog.=) 'dq_oa'::pg_catalog.regnamespace::pg_catalog.oid
   AND target_type OPERATOR(pg_catalog.=) 'schema'::pg_catalog.text;
-- (this session's own expressions name pg_catalog's, as the test's queries
-- must not call what is planted either)
SELECT diskquota.extend_grace('schema', 'dq_oa', pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 second');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state FROM diskquota.quotas
 WHERE target_oid OPERATOR(pg_catalog.=) 'dq_oa'::pg_catalog.regnamespace::pg_catalog.oid
   AND target_type OPERATOR(pg_catalog.=) 'schema'::pg_catalog.text;
SELECT COALESCE(pg_catalog.max(id), 0) AS oa_id FROM diskquota.events \gset
INSERT INTO dq_oa.t VALUES (1);
-- the refusal is logged (write_denied) at the next refresh; a reminder a
-- day after the last event (moved back); notification settings of a quota
-- and of a default quota
SELECT diskquota.set_quota_notifications('schema', 'dq_oa', true, interval '1 day');
SELECT diskquota.set_quota_notifications('schema', NULL, false, interval '2 days');
SELECT diskquota.wait_for_worker_new_epoch();
UPDATE diskquota.quota_state
   SET notified_at = notified_at OPERATOR(pg_catalog.-) interval '2 days'
 WHERE target_oid OPERATOR(pg_catalog.=) 'dq_oa'::pg_catalog.regnamespace::pg_catalog.oid;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event, threshold FROM diskquota.events
 WHERE event OPERATOR(pg_catalog.=) ANY ('{write_denied,reminder}'::pg_catalog.text[])
   AND target_type OPERATOR(pg_catalog.=) 'schema'::pg_catalog.text
   AND target_name OPERATOR(pg_catalog.=) 'dq_oa'::pg_catalog.text
   AND id OPERATOR(pg_catalog.>) :oa_id
 GROUP BY event, threshold ORDER BY event COLLATE "C";
SELECT diskquota.set_schema_quota('dq_oa', '2 GB');
SELECT count(*) OPERATOR(pg_catalog.>) 0 AS events_logged FROM diskquota.events;
SELECT count(*) OPERATOR(pg_catalog.>) 0 AS quotas_shown FROM diskquota.quotas;
-- events past their retention are purged by the worker
SET search_path = pg_catalog;
UPDATE diskquota.events SET at = at - interval '31 days';
SET search_path = :"su", dq_own, public, pg_catalog;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.events;
-- the history and over-use the worker writes when an hour's bucket ends
-- (its clock moved on by the test-only setting), and their retention
ALTER SYSTEM SET diskquota.test_clock_offset = '2h';
SELECT pg_catalog.pg_reload_conf();
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN EXISTS (SELECT FROM diskquota.usage_history
                           WHERE target_oid OPERATOR(pg_catalog.=)
                                 'dq_oa'::pg_catalog.regnamespace::pg_catalog.oid);
        PERFORM diskquota.wait_for_worker_new_epoch();
    END LOOP;
END
$$;
SELECT count(*) OPERATOR(pg_catalog.>) 0 AS history_written FROM diskquota.usage_history
 WHERE target_oid OPERATOR(pg_catalog.=) 'dq_oa'::pg_catalog.regnamespace::pg_catalog.oid;
SELECT count(*) OPERATOR(pg_catalog.>) 0 AS overuse_written FROM diskquota.quota_overuse
 WHERE target_oid OPERATOR(pg_catalog.=) 'dq_oa'::pg_catalog.regnamespace::pg_catalog.oid;
SELECT count(*) OPERATOR(pg_catalog.>) 0 AS reported
  FROM diskquota.usage_report(pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 day',
                              pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 day');
SELECT count(*) OPERATOR(pg_catalog.>) 0 AS at_a_moment
  FROM diskquota.usage_at(pg_catalog.now() OPERATOR(pg_catalog.+) interval '1 day');
SELECT count(*) OPERATOR(pg_catalog.>) 0 AS metrics FROM diskquota.metrics;
ALTER SYSTEM SET diskquota.history_retention = '1h';
ALTER SYSTEM SET diskquota.test_clock_offset = '4h';
SELECT pg_catalog.pg_reload_conf();
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM diskquota.usage_history
                               WHERE bucket_start OPERATOR(pg_catalog.<)
                                     (pg_catalog.now() OPERATOR(pg_catalog.+) interval '2 hours'));
        PERFORM diskquota.wait_for_worker_new_epoch();
    END LOOP;
END
$$;
SELECT count(*) AS old_buckets_left FROM diskquota.usage_history
 WHERE bucket_start OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.+) interval '2 hours');
ALTER SYSTEM RESET diskquota.history_retention;
ALTER SYSTEM RESET diskquota.test_clock_offset;
SELECT pg_catalog.pg_reload_conf();
SELECT diskquota.remove_default_quota('schema');
SELECT diskquota.remove_default_quota('role_tablespace', 'dq_oa_ts_renamed');
SELECT diskquota.remove_quota('role', 'dq_dbo');
SELECT diskquota.remove_quota('schema', 'dq_oa');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.set_schema_quota('dq_oa', '1 MB');
-- removing quotas
SELECT diskquota.set_schema_tablespace_quota('dq_oa', 'dq_oa_ts_renamed', '-1');
SELECT diskquota.set_role_tablespace_quota('dq_dbo', 'dq_oa_ts_renamed', '-1');
SELECT diskquota.set_role_quota('dq_dbo', '-1');
SELECT diskquota.set_database_quota('-1');
SELECT diskquota.set_schema_quota('dq_oa', '-1');
RESET search_path;
SELECT count(*) FROM diskquota.quota_config;

-- CREATE EXTENSION and ALTER EXTENSION ... UPDATE by a superuser with that
-- search_path bind none of them in the views.
SET search_path = :"su", dq_own, public, pg_catalog;
DROP EXTENSION diskquota;
CREATE EXTENSION diskquota VERSION '1.0';
ALTER EXTENSION diskquota UPDATE;
SELECT diskquota.set_schema_quota('dq_oa', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.show_schema_quota_view;
SELECT count(*) FROM diskquota.show_role_quota_view;
SELECT count(*) FROM diskquota.show_schema_tablespace_quota_view;
SELECT count(*) FROM diskquota.show_role_tablespace_quota_view;
SELECT count(*) FROM diskquota.show_database_quota_view;
SELECT diskquota.set_schema_quota('dq_oa', '-1');
RESET search_path;

-- COMMIT PREPARED by a superuser with that search_path: diskquota looks
-- the transaction up by its name, and resolves nothing planted.
SET search_path = :"su", dq_own, public, pg_catalog;
BEGIN;
CREATE TABLE dq_oa.prepared_t (i int);
PREPARE TRANSACTION 'dq_oa_prepared';
COMMIT PREPARED 'dq_oa_prepared';
RESET search_path;
DROP TABLE dq_oa.prepared_t;

-- Nothing planted was called, and the owner is no superuser.
SELECT what, superuser FROM public.dq_calls ORDER BY what COLLATE "C";
SELECT rolsuper FROM pg_roles WHERE rolname = 'dq_dbo';

-- clean up
ALTER DATABASE :"dbname" RESET search_path;
ALTER DATABASE :"dbname" OWNER TO :"olddba";
DROP OWNED BY dq_dbo;
DROP ROLE dq_dbo;
DROP SCHEMA dq_oa CASCADE;
DROP TABLESPACE dq_oa_ts_renamed;
SELECT pg_terminate_backend(worker_pid, 10000) FROM diskquota.status()
 WHERE database_name = current_database();
SELECT diskquota.wait_for_worker_new_epoch();
