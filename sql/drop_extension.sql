-- DROP EXTENSION stops enforcement at once and stops the worker; CREATE
-- EXTENSION again starts it without a restart.
\set VERBOSITY terse
CREATE SCHEMA s18;
CREATE TABLE s18.t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s18', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s18.t VALUES (1);
DROP EXTENSION diskquota;
INSERT INTO s18.t VALUES (1);
CREATE EXTENSION diskquota;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state FROM diskquota.status() WHERE database_name = current_database();
-- the quotas went with the extension
SELECT count(*) FROM diskquota.quota_config;
INSERT INTO s18.t VALUES (1);
-- a rolled-back DROP EXTENSION changes nothing
SELECT diskquota.set_schema_quota('s18', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
DROP EXTENSION diskquota;
ROLLBACK;
INSERT INTO s18.t VALUES (1);
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s18.t VALUES (1);
-- ... and so does one rolled back to a savepoint: the quotas stay enforced
BEGIN;
SAVEPOINT before_drop;
DROP EXTENSION diskquota;
ROLLBACK TO SAVEPOINT before_drop;
COMMIT;
INSERT INTO s18.t VALUES (1);
SELECT diskquota.set_schema_quota('s18', '-1');
DROP SCHEMA s18 CASCADE;
-- a rolled-back CREATE EXTENSION changes nothing: no quota stays, nothing
-- is refused, and a later CREATE EXTENSION starts from no quotas
CREATE SCHEMA s19;
CREATE TABLE s19.t AS SELECT generate_series(1, 100000) AS i;
DROP EXTENSION diskquota;
BEGIN;
CREATE EXTENSION diskquota;
SELECT diskquota.set_schema_quota('s19', '1 MB');
ROLLBACK;
INSERT INTO s19.t VALUES (1);
CREATE EXTENSION diskquota;
SELECT count(*) FROM diskquota.quota_config;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT state FROM diskquota.status() WHERE database_name = current_database();
INSERT INTO s19.t VALUES (1);
DROP SCHEMA s19 CASCADE;
