-- Referential actions: the action's own UPDATE (ON DELETE SET NULL / SET
-- DEFAULT, ON UPDATE CASCADE) runs in the name of the statement that caused
-- it and is never refused; nothing that it fires is exempt, and neither is
-- the action's UPDATE when user code decides what it writes.
CREATE SCHEMA s31;			-- over its quota
CREATE SCHEMA s31_free;		-- no quota
CREATE TABLE s31.fill AS SELECT generate_series(1, 100000) AS i;
CREATE TABLE s31.big(i int);
INSERT INTO s31.big VALUES (1);
CREATE TABLE s31_free.parent(id int PRIMARY KEY);
INSERT INTO s31_free.parent SELECT generate_series(1, 20);
-- referencing tables in the over-quota schema, filled before the quota
-- the action's UPDATE made to write big rows by a BEFORE UPDATE trigger
CREATE TABLE s31.c_trig(pid int REFERENCES s31_free.parent ON DELETE SET NULL, v text);
ALTER TABLE s31.c_trig ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO s31.c_trig VALUES (5, 'a');
CREATE FUNCTION s31.enlarge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.v := repeat('x', 10000000);
  RETURN NEW;
END $$;
CREATE TRIGGER enlarge BEFORE UPDATE ON s31.c_trig
  FOR EACH ROW EXECUTE FUNCTION s31.enlarge();
-- ... by a stored generated column
CREATE TABLE s31.c_gen(pid int REFERENCES s31_free.parent ON DELETE SET NULL,
  v text GENERATED ALWAYS AS
    (repeat('x', CASE WHEN pid IS NULL THEN 10000000 ELSE 1 END)) STORED);
ALTER TABLE s31.c_gen ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO s31.c_gen VALUES (6);
-- ... by a large default of ON DELETE SET DEFAULT (MATCH SIMPLE: a key with
-- a NULL column references nothing)
CREATE TABLE s31_free.parent2(id int, k text, PRIMARY KEY (id, k));
INSERT INTO s31_free.parent2 VALUES (7, 'a');
CREATE TABLE s31.c_bigdef(pid int, k text DEFAULT repeat('x', 10000000),
  FOREIGN KEY (pid, k) REFERENCES s31_free.parent2 ON DELETE SET DEFAULT);
ALTER TABLE s31.c_bigdef ALTER COLUMN k SET STORAGE EXTERNAL;
INSERT INTO s31.c_bigdef VALUES (7, 'a');
-- ... by an index on an expression computed by user code
CREATE FUNCTION s31.widen(int) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT repeat('x', 2000) || coalesce($1::text, 'null') $$;
CREATE TABLE s31.c_idx(pid int REFERENCES s31_free.parent ON DELETE SET NULL);
CREATE INDEX ON s31.c_idx (s31.widen(pid));
INSERT INTO s31.c_idx SELECT 8 FROM generate_series(1, 100);
-- actions whose own UPDATE writes only what the action decides
CREATE TABLE s31.c_null(pid int REFERENCES s31_free.parent ON DELETE SET NULL, v text);
CREATE TABLE s31.c_zero(pid int DEFAULT 0 REFERENCES s31_free.parent ON DELETE SET DEFAULT,
  note varchar(10) DEFAULT 'none');
