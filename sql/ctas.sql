-- Statements that create and fill relations are refused into a full schema
-- or for a full role.
\set VERBOSITY terse
CREATE SCHEMA s14;
CREATE TABLE s14.t(i int);
CREATE MATERIALIZED VIEW s14.mv AS SELECT 1 AS i WITH NO DATA;
INSERT INTO s14.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s14', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
CREATE TABLE s14.ctas AS SELECT 1 AS i;
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS i INTO s14.selinto;
CREATE MATERIALIZED VIEW s14.mv2 AS SELECT 1 AS i;
REFRESH MATERIALIZED VIEW s14.mv;
CREATE INDEX ON s14.t(i);
-- ALTER TABLE commands that build an index or rewrite the table
ALTER TABLE s14.t ADD PRIMARY KEY (i);
ALTER TABLE s14.t ADD CONSTRAINT t_i_key UNIQUE (i);
ALTER TABLE s14.t ALTER COLUMN i TYPE bigint;
ALTER TABLE s14.t SET UNLOGGED;
-- ... while other ALTER TABLE commands are allowed
ALTER TABLE s14.t ADD COLUMN j int;
ALTER TABLE s14.t DROP COLUMN j;
-- with the schema on the search path
SET search_path TO s14;
CREATE TABLE ctas2 AS SELECT 1 AS i;
RESET search_path;
-- creating empty relations loads nothing: allowed
CREATE TABLE s14.empty(i int);
CREATE TABLE s14.nodata AS SELECT 1 AS i WITH NO DATA;
-- a role over its quota cannot create and fill a table anywhere
CREATE ROLE dq_r14 NOLOGIN;
CREATE SCHEMA s14_open AUTHORIZATION dq_r14;
SET ROLE dq_r14;
CREATE TABLE s14_open.big AS SELECT generate_series(1, 100000) AS i;
RESET ROLE;
SELECT diskquota.set_role_quota('dq_r14', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_r14;
CREATE TABLE s14_open.more AS SELECT 1 AS i;
CREATE TEMP TABLE tmore AS SELECT 1 AS i;
RESET ROLE;
\set VERBOSITY default
DROP SCHEMA s14, s14_open CASCADE;
SELECT diskquota.set_role_quota('dq_r14', '-1');
DROP ROLE dq_r14;
