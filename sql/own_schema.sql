-- The extension's own schema.  A database owner who is not a superuser
-- creates schema diskquota before a superuser runs CREATE EXTENSION, with
-- an operator in it that the extension's views would bind: CREATE
-- EXTENSION is refused, as long as the schema is not a superuser's and
-- empty.
SELECT current_user AS su, current_database() AS dbname \gset
SELECT datdba::regrole AS olddba FROM pg_database WHERE datname = current_database() \gset
CREATE ROLE dq_dbo2 LOGIN;
ALTER DATABASE :"dbname" OWNER TO dq_dbo2;
-- DROP EXTENSION leaves the schema it created
DROP EXTENSION diskquota;
DROP SCHEMA diskquota;
SET ROLE dq_dbo2;
CREATE SCHEMA diskquota;
CREATE FUNCTION diskquota.ev(oid, regnamespace) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('is_superuser') = 'on' THEN
        EXECUTE 'ALTER ROLE dq_dbo2 SUPERUSER';
    END IF;
    RETURN $1 OPERATOR(pg_catalog.=) $2::oid;
END
$$;
CREATE OPERATOR diskquota.= (LEFTARG = oid, RIGHTARG = regnamespace, FUNCTION = diskquota.ev);
RESET ROLE;
CREATE EXTENSION diskquota;
\echo :LAST_ERROR_SQLSTATE
-- owned by a superuser now, but not empty
ALTER SCHEMA diskquota OWNER TO :"su";
CREATE EXTENSION diskquota;
\echo :LAST_ERROR_SQLSTATE
-- emptied: what pg_restore does (CREATE SCHEMA, then CREATE EXTENSION)
DROP OPERATOR diskquota.= (oid, regnamespace);
DROP FUNCTION diskquota.ev(oid, regnamespace);
CREATE EXTENSION diskquota;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.show_schema_quota_view;
SELECT rolsuper FROM pg_roles WHERE rolname = 'dq_dbo2';

-- ALTER EXTENSION ... UPDATE is refused too when the schema holds objects
-- that are not the extension's, or is not a superuser's.
DROP EXTENSION diskquota;
CREATE EXTENSION diskquota VERSION '1.0';
CREATE FUNCTION diskquota.planted() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER EXTENSION diskquota UPDATE;
DROP FUNCTION diskquota.planted();
ALTER SCHEMA diskquota OWNER TO dq_dbo2;
ALTER EXTENSION diskquota UPDATE;
ALTER SCHEMA diskquota OWNER TO :"su";
ALTER EXTENSION diskquota UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'diskquota';

-- The extension's objects are found through the extension, never by name:
-- with its schema renamed away and an empty quota_config planted in a new
-- schema diskquota, the quotas are still enforced, and set by the
-- functions in the extension's own table.
CREATE SCHEMA s_own;
CREATE TABLE s_own.t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s_own', '1 MB');
ALTER SCHEMA diskquota RENAME TO dq_moved;
CREATE SCHEMA diskquota;
CREATE TABLE diskquota.quota_config (LIKE dq_moved.quota_config);
CREATE TABLE diskquota.pause_state (LIKE dq_moved.pause_state);
INSERT INTO diskquota.pause_state VALUES (now());
SELECT dq_moved.wait_for_worker_new_epoch();
SELECT state FROM dq_moved.status() WHERE database_name = current_database();
\set VERBOSITY terse
INSERT INTO s_own.t VALUES (1);
\set VERBOSITY default
SELECT dq_moved.set_schema_quota('s_own', '2 MB');
SELECT dq_moved.pause();
SELECT dq_moved.resume();
SELECT count(*) FROM diskquota.quota_config;
SELECT count(*) FROM diskquota.pause_state;
SELECT quota_type, schema_id, quota_in_bytes FROM dq_moved.quota_config;
SELECT dq_moved.wait_for_worker_new_epoch();
\set VERBOSITY terse
INSERT INTO s_own.t VALUES (1);
\set VERBOSITY default
-- a new CREATE EXTENSION is refused while that schema is there
DROP EXTENSION diskquota;
CREATE EXTENSION diskquota;
DROP SCHEMA diskquota CASCADE;
CREATE EXTENSION diskquota;
SELECT diskquota.wait_for_worker_new_epoch();

-- clean up
ALTER DATABASE :"dbname" OWNER TO :"olddba";
DROP ROLE dq_dbo2;
DROP SCHEMA s_own CASCADE;
DROP SCHEMA dq_moved;
