-- Self-charging (diskquota.self_charge) charges each byte of growth once:
-- statements writing one table at the same time, or one statement
-- writing it through several data-modifying CTEs, share its growth
-- through the high-water marks of the charged-relation map
-- (quotamap.c), instead of each charging all of it; the indexes an INSERT
-- opens at its first row are measured; a statement that completes charges
-- its last growth.
--
-- The worker is kept quiet (no file-change feed, naptime and
-- load_check_interval of a minute) so that only the statements' own
-- charges stop them between the steps' refreshes
-- (wait_for_worker_new_epoch).  Sizes are asserted, never time.
SET diskquota.self_charge = on;
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
\i sql/include/dblink_outcome.psql
ALTER SYSTEM SET diskquota.file_feed = off;
ALTER SYSTEM SET diskquota.naptime = 60;
ALTER SYSTEM SET diskquota.load_check_interval = 60000;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

CREATE ROLE dq_o NOLOGIN;
CREATE ROLE dq_ov NOLOGIN;
CREATE SCHEMA s_o AUTHORIZATION dq_o;
CREATE SCHEMA s_ov AUTHORIZATION dq_ov;
CREATE TABLE s_o.t(i int);
ALTER TABLE s_o.t OWNER TO dq_o;
CREATE TABLE s_ov.v(i int);
ALTER TABLE s_ov.v OWNER TO dq_ov;

