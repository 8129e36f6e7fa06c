-- A writing statement charges its own growth against the headroom of its
-- targets at each poll (diskquota.self_charge) and stops itself when the
-- headroom is used up, without waiting for the worker.  A load into a
-- temporary table, whose files the file-change feed cannot map, is
-- stopped within a few megabytes of its owner's quota even when the
-- worker refreshes only every minute.  Sizes are asserted, never time.
ALTER SYSTEM SET diskquota.naptime = 60;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE ROLE dq_sc NOLOGIN;
SELECT diskquota.set_role_quota('dq_sc', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_sc;
CREATE TEMP TABLE tl(i int);
-- about 200 MB if it ran to the end
INSERT INTO tl SELECT generate_series(1, 6000000);
\echo :LAST_ERROR_SQLSTATE
\echo :LAST_ERROR_MESSAGE
SELECT pg_total_relation_size('tl') AS size \gset
SELECT :size < 10 * 1024 * 1024 + 4 * 1024 * 1024 AS bounded;
DROP TABLE tl;
RESET ROLE;
SELECT diskquota.set_role_quota('dq_sc', '-1');
DROP ROLE dq_sc;
ALTER SYSTEM RESET diskquota.naptime;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
