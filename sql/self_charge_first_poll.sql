-- A statement that crosses its quota in its first milliseconds is stopped
-- by its own first measurement, which comes after a number of rows (the
-- headroom left at one block per row, halved), not after a tick of the
-- timer: here load_check_interval is a minute and the worker is kept
-- quiet (no file-change feed, naptime of a minute), so nothing else can
-- stop a load that lasts a few milliseconds.  With self-charging off the
-- same load completes past the quota (the worker stops only statements
-- that run longer than a check interval).  Sizes are asserted, never time.
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.file_feed = off;
ALTER SYSTEM SET diskquota.naptime = 60;
ALTER SYSTEM SET diskquota.load_check_interval = 60000;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE ROLE dq_fp NOLOGIN;
CREATE SCHEMA s_fp AUTHORIZATION dq_fp;
CREATE TABLE s_fp.t(i int) WITH (autovacuum_enabled = off);
ALTER TABLE s_fp.t OWNER TO dq_fp;
-- 0.9 MB used of a 1 MB quota
INSERT INTO s_fp.t SELECT generate_series(1, 25000);
SELECT diskquota.set_schema_quota('s_fp', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes BETWEEN 800 * 1024 AND 1024 * 1024 AS nearly_full
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_fp';

-- self-charging on: stopped within 2 MB of the quota (about 3.5 MB if it
-- ran to the end, in a few milliseconds)
SET diskquota.self_charge = on;
SET ROLE dq_fp;
INSERT INTO s_fp.t SELECT generate_series(1, 100000);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT pg_relation_size('s_fp.t') <= (1 + 2) * 1024 * 1024 AS bounded;

-- self-charging off: the same load completes past the quota
TRUNCATE s_fp.t;
-- (the stop above used up the headroom until the worker's next refresh)
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s_fp.t SELECT generate_series(1, 25000);
SELECT diskquota.wait_for_worker_new_epoch();
SET diskquota.self_charge = off;
SET ROLE dq_fp;
INSERT INTO s_fp.t SELECT generate_series(1, 100000);
RESET ROLE;
SELECT count(*) AS rows_written FROM s_fp.t;

RESET diskquota.self_charge;
SELECT diskquota.set_schema_quota('s_fp', '-1');
DROP SCHEMA s_fp CASCADE;
DROP ROLE dq_fp;
ALTER SYSTEM RESET diskquota.file_feed;
ALTER SYSTEM RESET diskquota.naptime;
ALTER SYSTEM RESET diskquota.load_check_interval;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