-- 1. Two loads of about 6 MB each into one table of a schema with a 10 MB
-- quota: each fits alone, together they do not.  The second starts first
-- (it takes its sizes) and waits for an advisory lock at its first row
-- while the first runs to the end; then it goes on.  Each charges only
-- the growth no other measured: the second is stopped near the quota,
-- not at once (it would be if it charged the first one's rows again).
SELECT diskquota.set_schema_quota('s_o', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_advisory_lock(4391) IS NOT NULL AS locked;
SELECT dblink_connect('dq_o_c1', 'dbname=' || current_database());
SELECT dblink_exec('dq_o_c1', 'SET diskquota.self_charge = on');
SELECT dblink_exec('dq_o_c1', 'SET ROLE dq_o');
SELECT dblink_send_query('dq_o_c1',
         'INSERT INTO s_o.t SELECT g FROM generate_series(1, 170000) g
           WHERE g > 1 OR pg_advisory_xact_lock_shared(4391) IS NOT NULL');
DO $$
BEGIN
  WHILE NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'
                     AND objid = 4391 AND NOT granted)
        AND dblink_is_busy('dq_o_c1') = 1 LOOP
    PERFORM pg_stat_clear_snapshot();
  END LOOP;
END $$;
SET ROLE dq_o;
INSERT INTO s_o.t SELECT generate_series(1, 170000);
RESET ROLE;
SELECT pg_advisory_unlock(4391);
SELECT pg_temp.outcome('dq_o_c1') AS second_load;
SELECT dblink_disconnect('dq_o_c1');
SELECT pg_total_relation_size('s_o.t') >= (10 - 1) * 1024 * 1024 AS near_quota,
       pg_total_relation_size('s_o.t') <= (10 + 2) * 1024 * 1024 AS bounded;
TRUNCATE s_o.t;
SELECT diskquota.wait_for_worker_new_epoch();

-- 2. One statement writing the table through four data-modifying CTEs
-- measures it once: about 5.6 MB fits, and about 10.5 MB is stopped near
-- the quota, not before.
SET ROLE dq_o;
WITH a AS (INSERT INTO s_o.t SELECT generate_series(1, 40000) RETURNING i),
     b AS (INSERT INTO s_o.t SELECT i FROM a RETURNING i),
     c AS (INSERT INTO s_o.t SELECT i FROM b RETURNING i)
INSERT INTO s_o.t SELECT i FROM c;
TRUNCATE s_o.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_o;
WITH a AS (INSERT INTO s_o.t SELECT generate_series(1, 75000) RETURNING i),
     b AS (INSERT INTO s_o.t SELECT i FROM a RETURNING i),
     c AS (INSERT INTO s_o.t SELECT i FROM b RETURNING i)
INSERT INTO s_o.t SELECT i FROM c;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_o.t') >= (10 - 1) * 1024 * 1024 AS near_quota,
       pg_total_relation_size('s_o.t') <= (10 + 2) * 1024 * 1024 AS bounded;
TRUNCATE s_o.t;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_o', '-1');

-- 3. The database quota, which every tenant shares, is charged once too:
-- a tenant writing about 8 MB through eight ModifyTable nodes leaves the
-- rest of a 20 MB headroom to another tenant's load.
SELECT diskquota.set_database_quota(
         (pg_database_size(current_database()) / (1024 * 1024) + 20)::text || ' MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_o;
WITH a AS (INSERT INTO s_o.t SELECT generate_series(1, 30000) RETURNING i),
     b AS (INSERT INTO s_o.t SELECT i FROM a RETURNING i),
     c AS (INSERT INTO s_o.t SELECT i FROM b RETURNING i),
     d AS (INSERT INTO s_o.t SELECT i FROM c RETURNING i),
     e AS (INSERT INTO s_o.t SELECT i FROM d RETURNING i),
     f AS (INSERT INTO s_o.t SELECT i FROM e RETURNING i),
     g AS (INSERT INTO s_o.t SELECT i FROM f RETURNING i)
INSERT INTO s_o.t SELECT i FROM g;
RESET ROLE;
SET ROLE dq_ov;
INSERT INTO s_ov.v SELECT generate_series(1, 10000);
RESET ROLE;
SELECT quota_in_bytes - dbsize_in_bytes > 10 * 1024 * 1024 AS far_below_quota
  FROM diskquota.show_database_quota_view;
SET ROLE dq_o;
TRUNCATE s_o.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
-- nor do two loads of one tenant into one table at once: about 11 MB,
-- counted by a refresh, then about 1 MB more by a load that started first
-- (which charges only its own, not the 11 MB again) leave room for the
-- other tenant's load.
SELECT pg_advisory_lock(4392) IS NOT NULL AS locked;
SELECT dblink_connect('dq_o_c2', 'dbname=' || current_database());
SELECT dblink_exec('dq_o_c2', 'SET diskquota.self_charge = on');
SELECT dblink_exec('dq_o_c2', 'SET ROLE dq_o');
SELECT dblink_send_query('dq_o_c2',
         'INSERT INTO s_o.t SELECT g FROM generate_series(1, 30000) g
           WHERE g > 1 OR pg_advisory_xact_lock_shared(4392) IS NOT NULL');
DO $$
BEGIN
  WHILE NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'
                     AND objid = 4392 AND NOT granted)
        AND dblink_is_busy('dq_o_c2') = 1 LOOP
    PERFORM pg_stat_clear_snapshot();
  END LOOP;
END $$;
SET ROLE dq_o;
INSERT INTO s_o.t SELECT generate_series(1, 310000);
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_advisory_unlock(4392);
SELECT pg_temp.outcome('dq_o_c2') AS first_load;
SELECT dblink_disconnect('dq_o_c2');
SET ROLE dq_ov;
INSERT INTO s_ov.v SELECT generate_series(1, 10000);
RESET ROLE;
SELECT quota_in_bytes - dbsize_in_bytes > 5 * 1024 * 1024 AS below_quota
  FROM diskquota.show_database_quota_view;
SELECT diskquota.set_database_quota('-1');
SET ROLE dq_o;
TRUNCATE s_o.t;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();

-- 4. The indexes an INSERT or an UPDATE opens at its first row are
-- measured: with four indexes the load stops within 2 MB of the 10 MB
-- quota, counting them.
SELECT diskquota.set_schema_quota('s_o', '10 MB');
CREATE TABLE s_o.m(i int);
ALTER TABLE s_o.m OWNER TO dq_o;
CREATE INDEX ON s_o.m(i);
CREATE INDEX ON s_o.m(i);
CREATE INDEX ON s_o.m(i);
CREATE INDEX ON s_o.m(i);
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_o;
INSERT INTO s_o.m SELECT generate_series(1, 1000000);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_o.m') <= (10 + 2) * 1024 * 1024 AS bounded;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_o', '-1');
TRUNCATE s_o.m;
INSERT INTO s_o.m SELECT generate_series(1, 300000);
SELECT diskquota.set_schema_quota('s_o',
         (pg_total_relation_size('s_o.m') / (1024 * 1024) + 10)::text || ' MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_total_relation_size('s_o.m') AS before_total \gset
SET ROLE dq_o;
UPDATE s_o.m SET i = i + 1;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_o.m') - :before_total <= (10 + 2) * 1024 * 1024 AS bounded;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_o', '-1');
DROP TABLE s_o.m;

-- 5. A completed statement charges its last growth, whether or not the
-- timer fired while it ran: a series of INSERTs of about 650 kB each is
-- stopped within 2 MB of the 10 MB quota.
CREATE TABLE s_o.w(i int, v text);
ALTER TABLE s_o.w OWNER TO dq_o;
SELECT diskquota.set_schema_quota('s_o', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_o;
DO $$
BEGIN
  FOR k IN 1..100 LOOP
    INSERT INTO s_o.w SELECT i, repeat('a', 100) FROM generate_series(1, 5000) i;
  END LOOP;
END $$;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_o.w') <= (10 + 2) * 1024 * 1024 AS bounded;
RESET ROLE;

SELECT diskquota.set_schema_quota('s_o', '-1');
DROP SCHEMA s_o CASCADE;
DROP SCHEMA s_ov CASCADE;
DROP ROLE dq_o;
DROP ROLE dq_ov;
ALTER SYSTEM RESET diskquota.file_feed;
ALTER SYSTEM RESET diskquota.naptime;
ALTER SYSTEM RESET diskquota.load_check_interval;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
