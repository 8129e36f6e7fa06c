-- Moving existing data into a target is refused when the target's quota is
-- reached or the move would exceed it: SET SCHEMA into a schema, OWNER TO
-- and REASSIGN OWNED to a role (by someone who is not a superuser).
CREATE SCHEMA s_mvf;
CREATE SCHEMA s_mvb;
CREATE ROLE dq_mv NOLOGIN;
CREATE ROLE dq_mv_to NOLOGIN;
GRANT dq_mv_to TO dq_mv;
GRANT ALL ON SCHEMA s_mvf, s_mvb TO dq_mv, dq_mv_to;
SET ROLE dq_mv;
CREATE TABLE s_mvb.a AS SELECT generate_series(1, 100000) AS i;
CREATE TABLE s_mvb.b AS SELECT generate_series(1, 100000) AS i;
CREATE INDEX ON s_mvb.b(i);
CREATE TABLE s_mvb.small(i int);
INSERT INTO s_mvb.small VALUES (1);
CREATE TABLE s_mvb.small2(i int);
CREATE MATERIALIZED VIEW s_mvb.m AS SELECT generate_series(1, 100000) AS i;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_mvf', '5 MB');
SELECT diskquota.set_role_quota('dq_mv_to', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_mv;
-- fits: moved
ALTER TABLE s_mvb.a SET SCHEMA s_mvf;
ALTER TABLE s_mvb.small SET SCHEMA s_mvf;
-- would put the schema over its quota (it is not over yet): refused
ALTER TABLE s_mvb.b SET SCHEMA s_mvf;
\echo :LAST_ERROR_SQLSTATE
ALTER MATERIALIZED VIEW s_mvb.m SET SCHEMA s_mvf;
ALTER TABLE s_mvb.m SET SCHEMA s_mvf;
RESET ROLE;
-- a superuser's move is refused the same way
ALTER TABLE s_mvb.b SET SCHEMA s_mvf;
-- the issue's attack: repeated moves into a schema at its quota
SELECT diskquota.set_schema_quota('s_mvf', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_mv;
ALTER TABLE s_mvb.small2 SET SCHEMA s_mvf;
ALTER TABLE IF EXISTS s_mvb.nosuch SET SCHEMA s_mvf;
-- OWNER TO a role whose quota the table would exceed
ALTER TABLE s_mvb.b OWNER TO dq_mv_to;
ALTER MATERIALIZED VIEW s_mvb.m OWNER TO dq_mv_to;
-- an empty table fits
ALTER TABLE s_mvb.small2 OWNER TO dq_mv_to;
RESET ROLE;
-- a superuser hands tables to tenants
ALTER TABLE s_mvb.b OWNER TO dq_mv_to;
SELECT diskquota.wait_for_worker_new_epoch();
-- the role is now over its quota: REASSIGN OWNED to it is refused
SET ROLE dq_mv;
REASSIGN OWNED BY dq_mv TO dq_mv_to;
RESET ROLE;
SELECT c.relname, n.nspname, r.rolname FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
 WHERE n.nspname IN ('s_mvf', 's_mvb') AND c.relkind IN ('r', 'm')
 ORDER BY c.relname COLLATE "C";
DROP SCHEMA s_mvf, s_mvb CASCADE;
SELECT diskquota.set_role_quota('dq_mv_to', '-1');
DROP ROLE dq_mv, dq_mv_to;