CREATE TABLE s31.c_upd(pid int REFERENCES s31_free.parent ON UPDATE CASCADE);
INSERT INTO s31_free.parent VALUES (0);
INSERT INTO s31.c_null VALUES (10, 'a'), (11, 'b');
INSERT INTO s31.c_zero VALUES (12);
INSERT INTO s31.c_upd VALUES (13);
SELECT diskquota.set_schema_quota('s31', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = 's31'::regnamespace;
\set VERBOSITY terse
-- the attack: a BEFORE DELETE trigger on a referencing table with ON DELETE
-- CASCADE loads into the over-quota schema while DELETE FROM parent runs
CREATE TABLE s31_free.c_cascade(pid int UNIQUE
  REFERENCES s31_free.parent ON DELETE CASCADE);
INSERT INTO s31_free.c_cascade VALUES (1), (2);
CREATE FUNCTION s31_free.load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s31.big SELECT generate_series(1, 100000);
  RETURN OLD;
END $$;
CREATE TRIGGER load BEFORE DELETE ON s31_free.c_cascade
  FOR EACH ROW EXECUTE FUNCTION s31_free.load();
DELETE FROM s31_free.parent WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
-- an UPDATE in the trigger
CREATE OR REPLACE FUNCTION s31_free.load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE s31.big SET i = i + 1;
  RETURN OLD;
END $$;
DELETE FROM s31_free.parent WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
-- an SQL function called by a trigger two cascades down
DROP TRIGGER load ON s31_free.c_cascade;
CREATE TABLE s31_free.c_grand(pid int REFERENCES s31_free.c_cascade(pid) ON DELETE CASCADE);
INSERT INTO s31_free.c_grand VALUES (2);
CREATE FUNCTION s31_free.sql_load() RETURNS int LANGUAGE sql AS
  'INSERT INTO s31.big SELECT generate_series(1, 100000) RETURNING 1';
CREATE FUNCTION s31_free.load_sql() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM s31_free.sql_load();
  RETURN OLD;
END $$;
CREATE TRIGGER load_sql BEFORE DELETE ON s31_free.c_grand
  FOR EACH ROW EXECUTE FUNCTION s31_free.load_sql();
DELETE FROM s31_free.parent WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
-- an AFTER UPDATE trigger fired by an ON DELETE SET NULL action
CREATE TABLE s31_free.c_after(pid int REFERENCES s31_free.parent ON DELETE SET NULL);
INSERT INTO s31_free.c_after VALUES (3);
CREATE FUNCTION s31_free.load_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s31.big SELECT generate_series(1, 100000);
  RETURN NULL;
END $$;
CREATE TRIGGER load_after AFTER UPDATE ON s31_free.c_after
  FOR EACH ROW EXECUTE FUNCTION s31_free.load_after();
DELETE FROM s31_free.parent WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
-- a SET DEFAULT default that calls a function that loads
CREATE FUNCTION s31_free.default_load() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s31.big SELECT generate_series(1, 100000);
  RETURN NULL;
END $$;
CREATE TABLE s31_free.c_default(pid int DEFAULT s31_free.default_load()
  REFERENCES s31_free.parent ON DELETE SET DEFAULT);
INSERT INTO s31_free.c_default VALUES (4);
DELETE FROM s31_free.parent WHERE id = 4;
\echo :LAST_ERROR_SQLSTATE
-- the action's own UPDATE into the over-quota schema made to write big rows
DELETE FROM s31_free.parent WHERE id = 5;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.parent WHERE id = 6;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.parent2 WHERE id = 7;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.parent WHERE id = 8;
\echo :LAST_ERROR_SQLSTATE
-- none of those wrote anything
SELECT count(*) FROM s31.big;
SELECT count(*) FROM s31.c_trig WHERE v <> 'a';
SELECT count(*) FROM s31.c_gen WHERE pid IS NULL;
SELECT count(*) FROM s31.c_bigdef WHERE pid IS NULL;
SELECT count(*) FROM s31.c_idx WHERE pid IS NULL;
SELECT count(*) FROM s31_free.parent;
-- the action's own UPDATE into the over-quota schema is never refused
\set VERBOSITY default
DELETE FROM s31_free.parent WHERE id IN (10, 11, 12);
UPDATE s31_free.parent SET id = 113 WHERE id = 13;
SELECT * FROM s31.c_null ORDER BY v COLLATE "C";
SELECT * FROM s31.c_zero;
SELECT * FROM s31.c_upd;
-- while a direct UPDATE by the tenant is
UPDATE s31.c_null SET v = 'c';
SELECT diskquota.set_schema_quota('s31', '-1');
DROP SCHEMA s31, s31_free CASCADE;
