-- Utility statements that write into relations other than the one they
-- name, or build indexes in a tablespace other than the table's, are
-- checked against every relation they write and every tablespace they
-- write into.
\set VERBOSITY terse
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE dq_ts_rec LOCATION '';
RESET allow_in_place_tablespaces;
CREATE SCHEMA s_rec;
CREATE SCHEMA s_rec_open;
CREATE TABLE s_rec.big(i int) TABLESPACE dq_ts_rec;
INSERT INTO s_rec.big SELECT generate_series(1, 100000);
CREATE SCHEMA s_rec_full;
CREATE TABLE s_rec_full.fill(i int);
INSERT INTO s_rec_full.fill SELECT generate_series(1, 100000);
-- 1. a plain-inheritance child in the full schema, its parent elsewhere
CREATE TABLE s_rec_open.ipar(i int, pad text);
CREATE TABLE s_rec_full.ichild() INHERITS (s_rec_open.ipar);
INSERT INTO s_rec_full.ichild SELECT g, 'x' FROM generate_series(1, 1000) g;
-- 2. a typed table in the full schema, its type elsewhere
CREATE TYPE s_rec_open.ct AS (i int, pad text);
CREATE TABLE s_rec_full.typed OF s_rec_open.ct;
INSERT INTO s_rec_full.typed SELECT g, 'x' FROM generate_series(1, 1000) g;
-- 3. a partitioned table elsewhere whose partition is in s_rec (in the
-- default tablespace, where it has no quota)
CREATE TABLE s_rec_open.ppar(i int) PARTITION BY RANGE (i);
CREATE TABLE s_rec.ppart PARTITION OF s_rec_open.ppar FOR VALUES FROM (0) TO (100000);
INSERT INTO s_rec.ppart SELECT generate_series(1, 1000);
-- 4. a table of s_rec in the default tablespace
CREATE TABLE s_rec.plain(i int);
INSERT INTO s_rec.plain SELECT generate_series(1, 1000);
SELECT diskquota.set_schema_quota('s_rec_full', '1 MB');
SELECT diskquota.set_schema_tablespace_quota('s_rec', 'dq_ts_rec', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- 1. ALTER TABLE of the parent rewrites or indexes the child: refused,
-- unless ONLY the parent is altered
ALTER TABLE s_rec_open.ipar ALTER COLUMN pad TYPE varchar(100);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE s_rec_open.ipar ADD COLUMN r float8 DEFAULT random();
ALTER TABLE s_rec_open.ipar ADD COLUMN k int UNIQUE;
ALTER TABLE ONLY s_rec_open.ipar ADD UNIQUE (i);
-- 2. ALTER TYPE ... CASCADE rewrites the typed table: refused
ALTER TYPE s_rec_open.ct ALTER ATTRIBUTE pad TYPE varchar(100) CASCADE;
-- 3. CREATE INDEX ... TABLESPACE on the partitioned table builds the
-- partition's index in dq_ts_rec, where s_rec is over: refused
CREATE INDEX ppar_i ON s_rec_open.ppar(i) TABLESPACE dq_ts_rec;
SET default_tablespace = dq_ts_rec;
CREATE INDEX ppar_i ON s_rec_open.ppar(i);
RESET default_tablespace;
CREATE INDEX ppar_i ON s_rec_open.ppar(i);
-- 4. ADD PRIMARY KEY / UNIQUE builds its index in USING INDEX TABLESPACE
-- or default_tablespace: refused there
ALTER TABLE s_rec.plain ADD PRIMARY KEY (i) USING INDEX TABLESPACE dq_ts_rec;
ALTER TABLE s_rec.plain ADD UNIQUE (i) USING INDEX TABLESPACE dq_ts_rec;
ALTER TABLE s_rec.plain ADD COLUMN u int UNIQUE USING INDEX TABLESPACE dq_ts_rec;
SET default_tablespace = dq_ts_rec;
ALTER TABLE s_rec.plain ADD UNIQUE (i);
RESET default_tablespace;
ALTER TABLE s_rec.plain ADD UNIQUE (i);
-- nothing of the refused statements was kept
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('s_rec', 's_rec_open', 's_rec_full') AND c.relkind IN ('i', 'I')
 ORDER BY c.relname COLLATE "C";
SELECT attname, atttypid::regtype FROM pg_attribute
 WHERE attrelid IN ('s_rec_full.ichild'::regclass, 's_rec_full.typed'::regclass) AND attnum > 0
 ORDER BY attrelid, attnum;
\set VERBOSITY default
DROP SCHEMA s_rec, s_rec_open, s_rec_full CASCADE;
DROP TABLESPACE dq_ts_rec;
