-- Quota policy (1.2): soft limits with a grace period, advisory
-- thresholds, accounting-only quotas, percentages, and the view
-- diskquota.quotas.
\set VERBOSITY terse
CREATE ROLE dq_policy_tenant NOLOGIN;
-- the error and its SQLSTATE, and whether the detail names the expired
-- grace period of a soft limit
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg text;
    detail text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL;
    RETURN state || ' ' || msg ||
           CASE WHEN detail LIKE '%above a soft limit of % whose grace period expired at %'
                THEN ' (grace expired)' ELSE '' END;
END
$$;

-- bad input: clear errors with SQLSTATEs
SELECT pg_temp.try($$SELECT diskquota.set_quota('widget', 's1', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota(NULL, 's1', '1 MB')$$);
CREATE SCHEMA sp;
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', soft => '2 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', soft => '101%')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', soft => '0%')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', soft => 'lots%')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', NULL, soft => '50%')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', 'unlimited', soft => '50%')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '-1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', soft => '-1')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', grace => '-1 day')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', advisory =>
  '1kB,2kB,3kB,4kB,5kB,6kB,7kB,8kB,9kB,10kB,11kB,12kB,13kB,14kB,15kB,16kB,17kB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', NULL, advisory => '80%')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', advisory => ' , ')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', advisory => '1 parsec')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', tablespace => 'pg_default')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema_tablespace', 'sp', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB', enforced => NULL)$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'no_such_schema', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'pg_toast', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota('database', 'template1', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_default_quota('database', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_default_quota('schema', 'unlimited')$$);
SELECT pg_temp.try($$SELECT diskquota.extend_grace('schema', 'sp', now())$$);
SELECT pg_temp.try($$SELECT diskquota.extend_grace('schema', 'sp', NULL)$$);
SET ROLE dq_policy_tenant;
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB')$$);
RESET ROLE;
-- granted EXECUTE, still only superusers
GRANT USAGE ON SCHEMA diskquota TO dq_policy_tenant;
GRANT EXECUTE ON FUNCTION diskquota.set_quota, diskquota.set_default_quota,
  diskquota.extend_grace, diskquota.remove_quota, diskquota.remove_default_quota
  TO dq_policy_tenant;
SET ROLE dq_policy_tenant;
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'sp', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.set_default_quota('schema', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.extend_grace('schema', 'sp', now())$$);
SELECT pg_temp.try($$SELECT diskquota.remove_quota('schema', 'sp')$$);
SELECT pg_temp.try($$SELECT diskquota.remove_default_quota('schema')$$);
RESET ROLE;
REVOKE ALL ON SCHEMA diskquota FROM dq_policy_tenant;
REVOKE ALL ON FUNCTION diskquota.set_quota, diskquota.set_default_quota,
  diskquota.extend_grace, diskquota.remove_quota, diskquota.remove_default_quota
  FROM dq_policy_tenant;
-- nothing was stored by any of them
SELECT count(*) FROM diskquota.quota_config WHERE schema_id = 'sp'::regnamespace;

-- percentages of the hard limit, resolved to bytes; the grace period of
-- diskquota.default_grace (7 days) where none is given
SELECT diskquota.set_quota('schema', 'sp', '10 MB', soft => '50%',
                           advisory => '80%, 2 MB, 20%');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_type, target_name, tablespace_name, source, enforced, hard_bytes,
       soft_bytes, grace, advisory_bytes, advisory_reached, state,
       over_soft_since, grace_expires_at
  FROM diskquota.quotas WHERE target_name = 'sp';
