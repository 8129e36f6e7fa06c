-- A tenant whose role is over its quota cannot write through any path.
-- Each attempt below is refused before it starts.
\set VERBOSITY terse
CREATE ROLE dq_r27 LOGIN;
CREATE ROLE dq_r27_other NOLOGIN;
GRANT dq_r27_other TO dq_r27;
CREATE SCHEMA s27 AUTHORIZATION dq_r27;
CREATE SCHEMA s27_other AUTHORIZATION dq_r27;
GRANT USAGE, CREATE ON SCHEMA s27, s27_other TO dq_r27_other;
SET ROLE dq_r27;
CREATE TABLE s27.fill(i int);
CREATE TABLE s27.small(i int, v text);
INSERT INTO s27.fill SELECT generate_series(1, 100000);
RESET ROLE;
SELECT diskquota.set_role_quota('dq_r27', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT role_name, rolsize_in_bytes > quota_in_bytes AS over
  FROM diskquota.show_role_quota_view WHERE role_name = 'dq_r27';
SET ROLE dq_r27;
-- temporary tables
CREATE TEMP TABLE tmp27 AS SELECT 1 AS i;
CREATE TEMP TABLE tmp27b(i int);
INSERT INTO tmp27b VALUES (1);
-- unlogged tables
CREATE UNLOGGED TABLE s27.unlogged(i int);
INSERT INTO s27.unlogged VALUES (1);
-- materialized views
CREATE MATERIALIZED VIEW s27.mv AS SELECT 1 AS i;
-- indexes
CREATE INDEX ON s27.fill(i);
-- TOAST: a large value into a small table
UPDATE s27.small SET v = repeat('x', 100000);
INSERT INTO s27.small VALUES (1, repeat('x', 100000));
-- a partition in another schema, reached through its parent
CREATE TABLE s27.parted(i int) PARTITION BY RANGE (i);
CREATE TABLE s27_other.part PARTITION OF s27.parted FOR VALUES FROM (0) TO (100);
INSERT INTO s27.parted VALUES (1);
-- CREATE TABLE AS into another schema it owns
CREATE TABLE s27_other.copy AS SELECT * FROM s27.fill;
SELECT * INTO s27_other.copy2 FROM s27.fill;
-- a table handed to another role is charged to that role, and the schema
-- quota still counts it: with a quota on the schema too, the load is
-- refused
RESET ROLE;
SELECT diskquota.set_schema_quota('s27', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_r27;
ALTER TABLE s27.fill OWNER TO dq_r27_other;
INSERT INTO s27.fill VALUES (1);
RESET ROLE;
-- a SECURITY DEFINER function owned by a superuser writes in the name of
-- the superuser, but into the tenant's table: charged to the table's owner
ALTER TABLE s27.fill OWNER TO dq_r27;
CREATE FUNCTION public.dq27_definer() RETURNS void LANGUAGE sql SECURITY DEFINER
  AS 'INSERT INTO s27.fill VALUES (1)';
GRANT EXECUTE ON FUNCTION public.dq27_definer() TO dq_r27;
SET ROLE dq_r27;
\set VERBOSITY default
SELECT public.dq27_definer();
\set VERBOSITY terse
-- a long transaction: what it wrote counts before it commits
RESET ROLE;
SELECT diskquota.set_role_quota('dq_r27', '-1');
SELECT diskquota.set_schema_quota('s27', '-1');
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT diskquota.set_role_quota('dq_r27_other', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
SET LOCAL ROLE dq_r27_other;
CREATE TABLE s27_other.long(i int);
INSERT INTO s27_other.long SELECT generate_series(1, 100000);
RESET ROLE;
-- another session lowers the quota below what the transaction wrote
SELECT dblink_exec('dbname=' || current_database(),
                   $x$DO $q$ BEGIN PERFORM diskquota.set_role_quota('dq_r27_other', '2 MB'); END $q$$x$);
SELECT diskquota.wait_for_worker_new_epoch();
SET LOCAL ROLE dq_r27_other;
INSERT INTO s27_other.long VALUES (1);
ROLLBACK;
RESET ROLE;
DROP FUNCTION public.dq27_definer();
SELECT diskquota.set_role_quota('dq_r27_other', '-1');
\set VERBOSITY default
DROP SCHEMA s27, s27_other CASCADE;
DROP ROLE dq_r27_other;
DROP ROLE dq_r27;
