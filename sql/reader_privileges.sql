-- Functions a DBA may grant to someone who is not a superuser reveal no
-- more than that role may see: relation_size() needs SELECT on the
-- relation, status() shows only the databases it may connect to.
CREATE ROLE dq_reader LOGIN;
GRANT USAGE ON SCHEMA diskquota TO dq_reader;
GRANT EXECUTE ON FUNCTION diskquota.relation_size(regclass), diskquota.status() TO dq_reader;
CREATE TABLE public.dq_secret AS SELECT generate_series(1, 1000) AS i;
SET ROLE dq_reader;
SELECT diskquota.relation_size('public.dq_secret');
\echo :LAST_ERROR_SQLSTATE
-- a system catalog the role may read
SELECT diskquota.relation_size('pg_catalog.pg_class') > 0 AS ok;
RESET ROLE;
GRANT SELECT ON public.dq_secret TO dq_reader;
SET ROLE dq_reader;
SELECT diskquota.relation_size('public.dq_secret') = pg_total_relation_size('public.dq_secret') AS ok;
-- status(): the superuser sees every listed database, the reader those it
-- may connect to (a listed database that does not exist is not one)
RESET ROLE;
SELECT database_name, state FROM diskquota.status() ORDER BY database_name COLLATE "C";
SET ROLE dq_reader;
SELECT database_name, state FROM diskquota.status() ORDER BY database_name COLLATE "C";
RESET ROLE;
SELECT current_database() AS dbname \gset
REVOKE CONNECT ON DATABASE :"dbname" FROM PUBLIC;
SET ROLE dq_reader;
SELECT database_name, state FROM diskquota.status() ORDER BY database_name COLLATE "C";
RESET ROLE;
GRANT CONNECT ON DATABASE :"dbname" TO PUBLIC;
DROP TABLE public.dq_secret;
REVOKE ALL ON FUNCTION diskquota.relation_size(regclass), diskquota.status() FROM dq_reader;
REVOKE ALL ON SCHEMA diskquota FROM dq_reader;
DROP ROLE dq_reader;
