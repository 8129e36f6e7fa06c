-- Every ALTER TABLE subcommand that can add data is refused over quota:
-- rewrites and index builds, also those that column definitions and ATTACH
-- PARTITION cause.  Those known to write no data stay allowed.
\set VERBOSITY terse
CREATE SCHEMA s_at;
CREATE TABLE s_at.t(i int);
INSERT INTO s_at.t SELECT generate_series(1, 100000);
CREATE TABLE s_at.other(i int);
CREATE MATERIALIZED VIEW s_at.mv AS SELECT 1 AS i;
CREATE TABLE s_at.parent(i int PRIMARY KEY) PARTITION BY RANGE (i);
CREATE SCHEMA s_at_open;
CREATE TABLE s_at_open.part(i int NOT NULL);
CREATE TABLE s_at_open.parent(i int PRIMARY KEY) PARTITION BY RANGE (i);
CREATE FUNCTION s_at.vol() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 1';
CREATE DOMAIN s_at.checked AS int CHECK (VALUE > 0);
SELECT diskquota.set_schema_quota('s_at', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- rewrites
ALTER TABLE s_at.t ADD COLUMN pad text GENERATED ALWAYS AS (repeat('x', 1000)) STORED;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE s_at.t ADD COLUMN v int DEFAULT s_at.vol();
ALTER TABLE s_at.t ADD COLUMN r float8 DEFAULT random();
ALTER TABLE s_at.t ADD COLUMN id int GENERATED ALWAYS AS IDENTITY;
ALTER TABLE s_at.t ADD COLUMN s serial;
ALTER TABLE s_at.t ADD COLUMN d s_at.checked DEFAULT 1;
ALTER TABLE s_at.t ALTER COLUMN i TYPE bigint;
ALTER TABLE s_at.t SET LOGGED;
ALTER TABLE s_at.t SET ACCESS METHOD heap;
ALTER MATERIALIZED VIEW s_at.mv SET ACCESS METHOD heap;
ALTER TABLE s_at.mv SET ACCESS METHOD heap;
-- index builds from column constraints
ALTER TABLE s_at.t ADD COLUMN k bigserial PRIMARY KEY;
ALTER TABLE s_at.t ADD COLUMN u int UNIQUE;
ALTER TABLE s_at.t ADD COLUMN e int, ADD EXCLUDE (i WITH =);
-- ATTACH PARTITION builds the parent's indexes on the table attached, which
-- is charged: a table of the full schema attached to a parent elsewhere
ALTER TABLE s_at_open.parent ATTACH PARTITION s_at.other FOR VALUES FROM (0) TO (10);
-- and a table elsewhere attached to a parent in the full schema is not
ALTER TABLE s_at.parent ATTACH PARTITION s_at_open.part FOR VALUES FROM (0) TO (10);
ALTER TABLE s_at.parent DETACH PARTITION s_at_open.part;
-- allowed: no default, literal defaults, constraints that only read,
-- and the subcommands that write no data
ALTER TABLE s_at.t ADD COLUMN a int;
ALTER TABLE s_at.t ADD COLUMN b int DEFAULT 5;
ALTER TABLE s_at.t ADD COLUMN c text DEFAULT 'abc' NOT NULL;
ALTER TABLE s_at.t ADD COLUMN c2 date DEFAULT '2020-01-01'::date CHECK (c2 > '2000-01-01');
ALTER TABLE s_at.t ALTER COLUMN a SET DEFAULT 3, ALTER COLUMN a SET STATISTICS 10;
ALTER TABLE s_at.t ADD CONSTRAINT pos CHECK (i > 0);
ALTER TABLE s_at.t ADD COLUMN g int NOT NULL DEFAULT 0;
ALTER TABLE s_at.t ALTER COLUMN g DROP DEFAULT;
ALTER TABLE s_at.t ALTER COLUMN g ADD GENERATED ALWAYS AS IDENTITY;
ALTER TABLE s_at.t SET (fillfactor = 90), ENABLE ROW LEVEL SECURITY;
ALTER TABLE s_at.t DROP COLUMN a, DROP COLUMN b, DROP COLUMN g, DROP CONSTRAINT pos;
SELECT count(*) AS columns FROM pg_attribute
 WHERE attrelid = 's_at.t'::regclass AND attnum > 0 AND NOT attisdropped;
\set VERBOSITY default
DROP SCHEMA s_at, s_at_open CASCADE;
