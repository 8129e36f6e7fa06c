-- Usage history, over-use in megabyte-days and escalation (1.2).  Days pass
-- through the test-only setting diskquota.test_clock_offset: the worker's
-- clock runs that far ahead.  After each reload the test waits for the
-- worker's refreshes until what the new setting must change shows.
\set VERBOSITY terse
CREATE FUNCTION pg_temp.wait_until(cond text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
BEGIN
    FOR i IN 1..200 LOOP
        EXECUTE cond INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        PERFORM diskquota.wait_for_worker_new_epoch();
    END LOOP;
    RETURN false;
END
$$;
\i sql/include/try.psql
-- one level per MB-day of over-use, and one more for more than one day
-- over in the last 30; grace periods no shorter than a minute
ALTER SYSTEM SET diskquota.overuse_step = 1;
ALTER SYSTEM SET diskquota.frequent_overuse_days = 1;
ALTER SYSTEM SET diskquota.min_grace = 60;
SELECT pg_reload_conf();
CREATE SCHEMA ha;
CREATE TABLE ha.t(i int) WITH (autovacuum_enabled = off);
CREATE SCHEMA hb;
CREATE TABLE hb.t(i int) WITH (autovacuum_enabled = off);
INSERT INTO ha.t SELECT generate_series(1, 100000);
INSERT INTO hb.t SELECT generate_series(1, 100000);
SELECT pg_total_relation_size('ha.t') AS size \gset
-- ha: 1 MB soft limit, a day of grace; over by (size - 1 MB)
SELECT diskquota.set_quota('schema', 'ha', '100 MB', soft => '1 MB', grace => '1 day');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.wait_until($$SELECT level = 0 AND days_over_30d = 1 FROM diskquota.quotas
                           WHERE target_name = 'ha'$$);
SELECT coalesce(max(id), 0) AS id0 FROM diskquota.events \gset

-- a day later: over-use is the megabytes over times one day
ALTER SYSTEM SET diskquota.test_clock_offset = '1d';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT days_over_30d = 2 FROM diskquota.quotas WHERE target_name = 'ha'$$);
SELECT round(overuse_mb_days::numeric, 3) AS overuse,
       round(((:size - 1048576) / 1048576.0)::numeric, 3) AS expected,
       days_over_30d, level
  FROM diskquota.quotas WHERE target_name = 'ha';
-- under the limit for a day: it decays to 0.95 of itself
TRUNCATE ha.t;
SELECT diskquota.wait_for_worker_new_epoch();
ALTER SYSTEM SET diskquota.test_clock_offset = '2d';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT overuse_mb_days < 2.4 FROM diskquota.quotas
                           WHERE target_name = 'ha'$$);
SELECT round(overuse_mb_days::numeric, 3) AS overuse,
       round(((:size - 1048576) / 1048576.0 * 0.95)::numeric, 3) AS expected,
       days_over_30d, level
  FROM diskquota.quotas WHERE target_name = 'ha';
-- both kept in quota_overuse (written when the hour's bucket ended)
SELECT round(overuse_mb_days::numeric, 3) AS overuse, cardinality(over_days) AS days, level
  FROM diskquota.quota_overuse WHERE target_oid = 'ha'::regnamespace;

-- escalation: ha, a repeat offender, and hb, over the same soft limit by
-- the same amount for the first time; ha, at level 3 (2 for its 2.36
-- MB-days of over-use, 1 for more than one day over), gets a day / 2^3,
-- hb the whole day
INSERT INTO ha.t SELECT generate_series(1, 100000);
SELECT diskquota.set_quota('schema', 'hb', '100 MB', soft => '1 MB', grace => '1 day');
SELECT pg_temp.wait_until($$SELECT count(*) = 2 FROM diskquota.quotas
                           WHERE target_name IN ('ha', 'hb') AND state = 'soft'$$);
SELECT target_name, level, grace_expires_at - over_soft_since AS grace_given
  FROM diskquota.quotas WHERE target_name IN ('ha', 'hb') ORDER BY target_name;
-- four hours later: ha is refused, hb is still in its grace period
ALTER SYSTEM SET diskquota.test_clock_offset = '52h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT state = 'grace_expired' FROM diskquota.quotas
                           WHERE target_name = 'ha'$$);
