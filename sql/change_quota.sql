-- Raising, lowering and removing a quota take effect at the next refresh.
\set VERBOSITY terse
CREATE SCHEMA s9;
CREATE TABLE s9.t(i int);
INSERT INTO s9.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s9', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s9.t VALUES (1);
SELECT diskquota.set_schema_quota('s9', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s9.t VALUES (1);
SELECT diskquota.set_schema_quota('s9', '10 MB');
SELECT schema_name, quota_in_mb FROM diskquota.show_schema_quota_view WHERE schema_name = 's9';
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s9.t VALUES (1);
SELECT diskquota.set_schema_quota('s9', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s9.t VALUES (1);
SELECT diskquota.set_schema_quota('s9', '-1');
SELECT count(*) FROM diskquota.show_schema_quota_view WHERE schema_name = 's9';
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s9.t VALUES (1);
-- a quota of zero refuses every load, even into an empty schema
CREATE SCHEMA s9_zero;
CREATE TABLE s9_zero.t(i int);
SELECT diskquota.set_schema_quota('s9_zero', '0');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s9_zero.t VALUES (1);
\set VERBOSITY default
DROP SCHEMA s9, s9_zero CASCADE;
