-- Events of 1.2 beyond changes of state: statements refused (write_denied)
-- and stopped (load_stopped), counted per target and logged at most once
-- per diskquota.denied_notify_interval with the count; reminders every
-- reminder interval while a target stays over a threshold; a quota that
-- opts out of notifications; degraded enforcement.
\set VERBOSITY terse
\i sql/include/try.psql
-- after a reload, the worker and the launcher take the new settings when
-- the postmaster has signalled them: wait (for the worker's refreshes, at
-- most 100) until an event of that kind is logged, doing poke before each
CREATE FUNCTION pg_temp.wait_for_event(after bigint, kind text, poke text DEFAULT NULL)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..100 LOOP
        IF EXISTS (SELECT FROM diskquota.events WHERE id > after AND event = kind) THEN
            RETURN true;
        END IF;
        IF poke IS NOT NULL THEN
            EXECUTE poke;
        END IF;
        PERFORM diskquota.wait_for_worker_new_epoch();
    END LOOP;
    RETURN false;
END
$$;
CREATE SCHEMA sd;
CREATE TABLE sd.t(i int);
INSERT INTO sd.t SELECT generate_series(1, 100000);
SELECT coalesce(max(id), 0) AS id0 FROM diskquota.events \gset
SELECT diskquota.set_quota('schema', 'sd', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- three statements refused before they start
SELECT pg_temp.try('INSERT INTO sd.t VALUES (1)') AS insert_1,
       pg_temp.try('INSERT INTO sd.t VALUES (2)') AS insert_2,
       pg_temp.try($$COPY sd.t FROM PROGRAM 'echo 3'$$) AS copy;
SELECT denied_count, stopped_count FROM diskquota.quotas WHERE target_name = 'sd';
SELECT diskquota.wait_for_worker_new_epoch();
-- an event after the state change it follows, at the first refresh after
-- the first refusal, with the refusals counted by then (a refresh may
-- come between two of them)
SELECT event, target_type, target_name, threshold, limit_bytes, used_bytes > limit_bytes AS over
  FROM diskquota.events WHERE id > :id0 ORDER BY id;
SELECT sum(count) BETWEEN 1 AND 3 AS counted FROM diskquota.events
 WHERE id > :id0 AND event = 'write_denied';
-- two more within diskquota.denied_notify_interval (an hour): counted, not
-- logged yet
SELECT coalesce(max(id), 0) AS id1 FROM diskquota.events \gset
SELECT pg_temp.try('INSERT INTO sd.t VALUES (4)') AS insert_4,
       pg_temp.try('INSERT INTO sd.t VALUES (5)') AS insert_5;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.events WHERE id > :id1;
SELECT denied_count FROM diskquota.quotas WHERE target_name = 'sd';
-- once the interval has passed, the next refresh logs them with their count
ALTER SYSTEM SET diskquota.denied_notify_interval = 0;
SELECT pg_reload_conf();
SELECT pg_temp.wait_for_event(:id1, 'write_denied');
SELECT event, count(*) FROM diskquota.events WHERE id > :id1 GROUP BY event;
-- the five refusals in two events: the first refresh's, and the rest
-- folded into the next one allowed
SELECT count(*) AS events, sum(count) AS refusals FROM diskquota.events
 WHERE id > :id0 AND event = 'write_denied';
-- nothing new refused: nothing logged
SELECT coalesce(max(id), 0) AS id2 FROM diskquota.events \gset
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.events WHERE id > :id2;

-- a running load stopped at its quota: load_stopped
CREATE SCHEMA ss;
CREATE TABLE ss.t(i int);
SELECT diskquota.set_quota('schema', 'ss', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET diskquota.self_charge = on;
SELECT pg_temp.try('INSERT INTO ss.t SELECT generate_series(1, 1000000)');
RESET diskquota.self_charge;
SELECT denied_count, stopped_count FROM diskquota.quotas WHERE target_name = 'ss';
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event, target_name, threshold, limit_bytes, count
  FROM diskquota.events WHERE id > :id2 AND event = 'load_stopped' ORDER BY id;
SELECT diskquota.remove_quota('schema', 'ss');
DROP SCHEMA ss CASCADE;

-- reminders: while the target stays over its hard limit, one every
-- reminder interval after its last event (here the quota's own, a day)
SELECT diskquota.set_quota_notifications('schema', 'sd', true, interval '1 day');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT notify, reminder_interval FROM diskquota.quotas WHERE target_name = 'sd';
SELECT coalesce(max(id), 0) AS id3 FROM diskquota.events \gset
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) AS within_the_day FROM diskquota.events WHERE id > :id3;
-- a day passed since the last event (its time, kept in quota_state, moved
-- back): one reminder, and its time kept, so no second one
UPDATE diskquota.quota_state SET notified_at = notified_at - interval '1 day 1 second'
 WHERE target_oid = 'sd'::regnamespace;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event, threshold, limit_bytes, used_bytes > limit_bytes AS over, detail
  FROM diskquota.events WHERE id > :id3 ORDER BY id;
SELECT notified_at >= (SELECT max(at) FROM diskquota.events WHERE id > :id3) AS kept
  FROM diskquota.quota_state WHERE target_oid = 'sd'::regnamespace;
-- interval '0': no reminders
SELECT diskquota.set_quota_notifications('schema', 'sd', true, interval '0');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT coalesce(max(id), 0) AS id4 FROM diskquota.events \gset
UPDATE diskquota.quota_state SET notified_at = notified_at - interval '100 days'
 WHERE target_oid = 'sd'::regnamespace;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.events WHERE id > :id4;
-- set_quota keeps what set_quota_notifications set
SELECT diskquota.set_quota('schema', 'sd', '1 MB', advisory => '512 kB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT notify, reminder_interval FROM diskquota.quotas WHERE target_name = 'sd';

-- a quota that opts out logs no event: neither refusals nor changes; its
-- state is kept all the same
SELECT diskquota.set_quota_notifications('schema', 'sd', false);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT coalesce(max(id), 0) AS id5 FROM diskquota.events \gset
INSERT INTO sd.t VALUES (6);
TRUNCATE sd.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.events WHERE id > :id5;
SELECT state, notify, reminder_interval, denied_count FROM diskquota.quotas WHERE target_name = 'sd';
SELECT count(*) FROM diskquota.quota_state WHERE target_oid = 'sd'::regnamespace;

-- default quotas: target NULL
SELECT diskquota.set_default_quota('schema', '10 MB');
SELECT diskquota.set_quota_notifications('schema', NULL, false, interval '2 days');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT DISTINCT notify, reminder_interval FROM diskquota.quotas
 WHERE target_type = 'schema' AND source = 'default';
SELECT notify, reminder_interval FROM diskquota.default_quota;
SELECT diskquota.remove_default_quota('schema');

-- bad calls
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('schema', 'public', true)$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('role', NULL, true)$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('schema', 'sd', NULL)$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('schema', 'sd', true, interval '-1 hour')$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('database', NULL, true)$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('schema', 'no_such_schema', true)$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('widget', 'sd', true)$$);
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('schema', 'sd', true, tablespace => 'pg_default')$$);
-- only superusers, granted EXECUTE or not
CREATE ROLE dq_reminder_tenant NOLOGIN;
GRANT USAGE ON SCHEMA diskquota TO dq_reminder_tenant;
SET ROLE dq_reminder_tenant;
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('schema', 'sd', true)$$);
RESET ROLE;
GRANT EXECUTE ON FUNCTION diskquota.set_quota_notifications TO dq_reminder_tenant;
SET ROLE dq_reminder_tenant;
SELECT pg_temp.try($$SELECT diskquota.set_quota_notifications('schema', 'sd', true)$$);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION diskquota.set_quota_notifications FROM dq_reminder_tenant;
REVOKE USAGE ON SCHEMA diskquota FROM dq_reminder_tenant;
DROP ROLE dq_reminder_tenant;

