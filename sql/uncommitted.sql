-- Relations created, or given new files, by a transaction that has not
-- committed are counted while it is open, charged to their table's schema
-- and owner; a rollback gives the space back.
CREATE SCHEMA s21;
CREATE ROLE dq_r21 NOLOGIN;
CREATE TABLE s21.t(i int, v text);
ALTER TABLE s21.t OWNER TO dq_r21;
INSERT INTO s21.t SELECT i, repeat('x', 3000) FROM generate_series(1, 3000) i;
CREATE INDEX t_i_idx ON s21.t(i);
SELECT diskquota.set_schema_quota('s21', '1 GB');
SELECT diskquota.set_role_quota('dq_r21', '1 GB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes AS committed FROM diskquota.show_schema_quota_view
 WHERE schema_name = 's21' \gset
SELECT :committed = pg_total_relation_size('s21.t') AS matches;
-- a new table (with TOAST and an index) in an open transaction
BEGIN;
CREATE TABLE s21.n(i int PRIMARY KEY, v text);
ALTER TABLE s21.n OWNER TO dq_r21;
INSERT INTO s21.n SELECT i, repeat('y', 3000) FROM generate_series(1, 3000) i;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT s.nspsize_in_bytes = :committed + pg_total_relation_size('s21.n') AS schema_counts_it,
       r.rolsize_in_bytes = :committed + pg_total_relation_size('s21.n') AS role_counts_it
  FROM diskquota.show_schema_quota_view s, diskquota.show_role_quota_view r
 WHERE s.schema_name = 's21' AND r.role_name = 'dq_r21';
ROLLBACK;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = :committed AS back FROM diskquota.show_schema_quota_view
 WHERE schema_name = 's21';
-- new files of existing tables: the old files stay on disk until commit,
-- so both count
BEGIN;
TRUNCATE s21.t;
INSERT INTO s21.t SELECT i, repeat('z', 3000) FROM generate_series(1, 1000) i;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = :committed + pg_total_relation_size('s21.t') AS both_count
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's21';
ROLLBACK;
BEGIN;
ALTER TABLE s21.t ALTER COLUMN i TYPE bigint;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = :committed + pg_total_relation_size('s21.t') AS both_count
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's21';
ROLLBACK;
BEGIN;
CLUSTER s21.t USING t_i_idx;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = :committed + pg_total_relation_size('s21.t') AS both_count
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's21';
COMMIT;
-- after the commit the old files are gone and the catalog tells the rest
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s21.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's21';
SELECT diskquota.set_schema_quota('s21', '-1');
SELECT diskquota.set_role_quota('dq_r21', '-1');
DROP SCHEMA s21 CASCADE;
DROP ROLE dq_r21;
