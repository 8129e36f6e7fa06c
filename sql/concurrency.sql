-- Several sessions at once (dblink's asynchronous queries).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
CREATE SCHEMA s26;
CREATE TABLE s26.t(i int);
SELECT diskquota.set_schema_quota('s26', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- three loads into the same schema at the same time: each is stopped
SELECT dblink_connect('c' || k, 'dbname=' || current_database()) FROM generate_series(1, 3) k;
SELECT dblink_send_query('c' || k, 'INSERT INTO s26.t SELECT generate_series(1, 20000000)')
  FROM generate_series(1, 3) k;
\i sql/include/dblink_outcome.psql
SELECT k, pg_temp.outcome('c' || k) FROM generate_series(1, 3) k;
-- quotas changed while loads and refreshes go on: no error, the last
-- value set is the one in force
SELECT diskquota.set_schema_quota('s26', '-1');
TRUNCATE s26.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT dblink_send_query('c' || k,
         'DO $d$ BEGIN FOR j IN 1..200 LOOP INSERT INTO s26.t SELECT generate_series(1, 100); END LOOP; END $d$')
  FROM generate_series(1, 2) k;
SELECT dblink_send_query('c3',
         'DO $d$ BEGIN FOR j IN 1..50 LOOP PERFORM diskquota.set_schema_quota(''s26'', (j * 10)::text || '' MB''); END LOOP; END $d$');
SELECT k, pg_temp.outcome('c' || k) FROM generate_series(1, 3) k;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT quota_in_mb, nspsize_in_bytes = pg_total_relation_size('s26.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's26';
-- VACUUM FULL and TRUNCATE while the worker refreshes: the size is right
-- afterwards
SELECT dblink_send_query('c1', 'DO $d$ BEGIN FOR j IN 1..20 LOOP PERFORM diskquota.wait_for_worker_new_epoch(); END LOOP; END $d$');
DELETE FROM s26.t WHERE i % 2 = 0;
VACUUM FULL s26.t;
INSERT INTO s26.t SELECT generate_series(1, 5000);
TRUNCATE s26.t;
INSERT INTO s26.t SELECT generate_series(1, 3000);
VACUUM FULL s26.t;
SELECT pg_temp.outcome('c1');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s26.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's26';
SELECT dblink_disconnect('c' || k) FROM generate_series(1, 3) k;
SELECT diskquota.set_schema_quota('s26', '-1');
DROP SCHEMA s26 CASCADE;