SELECT target_name, state FROM diskquota.quotas
 WHERE target_name IN ('ha', 'hb') ORDER BY target_name;
SELECT pg_temp.try('INSERT INTO ha.t VALUES (1)');
SELECT pg_temp.try('INSERT INTO hb.t VALUES (1)');

-- each change of level was an event, with the level before and after
SELECT event, target_name, detail->>'previous_level' AS previous, detail->>'level' AS level
  FROM diskquota.events WHERE id > :id0 AND event = 'escalation' ORDER BY id;

-- the history: a row per quota and ended hour, highest and average usage,
-- the limits in force
SELECT count(*) > 0 AS rows, bool_and(max_bytes >= avg_bytes) AS max_over_avg,
       bool_and(soft_bytes = 1048576 AND hard_bytes = 100 * 1048576) AS limits,
       bool_and(target_name = 'ha') AS named,
       bool_and(extract(epoch FROM bucket_start)::bigint % 3600 = 0) AS aligned
  FROM diskquota.usage_history WHERE target_oid = 'ha'::regnamespace;
SELECT max(max_bytes) = :size AS max_seen
  FROM diskquota.usage_history WHERE target_oid = 'ha'::regnamespace;

-- the metrics view: one row per quota and measure
SELECT metric, kind, value = CASE metric WHEN 'diskquota_used_bytes' THEN q.used_bytes
                                         WHEN 'diskquota_soft_limit_bytes' THEN 1048576
                                         WHEN 'diskquota_hard_limit_bytes' THEN 100 * 1048576
                                         WHEN 'diskquota_level' THEN q.level
                                         WHEN 'diskquota_denied_total' THEN q.denied_count
                                         WHEN 'diskquota_stopped_total' THEN q.stopped_count
                                         WHEN 'diskquota_overuse_mb_days' THEN q.overuse_mb_days
                                         -- (by the server's clock, behind the worker's here)
                                         WHEN 'diskquota_grace_seconds_left' THEN m.value END AS right
  FROM diskquota.metrics m JOIN diskquota.quotas q
    ON q.target_type = m.target_type AND q.target_name = m.target
 WHERE m.target = 'ha' ORDER BY metric;

-- reports from a history of known values: a target growing by 10 MB a
-- day from 100 MB, soft limit 200 MB, hard limit 300 MB
INSERT INTO diskquota.usage_history
SELECT timestamptz '2026-01-01 00:00+00' + d * interval '1 day', 'schema', 4000000000, 0, 'hr',
       NULL, (100 + 10 * d + 5) * 1048576, (100 + 10 * d) * 1048576, 300 * 1048576,
       200 * 1048576, NULL
  FROM generate_series(0, 4) d;
SET TimeZone = 'UTC';
SELECT target_type, target_name, buckets, first_bucket, last_bucket,
       start_bytes / 1048576 AS start_mb, end_bytes / 1048576 AS end_mb,
       max_bytes / 1048576 AS max_mb, round((growth_bytes_per_day / 1048576)::numeric, 6) AS mb_per_day,
       soft_reached_at, hard_reached_at
  FROM diskquota.usage_report('2026-01-01', '2026-01-31') WHERE target_oid = 4000000000;
-- within a window: the growth of its buckets only
SELECT buckets, start_bytes / 1048576 AS start_mb, end_bytes / 1048576 AS end_mb
  FROM diskquota.usage_report('2026-01-02', '2026-01-03 12:00') WHERE target_oid = 4000000000;
-- not growing: no projection
INSERT INTO diskquota.usage_history
VALUES ('2026-01-06 00:00+00', 'schema', 4000000000, 0, 'hr', NULL, 140 * 1048576,
        140 * 1048576, 300 * 1048576, 200 * 1048576, NULL);