-- set_schema_quota() sets the hard limit only; the percentages follow it
SELECT diskquota.set_schema_quota('sp', '20 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT hard_bytes, soft_bytes, grace, advisory_bytes
  FROM diskquota.quotas WHERE target_name = 'sp';
SELECT soft_percent, advisory_percent, advisory_bytes
  FROM diskquota.quota_config WHERE schema_id = 'sp'::regnamespace;
-- a hard limit the soft limit in bytes would be above is refused
SELECT diskquota.set_quota('schema', 'sp', '20 MB', soft => '15 MB');
SELECT pg_temp.try($$SELECT diskquota.set_schema_quota('sp', '10 MB')$$);
-- a negative size removes the whole quota, as remove_quota() does
SELECT diskquota.set_schema_quota('sp', '-1');
SELECT count(*) FROM diskquota.quota_config WHERE schema_id = 'sp'::regnamespace;
SELECT diskquota.remove_quota('schema', 'sp');

-- advisory thresholds only warn; each is reached above it and cleared
-- below it minus diskquota.advisory_hysteresis percent of it
CREATE SCHEMA sa;
CREATE TABLE sa.big(i int);
CREATE TABLE sa.small(i int);
INSERT INTO sa.big SELECT generate_series(1, 100000);
INSERT INTO sa.small SELECT generate_series(1, 1000);
SELECT pg_total_relation_size('sa.big') AS big,
       pg_total_relation_size('sa.small') AS small \gset
-- a threshold between the big table and both; a 4 kB one, long passed
SELECT diskquota.set_quota('schema', 'sa', NULL,
                           advisory => (:big + :small / 2) || ', 4 kB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, advisory_bytes = ARRAY[4096, :big + :small / 2]::bigint[] AS thresholds,
       advisory_reached = advisory_bytes AS both_reached, used_bytes = :big + :small AS used
  FROM diskquota.quotas WHERE target_name = 'sa';
-- nothing is refused
INSERT INTO sa.small VALUES (1);
SELECT count(*) FROM diskquota.rejectmap WHERE target_name = 'sa';
-- below the threshold, but within 5 % of it: still reached
DROP TABLE sa.small;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, cardinality(advisory_reached) AS reached, used_bytes = :big AS used
  FROM diskquota.quotas WHERE target_name = 'sa';
-- the stored state says so too
SELECT quota_type, over_soft_since, cardinality(advisory_latched) AS latched
  FROM diskquota.quota_state WHERE target_oid = 'sa'::regnamespace;
-- without hysteresis it is cleared (at the worker's first refresh after it
-- reloads its configuration: waited for, refresh by refresh)
ALTER SYSTEM SET diskquota.advisory_hysteresis = 0;
SELECT pg_reload_conf();
DO $$
BEGIN
    FOR i IN 1..30 LOOP
        PERFORM diskquota.wait_for_worker_new_epoch();
        EXIT WHEN (SELECT cardinality(advisory_reached) = 1
                     FROM diskquota.quotas WHERE target_name = 'sa');
    END LOOP;
END
$$;
SELECT state, advisory_reached = ARRAY[4096]::bigint[] AS only_small
  FROM diskquota.quotas WHERE target_name = 'sa';
ALTER SYSTEM RESET diskquota.advisory_hysteresis;
SELECT pg_reload_conf();
-- under every threshold: the state row goes
TRUNCATE sa.big;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, advisory_reached FROM diskquota.quotas WHERE target_name = 'sa';
SELECT count(*) FROM diskquota.quota_state WHERE target_oid = 'sa'::regnamespace;

-- an accounting-only quota measures and never refuses
CREATE SCHEMA sacct;
CREATE TABLE sacct.t(i int);
INSERT INTO sacct.t SELECT generate_series(1, 100000);
SELECT diskquota.set_quota('schema', 'sacct', '1 MB', soft => '512 kB',
                           advisory => '50%', enforced => false);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT enforced, state, used_bytes > hard_bytes AS over, advisory_reached = advisory_bytes AS reached
  FROM diskquota.quotas WHERE target_name = 'sacct';
SELECT count(*) FROM diskquota.rejectmap WHERE target_name = 'sacct';
INSERT INTO sacct.t SELECT generate_series(1, 100000);
-- the views of 1.0 and 1.1 show it (it has a hard limit), refusing nothing
SELECT schema_name, quota_in_mb FROM diskquota.show_schema_quota_view
 WHERE schema_name = 'sacct';
-- its grace period runs, and ends refusing nothing
SELECT diskquota.extend_grace('schema', 'sacct', now() - interval '1 hour');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state FROM diskquota.quotas WHERE target_name = 'sacct';
SELECT pg_temp.try('INSERT INTO sacct.t VALUES (1)');

-- a soft limit: over it, the grace period starts; nothing is refused
CREATE SCHEMA sg;
CREATE TABLE sg.t(i int);
SELECT diskquota.set_quota('schema', 'sg', '1 GB', soft => '1 MB', grace => '1 hour');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, over_soft_since FROM diskquota.quotas WHERE target_name = 'sg';
INSERT INTO sg.t SELECT generate_series(1, 100000);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, grace_expires_at = over_soft_since + interval '1 hour' AS one_hour,
       over_soft_since > now() - interval '1 minute' AS recent
  FROM diskquota.quotas WHERE target_name = 'sg';
SELECT over_soft_since AS since0, grace_expires_at AS expires0
  FROM diskquota.quotas WHERE target_name = 'sg' \gset
-- the view of 1.0 shows the hard limit only
SELECT quota_in_mb FROM diskquota.show_schema_quota_view WHERE schema_name = 'sg';
-- a writer is told, once per session and target per diskquota.naptime
INSERT INTO sg.t VALUES (1);
INSERT INTO sg.t VALUES (1);
-- a longer grace period set later does not move the running one
SELECT diskquota.set_quota('schema', 'sg', '1 GB', soft => '1 MB', grace => '2 days');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, over_soft_since = :'since0' AS same_since,
       grace_expires_at = :'expires0' AS same_end, grace
  FROM diskquota.quotas WHERE target_name = 'sg';
-- extend_grace() moves it
SELECT diskquota.extend_grace('schema', 'sg', :'expires0'::timestamptz + interval '1 day');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, grace_expires_at = :'expires0'::timestamptz + interval '1 day' AS extended
  FROM diskquota.quotas WHERE target_name = 'sg';
-- when it has run out, loads are refused as over a hard limit, the detail
-- saying when the grace period expired
SELECT diskquota.extend_grace('schema', 'sg', now() - interval '1 second');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state FROM diskquota.quotas WHERE target_name = 'sg';
SELECT pg_temp.try('INSERT INTO sg.t VALUES (1)');
SELECT target_type, target_name, quota_in_bytes FROM diskquota.rejectmap;
-- raising the soft limit above the usage clears the timer at once
SELECT diskquota.set_quota('schema', 'sg', '1 GB', soft => '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, over_soft_since, grace_expires_at FROM diskquota.quotas WHERE target_name = 'sg';
SELECT pg_temp.try('INSERT INTO sg.t VALUES (1)');
-- and lowering it again starts a new one (it reset; it did not pause)
SELECT diskquota.set_quota('schema', 'sg', '1 GB', soft => '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, over_soft_since > :'since0' AS new_since,
       grace_expires_at = over_soft_since + interval '7 days' AS default_grace
  FROM diskquota.quotas WHERE target_name = 'sg';
-- falling to or below the soft limit clears it
TRUNCATE sg.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state, over_soft_since FROM diskquota.quotas WHERE target_name = 'sg';
SELECT count(*) FROM diskquota.quota_state WHERE target_oid = 'sg'::regnamespace;
SELECT pg_temp.try($$SELECT diskquota.extend_grace('schema', 'sg', now())$$);

-- a load running when the grace period ends is stopped: a second of grace,
-- a hard limit far away
SELECT diskquota.set_quota('schema', 'sg', '2 GB', soft => '1 MB', grace => '1 second');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.try('INSERT INTO sg.t SELECT generate_series(1, 100000000)');
SELECT state FROM diskquota.quotas WHERE target_name = 'sg';
SELECT used_bytes < 1024 * 1024 * 1024 AS stopped_before_hard
  FROM diskquota.quotas WHERE target_name = 'sg';

-- every kind of target: over a soft limit, in grace, then refused
CREATE SCHEMA sk;
CREATE TABLE sk.t(i int);
ALTER TABLE sk.t OWNER TO dq_policy_tenant;
SELECT diskquota.remove_quota('schema', 'sg');
SELECT diskquota.set_quota('role', 'dq_policy_tenant', NULL, soft => '1 MB');
SELECT diskquota.set_quota('schema_tablespace', 'sk', NULL, soft => '1 MB', tablespace => 'pg_default');
SELECT diskquota.set_quota('role_tablespace', 'dq_policy_tenant', NULL, soft => '1 MB',
                           tablespace => 'pg_default');
SELECT diskquota.set_quota('database', current_database(), NULL, soft => '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- (the database is in grace from the start)
INSERT INTO sk.t SELECT generate_series(1, 100000);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_type, tablespace_name, state, hard_bytes, soft_bytes
  FROM diskquota.quotas WHERE source = 'explicit' AND soft_bytes = 1024 * 1024
 ORDER BY target_type COLLATE "C";
SELECT diskquota.extend_grace('database', NULL, now() - interval '1 second');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.try('INSERT INTO sk.t VALUES (1)');
SELECT diskquota.remove_quota('database', current_database());
SELECT diskquota.extend_grace('role_tablespace', 'dq_policy_tenant', now() - interval '1 second',
                              tablespace => 'pg_default');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.try('INSERT INTO sk.t VALUES (1)');
SELECT diskquota.remove_quota('role_tablespace', 'dq_policy_tenant', 'pg_default');
SELECT diskquota.extend_grace('schema_tablespace', 'sk', now() - interval '1 second',
                              tablespace => 'pg_default');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.try('INSERT INTO sk.t VALUES (1)');
SELECT diskquota.remove_quota('schema_tablespace', 'sk', 'pg_default');
SELECT diskquota.extend_grace('role', 'dq_policy_tenant', now() - interval '1 second');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.try('INSERT INTO sk.t VALUES (1)');
SELECT diskquota.remove_quota('role', 'dq_policy_tenant');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.try('INSERT INTO sk.t VALUES (1)');
-- removing a quota removes its state; removing one that is not there says so
SELECT count(*) FROM diskquota.quota_state WHERE target_oid = 'dq_policy_tenant'::regrole;
SELECT diskquota.remove_quota('role', 'dq_policy_tenant');

SELECT diskquota.remove_quota('schema', 'sacct');
SELECT diskquota.remove_quota('schema', 'sa');
DROP SCHEMA sp, sa, sacct, sg, sk CASCADE;
DROP ROLE dq_policy_tenant;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.quotas;
