-- Dropping a table frees its usage.
\set VERBOSITY terse
CREATE SCHEMA s3;
CREATE TABLE s3.big(i int);
CREATE TABLE s3.small(i int);
INSERT INTO s3.big SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s3', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s3.small VALUES (1);
DROP TABLE s3.big;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s3.small') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's3';
INSERT INTO s3.small VALUES (1);
SELECT 's3'::regnamespace::oid AS s3_oid \gset
DROP SCHEMA s3 CASCADE;
-- dropping the schema makes its quota disappear from the view and from
-- what the worker enforces
SELECT count(*) FROM diskquota.show_schema_quota_view WHERE schema_name = 's3';
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.quota_usage() WHERE target_oid = :s3_oid;