SELECT soft_reached_at, hard_reached_at
  FROM diskquota.usage_report('2026-01-05', '2026-01-31') WHERE target_oid = 4000000000;
-- every quota as of a moment: its last bucket started before it
SELECT target_name, bucket_start, avg_bytes / 1048576 AS avg_mb, soft_bytes / 1048576 AS soft_mb
  FROM diskquota.usage_at('2026-01-03 05:00+00') WHERE target_oid = 4000000000;
SELECT count(*) FROM diskquota.usage_at('2025-12-31') WHERE target_oid = 4000000000;
RESET TimeZone;
DELETE FROM diskquota.usage_history WHERE target_oid = 4000000000;

-- a role under a default role quota keeps its record while it owns no
-- table: dropping its tables while an hour's bucket ends does not wipe its
-- over-use, days over and level (found by the attack on issue 18)
CREATE ROLE dq_hist_r;
CREATE SCHEMA hr AUTHORIZATION dq_hist_r;
SELECT diskquota.set_default_quota('role', '100 MB', soft => '1 MB', grace => '1 day');
SET ROLE dq_hist_r;
CREATE TABLE hr.t(i int) WITH (autovacuum_enabled = off);
INSERT INTO hr.t SELECT generate_series(1, 100000);
RESET ROLE;
SELECT pg_temp.wait_until($$SELECT days_over_30d = 1 FROM diskquota.quotas
                           WHERE target_type = 'role' AND target_name = 'dq_hist_r'$$);
ALTER SYSTEM SET diskquota.test_clock_offset = '76h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT level >= 2 FROM diskquota.quotas
                           WHERE target_type = 'role' AND target_name = 'dq_hist_r'$$);
SELECT level AS r_level FROM diskquota.quotas
 WHERE target_type = 'role' AND target_name = 'dq_hist_r' \gset
SET ROLE dq_hist_r;
DROP TABLE hr.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
ALTER SYSTEM SET diskquota.test_clock_offset = '78h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT max(bucket_start) > now() + interval '75 hours'
                           FROM diskquota.usage_history WHERE target_oid = 'ha'::regnamespace$$);
SELECT count(*) AS record_kept FROM diskquota.quota_overuse WHERE target_oid = 'dq_hist_r'::regrole;
SELECT level = :r_level AS level_kept, used_bytes FROM diskquota.quotas
 WHERE target_type = 'role' AND target_name = 'dq_hist_r';
-- over its soft limit again: a shortened grace period
SET ROLE dq_hist_r;
CREATE TABLE hr.t(i int) WITH (autovacuum_enabled = off);
INSERT INTO hr.t SELECT generate_series(1, 100000);
RESET ROLE;
SELECT pg_temp.wait_until($$SELECT state = 'soft' FROM diskquota.quotas
                           WHERE target_type = 'role' AND target_name = 'dq_hist_r'$$);
SELECT level > 0 AS escalated, grace_expires_at - over_soft_since < interval '1 day' AS shortened
  FROM diskquota.quotas WHERE target_type = 'role' AND target_name = 'dq_hist_r';
SELECT diskquota.remove_default_quota('role');
DROP SCHEMA hr CASCADE;
DROP ROLE dq_hist_r;

-- an escalation whose refresh fails at its commit (on a lock: here the
-- NOTIFY lock, held by a commit that waits for a synchronous standby) is
-- logged and stored by a later refresh, not lost (found by the attack on
-- issue 18)
CREATE SCHEMA hc;
CREATE TABLE hc.t(i int) WITH (autovacuum_enabled = off);
INSERT INTO hc.t SELECT generate_series(1, 100000);
SELECT diskquota.set_quota('schema', 'hc', '100 MB', soft => '1 MB', grace => '30 days');
SELECT diskquota.set_quota_notifications('schema', 'hc', true, reminder_interval => '0');
SELECT pg_temp.wait_until($$SELECT level = 0 AND state = 'soft' FROM diskquota.quotas
                           WHERE target_name = 'hc'$$);
