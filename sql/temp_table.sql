-- Temporary tables count for their owner, not for a schema.
\set VERBOSITY terse
CREATE ROLE dq_temp NOLOGIN;
SET ROLE dq_temp;
CREATE TEMP TABLE tt(i int);
INSERT INTO tt SELECT generate_series(1, 100000);
RESET ROLE;
SELECT diskquota.set_role_quota('dq_temp', '1 MB');
SELECT diskquota.set_schema_quota('public', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT role_name, rolsize_in_bytes = pg_total_relation_size('pg_temp.tt') AS matches
  FROM diskquota.show_role_quota_view WHERE role_name = 'dq_temp';
SELECT nspsize_in_bytes < 1024 * 1024 AS public_not_charged
  FROM diskquota.show_schema_quota_view WHERE schema_name = 'public';
SET ROLE dq_temp;
INSERT INTO tt VALUES (1);
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE tt2 AS SELECT 1 AS i;
RESET ROLE;
DROP TABLE tt;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rolsize_in_bytes AS usage FROM diskquota.show_role_quota_view WHERE role_name = 'dq_temp';
SELECT diskquota.set_role_quota('dq_temp', '-1');
SELECT diskquota.set_schema_quota('public', '-1');
DROP ROLE dq_temp;
