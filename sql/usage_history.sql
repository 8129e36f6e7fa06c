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
