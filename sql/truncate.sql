-- TRUNCATE frees the usage; a rolled-back TRUNCATE does not.
\set VERBOSITY terse
CREATE SCHEMA s8;
CREATE TABLE s8.t(i int);
INSERT INTO s8.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s8', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s8.t VALUES (1);
BEGIN;
TRUNCATE s8.t;
ROLLBACK;
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s8.t VALUES (1);
-- TRUNCATE itself is never refused
TRUNCATE s8.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes AS usage
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's8';
INSERT INTO s8.t VALUES (1);
DROP SCHEMA s8 CASCADE;
