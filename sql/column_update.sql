-- ALTER TABLE ADD COLUMN and an UPDATE that fills it grow the usage.
\set VERBOSITY terse
CREATE SCHEMA s4;
SELECT diskquota.set_schema_quota('s4', '100 MB');
CREATE TABLE s4.t(i int);
INSERT INTO s4.t SELECT generate_series(1, 20000);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < 1024 * 1024 AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's4';
ALTER TABLE s4.t ADD COLUMN j bigint;
UPDATE s4.t SET j = i;
SELECT diskquota.set_schema_quota('s4', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes > 1024 * 1024 AS over,
       nspsize_in_bytes = pg_total_relation_size('s4.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's4';
UPDATE s4.t SET j = 0 WHERE i = 1;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO s4.t VALUES (1, 1);
DROP SCHEMA s4 CASCADE;
