-- TOAST data is charged to its table.
\set VERBOSITY terse
CREATE SCHEMA s7;
CREATE TABLE s7.t(i int, v text);
ALTER TABLE s7.t ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO s7.t
SELECT i, (SELECT string_agg(md5((i * 1000 + j)::text), '') FROM generate_series(1, 100) j)
  FROM generate_series(1, 500) i;
SELECT diskquota.set_schema_quota('s7', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_relation_size(reltoastrelid) > 1024 * 1024 AS toast_is_big,
       pg_relation_size(oid) < 1024 * 1024 AS heap_is_small
  FROM pg_class WHERE oid = 's7.t'::regclass;
SELECT nspsize_in_bytes = pg_total_relation_size('s7.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's7';
INSERT INTO s7.t VALUES (0, 'x');
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA s7 CASCADE;