SELECT coalesce(max(id), 0) AS hc_id0 FROM diskquota.events \gset
SET synchronous_commit = local;
ALTER SYSTEM SET synchronous_standby_names = 'dq_no_such_standby';
SELECT pg_reload_conf();
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT dblink_connect('dq_hold', 'dbname=' || current_database());
SELECT dblink_exec('dq_hold', 'SET synchronous_commit = on');
SELECT pid AS hold_pid FROM dblink('dq_hold', 'SELECT pg_backend_pid()') AS r(pid int) \gset
-- a commit with a NOTIFY that waits for the standby (the setting reaches
-- the checkpointer soon after the reload): it holds the NOTIFY lock
DO $$
DECLARE
    t timestamptz := clock_timestamp();
    waiting boolean;
    holder int;
BEGIN
    SELECT pid INTO holder FROM dblink('dq_hold', 'SELECT pg_backend_pid()') AS r(pid int);
    LOOP
        PERFORM dblink_exec('dq_hold', 'BEGIN');
        PERFORM dblink_exec('dq_hold', 'INSERT INTO hc.t VALUES (0)');
        PERFORM dblink_exec('dq_hold', 'NOTIFY dq_hold');
        PERFORM dblink_send_query('dq_hold', 'COMMIT');
        LOOP
            PERFORM pg_stat_clear_snapshot();
            SELECT wait_event = 'SyncRep' INTO waiting FROM pg_stat_activity
             WHERE pid = holder;
            EXIT WHEN waiting OR dblink_is_busy('dq_hold') = 0;
        END LOOP;
        EXIT WHEN waiting;
        PERFORM * FROM dblink_get_result('dq_hold') AS r(x text);
        PERFORM * FROM dblink_get_result('dq_hold') AS r(x text);
        IF clock_timestamp() > t + interval '60 s' THEN RAISE 'no hold'; END IF;
    END LOOP;
END
$$;
SELECT wait_event FROM pg_stat_activity WHERE pid = :hold_pid;
ALTER SYSTEM SET diskquota.test_clock_offset = '90h';
SELECT pg_reload_conf();
-- the refresh that escalates hc waits for the NOTIFY lock, then fails
DO $$
DECLARE
    worker int;
    ep bigint;
    t timestamptz := clock_timestamp();
BEGIN
    SELECT worker_pid INTO worker FROM diskquota.status() WHERE database_name = current_database();
    LOOP
        EXIT WHEN EXISTS (SELECT FROM pg_locks WHERE pid = worker AND NOT granted
                                                  AND locktype = 'object' AND objid = 0);
        IF clock_timestamp() > t + interval '60 s' THEN RAISE 'no wait'; END IF;
    END LOOP;
    SELECT epoch INTO ep FROM diskquota.status() WHERE database_name = current_database();
    LOOP
        EXIT WHEN EXISTS (SELECT FROM diskquota.status() WHERE database_name = current_database()
                            AND (degraded_reason LIKE '%refresh blocked by a lock%' OR epoch > ep));
        IF clock_timestamp() > t + interval '60 s' THEN RAISE 'no failure'; END IF;
    END LOOP;
END
$$;
SELECT pg_cancel_backend(:hold_pid);
SELECT count(*) FROM dblink_get_result('dq_hold') AS r(x text);
SELECT count(*) FROM dblink_get_result('dq_hold') AS r(x text);
SELECT dblink_disconnect('dq_hold');
ALTER SYSTEM RESET synchronous_standby_names;
SELECT pg_reload_conf();
RESET synchronous_commit;
SELECT pg_temp.wait_until($$SELECT EXISTS (SELECT FROM diskquota.events WHERE id > $$ || :hc_id0 || $$
                                              AND event = 'escalation' AND target_name = 'hc')$$);
