-- A load into a temporary table is stopped within the same latency as
-- other loads, however long diskquota.naptime is: the file-change feed
-- cannot map temporary files, so the worker re-sizes them every
-- diskquota.load_check_interval while the load runs.  What the load wrote
-- past the quota is bounded (its file stays extended after the stop).  The
-- quota is large enough that the load crosses it well after the backend's
-- first wake-up of the worker.
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.naptime = 60;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE ROLE dq_r34 NOLOGIN;
SELECT diskquota.set_role_quota('dq_r34', '300 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_r34;
CREATE TEMP TABLE tl(i int);
-- 30 million rows would be about 1 GB; stopped, it wrote less than 300 MB
-- past the quota
INSERT INTO tl SELECT generate_series(1, 30000000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_relation_size('tl') < 600 * 1024 * 1024 AS bounded;
DROP TABLE tl;
RESET ROLE;
SELECT diskquota.set_role_quota('dq_r34', '-1');
DROP ROLE dq_r34;
ALTER SYSTEM RESET diskquota.naptime;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