-- degraded: a capacity or feed problem diskquota.status() shows, once when
-- it starts (here the file-change feed's queue overflowing, simulated)
SELECT coalesce(max(id), 0) AS id6 FROM diskquota.events \gset
ALTER SYSTEM SET diskquota.feed_simulate_overflow = on;
SELECT pg_reload_conf();
SELECT pg_temp.wait_for_event(:id6, 'degraded', 'INSERT INTO sd.t SELECT generate_series(1, 1000)');
ALTER SYSTEM RESET diskquota.feed_simulate_overflow;
SELECT pg_reload_conf();
SELECT event, target_type, target_name, detail->'reasons' AS reasons
  FROM diskquota.events WHERE id > :id6 AND event = 'degraded' ORDER BY id LIMIT 1;

-- utility statements that PostgreSQL refuses for privileges after
-- diskquota checks them: a role lacking those privileges gets PostgreSQL's
-- error, not the quota's, so it neither learns another tenant's usage nor
-- counts as that tenant's refusals (here with USAGE on the schema only)
CREATE ROLE dq_er_victim;
CREATE ROLE dq_er_other;
CREATE SCHEMA sx AUTHORIZATION dq_er_victim;
CREATE TABLE sx.t(i int);
CREATE INDEX ON sx.t(i);
INSERT INTO sx.t SELECT generate_series(1, 100000);
ALTER TABLE sx.t OWNER TO dq_er_victim;
CREATE SCHEMA sy AUTHORIZATION dq_er_other;
CREATE TABLE sy.m AS SELECT 1 AS i;
ALTER TABLE sy.m OWNER TO dq_er_other;
GRANT USAGE ON SCHEMA sx TO dq_er_other;
SELECT diskquota.set_quota('schema', 'sx', '1 MB');
SELECT diskquota.set_quota('role', 'dq_er_victim', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT coalesce(max(id), 0) AS id7 FROM diskquota.events \gset
SET ROLE dq_er_other;
SELECT s AS statement,
       left(pg_temp.try(replace(s, '$db', quote_ident(current_database()))), 5) AS sqlstate
  FROM unnest(ARRAY['COPY sx.t FROM PROGRAM ''true''',
                    'CREATE TABLE sx.c AS SELECT 1',
                    'ALTER TABLE sy.m SET SCHEMA sx',
                    'ALTER TABLE sy.m OWNER TO dq_er_victim',
                    'REASSIGN OWNED BY dq_er_other TO dq_er_victim']) AS s;
REINDEX SCHEMA CONCURRENTLY sx;
\echo :LAST_ERROR_SQLSTATE
REINDEX DATABASE CONCURRENTLY :"DBNAME";
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT target_type, target_name, denied_count FROM diskquota.quotas
 WHERE target_name IN ('sx', 'dq_er_victim') ORDER BY target_type;
-- the target's owner is counted
SET ROLE dq_er_victim;
SELECT pg_temp.try('INSERT INTO sx.t VALUES (1)');
REINDEX SCHEMA CONCURRENTLY sx;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT target_type, target_name, denied_count FROM diskquota.quotas
 WHERE target_name IN ('sx', 'dq_er_victim') ORDER BY target_type;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event, target_name, count FROM diskquota.events
 WHERE id > :id7 AND event = 'write_denied' ORDER BY id;
SELECT diskquota.remove_quota('schema', 'sx');
SELECT diskquota.remove_quota('role', 'dq_er_victim');
DROP SCHEMA sx CASCADE;
DROP SCHEMA sy CASCADE;
DROP ROLE dq_er_victim;
DROP ROLE dq_er_other;

ALTER SYSTEM RESET diskquota.denied_notify_interval;
SELECT pg_reload_conf();
SELECT diskquota.remove_quota('schema', 'sd');
DROP SCHEMA sd CASCADE;
