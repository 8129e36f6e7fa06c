-- Moving existing data into a target is refused when the target's quota is
-- reached or the move would exceed it: SET SCHEMA into a schema, OWNER TO
-- and REASSIGN OWNED to a role (by someone who is not a superuser).
\set VERBOSITY terse
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
-- fits: moved (the small table first: a backend counts its own committed
-- moves until the worker has surely seen them, and may count them twice
-- meanwhile, which errs on the side of refusing)
ALTER TABLE s_mvb.small SET SCHEMA s_mvf;
ALTER TABLE s_mvb.a SET SCHEMA s_mvf;
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
\set VERBOSITY default
DROP SCHEMA s_mvf, s_mvb CASCADE;
\set VERBOSITY terse
SELECT diskquota.set_role_quota('dq_mv_to', '-1');
DROP ROLE dq_mv, dq_mv_to;
-- Several moves, each fitting alone, may not exceed the quota together: in
-- one transaction, or committed before the worker has seen them.  REASSIGN
-- OWNED and SET TABLESPACE (also ALL IN TABLESPACE) count what they move.
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE dq_ts_mv LOCATION '';
RESET allow_in_place_tablespaces;
CREATE SCHEMA s_mv2;
CREATE SCHEMA s_mv2src;
CREATE ROLE dq_mv2 NOLOGIN;
CREATE ROLE dq_mv2_to NOLOGIN;
GRANT dq_mv2_to TO dq_mv2;
GRANT ALL ON SCHEMA s_mv2, s_mv2src TO dq_mv2, dq_mv2_to;
GRANT CREATE ON TABLESPACE dq_ts_mv TO dq_mv2;
SET ROLE dq_mv2;
CREATE TABLE s_mv2src.a1 AS SELECT generate_series(1, 20000) AS i;
CREATE TABLE s_mv2src.a2 AS SELECT generate_series(1, 20000) AS i;
CREATE TABLE s_mv2src.a3 AS SELECT generate_series(1, 20000) AS i;
RESET ROLE;
SELECT pg_total_relation_size('s_mv2src.a1') * 2 < 2 * 1024 * 1024 AS two_fit,
       pg_total_relation_size('s_mv2src.a1') * 3 > 2 * 1024 * 1024 AS three_do_not;
SELECT diskquota.set_schema_quota('s_mv2', '2 MB');
SELECT diskquota.set_role_quota('dq_mv2_to', '2 MB');
SELECT diskquota.set_schema_tablespace_quota('s_mv2src', 'dq_ts_mv', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_mv2;
BEGIN;
ALTER TABLE s_mv2src.a1 SET SCHEMA s_mv2;
ALTER TABLE s_mv2src.a2 SET SCHEMA s_mv2;
ALTER TABLE s_mv2src.a3 SET SCHEMA s_mv2;
ROLLBACK;
BEGIN;
ALTER TABLE s_mv2src.a1 OWNER TO dq_mv2_to;
ALTER TABLE s_mv2src.a2 OWNER TO dq_mv2_to;
ALTER TABLE s_mv2src.a3 OWNER TO dq_mv2_to;
ROLLBACK;
-- REASSIGN OWNED moves the three tables at once
REASSIGN OWNED BY dq_mv2 TO dq_mv2_to;
-- moves committed one by one: two fit, the third is refused.  Each commit
-- wakes the worker; if its refresh completes between the first two moves,
-- the first is counted twice until the next refresh (a backend counts its
-- own moves until a refresh that started after them has completed), and
-- the second is refused for a while: it then passes after that refresh.
ALTER TABLE s_mv2src.a1 SET SCHEMA s_mv2;
DO $$
BEGIN
    ALTER TABLE s_mv2src.a2 SET SCHEMA s_mv2;
EXCEPTION WHEN disk_full THEN
    RESET ROLE;
    PERFORM diskquota.wait_for_worker_new_epoch();
    PERFORM diskquota.wait_for_worker_new_epoch();
    SET ROLE dq_mv2;
    ALTER TABLE s_mv2src.a2 SET SCHEMA s_mv2;
END
$$;
ALTER TABLE s_mv2src.a3 SET SCHEMA s_mv2;
-- SET TABLESPACE: into a 1 MB quota of the schema there, one table fits,
-- not two
ALTER TABLE s_mv2.a1 SET SCHEMA s_mv2src;
ALTER TABLE s_mv2src.a3 SET TABLESPACE dq_ts_mv;
ALTER TABLE s_mv2src.a1 SET TABLESPACE dq_ts_mv;
ALTER TABLE ALL IN TABLESPACE pg_default OWNED BY dq_mv2 SET TABLESPACE dq_ts_mv;
RESET ROLE;
SELECT c.relname, n.nspname, r.rolname, t.spcname FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
  LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace
 WHERE n.nspname IN ('s_mv2', 's_mv2src') AND c.relkind IN ('r', 'm')
 ORDER BY c.relname COLLATE "C";
\set VERBOSITY default
DROP SCHEMA s_mv2, s_mv2src CASCADE;
SELECT diskquota.set_role_quota('dq_mv2_to', '-1');
DROP TABLESPACE dq_ts_mv;
DROP ROLE dq_mv2, dq_mv2_to;
