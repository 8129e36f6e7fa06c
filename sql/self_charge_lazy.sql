-- Lazy start: a statement whose targets all have 64 MB or more left when
-- it starts measures nothing until its first poll (after its rows reckoned
-- 1 MB, or the timer), so that short statements far from every quota pay
-- nothing; from that poll on it measures and stops itself as any other.
-- The worker is kept quiet (no file-change feed, naptime and check
-- interval of a minute): only the statement itself can stop it.  Sizes are
-- asserted, never time.
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.file_feed = off;
ALTER SYSTEM SET diskquota.naptime = 60;
ALTER SYSTEM SET diskquota.load_check_interval = 60000;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE SCHEMA s_lazy;
CREATE TABLE s_lazy.t(i int) WITH (autovacuum_enabled = off);
SELECT diskquota.set_schema_quota('s_lazy', '66 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET diskquota.self_charge = on;

-- far from the quota: short statements measure nothing, and are counted
-- by the worker
INSERT INTO s_lazy.t SELECT generate_series(1, 1000);
UPDATE s_lazy.t SET i = i + 1 WHERE i < 10;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s_lazy.t') AS counted
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_lazy';

-- a load that starts far from the quota and crosses it: it starts
-- measuring at its first poll and is stopped within a few MB of the quota
-- (what it wrote before measuring, at most 1 MB, is not charged); about
-- 100 MB if it ran to the end
INSERT INTO s_lazy.t SELECT generate_series(1, 3000000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_lazy.t') BETWEEN 64 * 1024 * 1024
       AND (66 + 1 + 2) * 1024 * 1024 AS stopped_near_quota;

-- a series of short statements, each far from the quota and too short
-- to poll: together they get 1 MB unmeasured until the worker has
-- refreshed, then each measures from its start and the one that crosses
-- the quota is stopped (about 120 MB if the loop ran to the end)
TRUNCATE s_lazy.t;
CREATE TABLE s_lazy.w(v text) WITH (autovacuum_enabled = off);
ALTER TABLE s_lazy.w ALTER v SET STORAGE PLAIN;
SELECT diskquota.wait_for_worker_new_epoch();
DO $$
BEGIN
  FOR i IN 1..250 LOOP
    INSERT INTO s_lazy.w SELECT repeat('x', 7000) FROM generate_series(1, 60);
  END LOOP;
END $$;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_lazy.w') <= (66 + 2) * 1024 * 1024 AS series_stopped_near_quota;
DROP TABLE s_lazy.w;

-- an index whose growth a row does not bound (GIN): measured from the
-- start, after every row
CREATE TABLE s_lazy.g(a int[]);
CREATE INDEX ON s_lazy.g USING gin (a);
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s_lazy.g SELECT array(SELECT generate_series(g, g + 2000))
  FROM generate_series(1, 100000) g;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_lazy.g') <= (66 + 2) * 1024 * 1024 AS gin_stopped_near_quota;

RESET diskquota.self_charge;
SELECT diskquota.set_schema_quota('s_lazy', '-1');
DROP SCHEMA s_lazy CASCADE;
ALTER SYSTEM RESET diskquota.file_feed;
ALTER SYSTEM RESET diskquota.naptime;
ALTER SYSTEM RESET diskquota.load_check_interval;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