SELECT q.level > 0 AS escalated, o.level = q.level AS stored
  FROM diskquota.quotas q JOIN diskquota.quota_overuse o ON o.target_oid = q.target_oid
 WHERE q.target_name = 'hc';
SELECT (detail->>'level')::int = q.level AS logged
  FROM diskquota.events e, diskquota.quotas q
 WHERE e.id > :hc_id0 AND e.event = 'escalation' AND e.target_name = 'hc' AND q.target_name = 'hc'
 ORDER BY e.id DESC LIMIT 1;
SELECT diskquota.remove_quota('schema', 'hc');
DROP SCHEMA hc CASCADE;

-- the retention holds with more quotas than DQ_HISTORY_PURGE_BATCH (1000)
-- rows a bucket: each bucket's end deletes as many old rows as it writes,
-- and 1000 more (found by the attack on issue 18)
DO $$ BEGIN FOR i IN 1..1100 LOOP EXECUTE format('CREATE SCHEMA dq_hist_m%s', i); END LOOP; END $$;
SELECT diskquota.set_default_quota('schema', '1 GB');
ALTER SYSTEM SET diskquota.history_retention = '1h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT count(*) > 1100 FROM diskquota.quotas$$);
ALTER SYSTEM SET diskquota.test_clock_offset = '91h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT max(bucket_start) > now() + interval '89 hours'
                           FROM diskquota.usage_history WHERE target_oid = 'ha'::regnamespace$$);
ALTER SYSTEM SET diskquota.test_clock_offset = '92h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT max(bucket_start) > now() + interval '90 hours'
                           FROM diskquota.usage_history WHERE target_oid = 'ha'::regnamespace$$);
ALTER SYSTEM SET diskquota.test_clock_offset = '93h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT max(bucket_start) > now() + interval '91 hours'
                           FROM diskquota.usage_history WHERE target_oid = 'ha'::regnamespace$$);
SELECT count(*) AS past_retention FROM diskquota.usage_history
 WHERE bucket_start < (SELECT max(bucket_start) FROM diskquota.usage_history);
SELECT diskquota.remove_default_quota('schema');
DO $$ BEGIN FOR i IN 1..1100 LOOP EXECUTE format('DROP SCHEMA dq_hist_m%s', i); END LOOP; END $$;
ALTER SYSTEM RESET diskquota.history_retention;

-- a row no refresh writes (a restored one, with infinite values) is taken
-- as no over-use when a worker reads it, and the stores go on (an infinite
-- value once made every store fail; found by the attack on issue 18)
UPDATE diskquota.quota_overuse SET overuse_mb_days = 'Infinity', updated_at = '-infinity'
 WHERE target_oid = 'hb'::regnamespace;
SELECT pg_terminate_backend(worker_pid, 10000) FROM diskquota.status()
 WHERE database_name = current_database();
SELECT pg_temp.wait_until($$SELECT state = 'running' FROM diskquota.status()
                           WHERE database_name = current_database()$$);
SELECT pg_temp.wait_until($$SELECT overuse_mb_days < 1000 FROM diskquota.quotas
                           WHERE target_name = 'hb'$$);
ALTER SYSTEM SET diskquota.test_clock_offset = '94h';
SELECT pg_reload_conf();
SELECT pg_temp.wait_until($$SELECT updated_at > now() + interval '93 hours'
                           FROM diskquota.quota_overuse WHERE target_oid = 'hb'::regnamespace$$);
SELECT overuse_mb_days < 1000 AS finite FROM diskquota.quota_overuse
 WHERE target_oid = 'hb'::regnamespace;

SELECT diskquota.remove_quota('schema', 'ha');
SELECT diskquota.remove_quota('schema', 'hb');
DROP SCHEMA ha, hb CASCADE;
ALTER SYSTEM RESET diskquota.test_clock_offset;
ALTER SYSTEM RESET diskquota.overuse_step;
ALTER SYSTEM RESET diskquota.frequent_overuse_days;
ALTER SYSTEM RESET diskquota.min_grace;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
