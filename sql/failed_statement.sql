-- A statement that fails after writing leaves its data in the files: the
-- worker counts it, and the next load is refused.
CREATE SCHEMA s19;
CREATE TABLE s19.t(i int CHECK (i < 100000));
INSERT INTO s19.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s19', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s19.t') AS matches,
       nspsize_in_bytes > 1024 * 1024 AS over
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's19';
\set VERBOSITY terse
INSERT INTO s19.t VALUES (1);
\set VERBOSITY default
-- the same for COPY, into a table that was empty
CREATE SCHEMA s19_copy;
CREATE TABLE s19_copy.t(i int CHECK (i < 100000));
COPY s19_copy.t FROM PROGRAM 'seq 1 100000';
SELECT diskquota.set_schema_quota('s19_copy', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s19_copy.t') AS matches,
       nspsize_in_bytes > 1024 * 1024 AS over
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's19_copy';
-- and for a transaction that is rolled back
CREATE SCHEMA s19_rb;
CREATE TABLE s19_rb.t(i int);
BEGIN;
INSERT INTO s19_rb.t SELECT generate_series(1, 100000);
ROLLBACK;
SELECT diskquota.set_schema_quota('s19_rb', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s19_rb.t') AS matches,
       nspsize_in_bytes > 1024 * 1024 AS over
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's19_rb';
SELECT diskquota.set_schema_quota('s19', '-1');
SELECT diskquota.set_schema_quota('s19_copy', '-1');
SELECT diskquota.set_schema_quota('s19_rb', '-1');
DROP SCHEMA s19, s19_copy, s19_rb CASCADE;
