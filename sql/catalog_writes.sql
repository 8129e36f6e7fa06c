-- Over a database quota, statements that add to the catalogs are refused;
-- those that drop or free, and those whose statements are checked where
-- they run, are not.
\set VERBOSITY terse
CREATE SCHEMA s_cw;
CREATE ROLE dq_cw NOLOGIN;
GRANT ALL ON SCHEMA s_cw TO dq_cw;
SET ROLE dq_cw;
CREATE TABLE s_cw.t AS SELECT generate_series(1, 100000) AS i;
ALTER TABLE s_cw.t ADD COLUMN gone int;
CREATE FUNCTION s_cw.old() RETURNS int LANGUAGE sql AS 'SELECT 1';
COMMENT ON TABLE s_cw.t IS 'before';
CREATE MATERIALIZED VIEW s_cw.mv AS SELECT 1 AS i;
CREATE STATISTICS s_cw.st ON (i + 1), (i + 2) FROM s_cw.t;
GRANT SELECT ON s_cw.t TO PUBLIC;
CREATE FUNCTION s_cw.trg() RETURNS trigger LANGUAGE plpgsql AS
  'BEGIN RETURN NEW; END';
CREATE TRIGGER trg BEFORE INSERT ON s_cw.t FOR EACH ROW EXECUTE FUNCTION s_cw.trg();
CREATE RULE r AS ON UPDATE TO s_cw.t DO ALSO NOTIFY dq_cw_chan;
ALTER TABLE s_cw.t SET (fillfactor = 90);
ALTER TABLE s_cw.t ALTER COLUMN i SET (n_distinct = 10);
RESET ROLE;
SELECT diskquota.set_database_quota('1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_cw;
-- the attacks: catalog rows of any size
COMMENT ON TABLE s_cw.t IS 'a long text';
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION s_cw.f() RETURNS text LANGUAGE sql AS 'SELECT ''a long body''';
CREATE OR REPLACE FUNCTION s_cw.old() RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE TABLE s_cw.n(i int);
CREATE VIEW s_cw.v AS SELECT 1 AS i;
CREATE TYPE s_cw.ty AS (a int);
GRANT SELECT ON s_cw.t TO PUBLIC;
ALTER TABLE s_cw.t ADD COLUMN j int;
ALTER TABLE s_cw.t RENAME COLUMN gone TO gone2;
ALTER FUNCTION s_cw.old() RENAME TO old2;
SECURITY LABEL ON TABLE s_cw.t IS 'x';
CREATE TABLE s_cw.nodata AS SELECT 1 AS i WITH NO DATA;
EXPLAIN (ANALYZE, COSTS off, TIMING off, SUMMARY off)
  CREATE MATERIALIZED VIEW s_cw.nodata AS SELECT 1 AS i WITH NO DATA;
-- ANALYZE writes statistics of any size (extended statistics on
-- expressions, a high statistics target)
ANALYZE s_cw.t;
VACUUM (ANALYZE) s_cw.t;
VACUUM (ANALYZE false, ANALYZE) s_cw.t;
-- statements that rewrite catalog rows without dropping anything: each
-- leaves dead row versions, even when nothing changes, so repeated they
-- would grow the catalogs without end (attack round 3, R5)
REVOKE SELECT ON s_cw.t FROM PUBLIC;
REVOKE SELECT ON ALL TABLES IN SCHEMA s_cw FROM dq_cw;
REVOKE ALL ON SCHEMA s_cw FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION s_cw.old() FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA s_cw REVOKE SELECT ON TABLES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
REASSIGN OWNED BY dq_cw TO dq_cw;
ALTER TABLE s_cw.t DISABLE TRIGGER trg;
ALTER TABLE s_cw.t DISABLE TRIGGER ALL;
ALTER TABLE s_cw.t DISABLE RULE r;
ALTER TABLE s_cw.t DISABLE ROW LEVEL SECURITY;
ALTER TABLE s_cw.t NO FORCE ROW LEVEL SECURITY;
ALTER TABLE s_cw.t RESET (fillfactor);
ALTER TABLE s_cw.t ALTER COLUMN i RESET (n_distinct);
DO $$ BEGIN FOR k IN 1..3 LOOP REVOKE SELECT ON s_cw.t FROM dq_cw; END LOOP; END $$;
-- nested in DO: refused where it runs
DO $$ BEGIN EXECUTE 'CREATE TABLE s_cw.viado(i int)'; END $$;
-- allowed: drop or free, settings, transaction control, cursors
COMMENT ON TABLE s_cw.t IS '';
COMMENT ON TABLE s_cw.t IS NULL;
REFRESH MATERIALIZED VIEW s_cw.mv WITH NO DATA;
VACUUM (ANALYZE false) s_cw.t;
BEGIN;
SET LOCAL work_mem = '4MB';
SHOW work_mem;
SAVEPOINT a;
RELEASE a;
DECLARE cur CURSOR FOR SELECT 1 AS i;
FETCH cur;
CLOSE cur;
COMMIT;
RESET work_mem;
LISTEN dq_cw_chan;
UNLISTEN dq_cw_chan;
NOTIFY dq_cw_chan;
PREPARE p AS SELECT 1 AS i;
EXECUTE p;
DEALLOCATE p;
DO $$ BEGIN PERFORM 1; END $$;
EXPLAIN (COSTS off) SELECT 1 AS i;
DELETE FROM s_cw.t WHERE i <= 10;
ALTER TABLE s_cw.t DROP COLUMN gone;
VACUUM s_cw.t;
DROP FUNCTION s_cw.old();
RESET ROLE;
-- a superuser is refused too, and can always change the quota
CREATE TABLE s_cw.su(i int);
REVOKE SELECT ON s_cw.t FROM PUBLIC;
-- but not from statements that write only shared catalogs, which no quota
-- counts
CREATE ROLE dq_cw2 NOLOGIN;
ALTER ROLE dq_cw2 CONNECTION LIMIT 1;
ALTER ROLE dq_cw2 SET work_mem = '1MB';
ALTER ROLE dq_cw2 RENAME TO dq_cw3;
COMMENT ON ROLE dq_cw3 IS 'a role';
GRANT dq_cw TO dq_cw3;
REVOKE dq_cw FROM dq_cw3;
CREATE DATABASE dq_cw_db;
ALTER DATABASE dq_cw_db CONNECTION LIMIT 1;
GRANT CONNECT ON DATABASE dq_cw_db TO dq_cw;
REVOKE CONNECT ON DATABASE dq_cw_db FROM dq_cw;
ALTER DATABASE dq_cw_db OWNER TO dq_cw;
DROP DATABASE dq_cw_db;
DROP ROLE dq_cw3;
SELECT diskquota.set_database_quota('-1');
SELECT diskquota.wait_for_worker_new_epoch();
CREATE TABLE s_cw.su(i int);
\set VERBOSITY default
DROP SCHEMA s_cw CASCADE;
DROP ROLE dq_cw;
