-- Referential actions: the UPDATE of an ON DELETE SET NULL (or ON UPDATE
-- SET NULL) action runs in the name of the statement that caused it and is
-- never refused; nothing that it fires or its rules add is exempt, nor a
-- statement started beneath it or beneath any other statement of an action,
-- nor the action's UPDATE when user code decides what it writes.  The
-- actions that write a key (ON UPDATE CASCADE, SET DEFAULT) are checked like
-- any statement, before they start.
CREATE SCHEMA s31;			-- over its quota
CREATE SCHEMA s31_free;		-- no quota
CREATE TABLE s31.fill AS SELECT generate_series(1, 100000) AS i;
CREATE TABLE s31.big(i int);
INSERT INTO s31.big VALUES (1);
CREATE TABLE s31_free.parent(id int PRIMARY KEY);
INSERT INTO s31_free.parent SELECT generate_series(1, 20);
-- referencing tables in the over-quota schema, filled before the quota;
-- each has its own referenced table
CREATE TABLE s31_free.p_trig(id int PRIMARY KEY);
CREATE TABLE s31_free.p_gen(id int PRIMARY KEY);
CREATE TABLE s31_free.p_idx(id int PRIMARY KEY);
CREATE TABLE s31_free.p_zero(id int PRIMARY KEY);
CREATE TABLE s31_free.p_upd(id int PRIMARY KEY);
INSERT INTO s31_free.p_trig VALUES (0), (5);
INSERT INTO s31_free.p_gen VALUES (0), (6);
INSERT INTO s31_free.p_idx VALUES (0), (8);
INSERT INTO s31_free.p_zero VALUES (0), (12), (14);
INSERT INTO s31_free.p_upd VALUES (13), (15);
-- the action's UPDATE made to write big rows by a BEFORE UPDATE trigger
CREATE TABLE s31.c_trig(pid int REFERENCES s31_free.p_trig ON DELETE SET NULL, v text);
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
CREATE TABLE s31.c_gen(pid int REFERENCES s31_free.p_gen ON DELETE SET NULL,
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
CREATE TABLE s31.c_idx(pid int REFERENCES s31_free.p_idx ON DELETE SET NULL);
CREATE INDEX ON s31.c_idx (s31.widen(pid));
INSERT INTO s31.c_idx SELECT 8 FROM generate_series(1, 100);
-- actions that write a key, which could be repeated without end (flip the
-- referenced key back and forth, or alternate the default)
CREATE TABLE s31.c_zero(pid int DEFAULT 0 REFERENCES s31_free.p_zero ON DELETE SET DEFAULT,
  note varchar(10) DEFAULT 'none');
CREATE TABLE s31.c_upd(pid int REFERENCES s31_free.p_upd ON UPDATE CASCADE);
INSERT INTO s31.c_zero VALUES (12);
INSERT INTO s31.c_upd VALUES (13);
-- the exempt actions: set NULL, nothing else
CREATE TABLE s31.c_null(pid int REFERENCES s31_free.parent ON DELETE SET NULL, v text);
CREATE TABLE s31_free.p_unull(id int PRIMARY KEY);
INSERT INTO s31_free.p_unull VALUES (16);
CREATE TABLE s31.c_unull(pid int REFERENCES s31_free.p_unull ON UPDATE SET NULL);
INSERT INTO s31.c_null VALUES (10, 'a'), (11, 'b');
INSERT INTO s31.c_unull VALUES (16);
-- a partitioned referencing table: the UPDATE sets NULL in every partition
CREATE TABLE s31.c_part(pid int REFERENCES s31_free.parent ON DELETE SET NULL, k int)
  PARTITION BY RANGE (k);
CREATE TABLE s31.c_part1 PARTITION OF s31.c_part FOR VALUES FROM (0) TO (10);
CREATE TABLE s31.c_part2 PARTITION OF s31.c_part FOR VALUES FROM (10) TO (20);
INSERT INTO s31.c_part VALUES (10, 1), (11, 15);
-- a partitioned referencing table whose partition for NULL keys is in the
-- over-quota schema: the action's UPDATE would move every row into it (a
-- DELETE and an INSERT), so it is not exempt and the DELETE is refused
CREATE TABLE s31_free.p_move(id int PRIMARY KEY);
INSERT INTO s31_free.p_move VALUES (1), (2);
CREATE TABLE s31_free.c_move(pid int REFERENCES s31_free.p_move ON DELETE SET NULL,
  pad text) PARTITION BY LIST (pid);
CREATE TABLE s31_free.c_move_1 PARTITION OF s31_free.c_move FOR VALUES IN (1);
CREATE TABLE s31.c_move_null PARTITION OF s31_free.c_move FOR VALUES IN (NULL);
INSERT INTO s31_free.c_move SELECT 1, repeat('x', 1000) FROM generate_series(1, 100);
-- the same, the NULL partition one level down
CREATE TABLE s31_free.c_move2(pid int REFERENCES s31_free.p_move ON DELETE SET NULL,
  pad text) PARTITION BY LIST (pid);
CREATE TABLE s31_free.c_move2_2 PARTITION OF s31_free.c_move2 FOR VALUES IN (2);
CREATE TABLE s31_free.c_move2_rest PARTITION OF s31_free.c_move2 DEFAULT
  PARTITION BY LIST (pad);
CREATE TABLE s31.c_move2_null PARTITION OF s31_free.c_move2_rest DEFAULT;
INSERT INTO s31_free.c_move2 SELECT 2, repeat('y', 1000) FROM generate_series(1, 100);
-- an ON DELETE SET NULL action fired by an ON DELETE CASCADE action: the
-- cascade's statement queues the trigger, which runs after the statement
-- ended, as an action of its own: exempt
CREATE TABLE s31_free.p_chain(id int PRIMARY KEY);
CREATE TABLE s31_free.c_chain(id int PRIMARY KEY,
  pid int REFERENCES s31_free.p_chain ON DELETE CASCADE);
CREATE TABLE s31.g_chain(pid int REFERENCES s31_free.c_chain ON DELETE SET NULL);
INSERT INTO s31_free.p_chain VALUES (1);
INSERT INTO s31_free.c_chain VALUES (1, 1);
INSERT INTO s31.g_chain VALUES (1);
-- a table of the over-quota schema that a function run by a range type's
-- subtype_diff updates (below)
CREATE TABLE s31.u(id int, note text);
INSERT INTO s31.u VALUES (1, 'a');
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
-- a rule on the referencing table: PostgreSQL rewrites the action's UPDATE
-- with it, and the rule's statement runs as part of the action (DO ALSO
-- UPDATE, then DO ALSO INSERT: that one does not set the command tag)
CREATE TABLE s31_free.p_rule(id int PRIMARY KEY);
INSERT INTO s31_free.p_rule VALUES (1), (2);
CREATE TABLE s31_free.c_rule(pid int REFERENCES s31_free.p_rule ON DELETE SET NULL);
INSERT INTO s31_free.c_rule VALUES (1), (2);
CREATE RULE grow AS ON UPDATE TO s31_free.c_rule DO ALSO UPDATE s31.big SET i = i + 1;
DELETE FROM s31_free.p_rule WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
CREATE OR REPLACE RULE grow AS ON UPDATE TO s31_free.c_rule
  DO ALSO INSERT INTO s31.big SELECT generate_series(1, 100000);
DELETE FROM s31_free.p_rule WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
-- a function the action's UPDATE reaches without the function manager
-- setting up its call anew: a range type's subtype_diff, cached in the type
-- cache, called by the GiST index of the referencing table (ON UPDATE
-- CASCADE into a table of a schema without quota); it runs a
-- plpgsql simple expression whose state was built earlier in the same
-- transaction, which runs an UPDATE of the same shape as an exempt one
CREATE FUNCTION s31_free.vol() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('s31.go', true), '') = '1' THEN
    UPDATE s31.u SET note = NULL;
  END IF;
  RETURN 0;
END $$;
CREATE FUNCTION s31_free.diff(a float8, b float8) RETURNS float8
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE x int;
BEGIN
  x := s31_free.vol();
  RETURN a - b;
END $$;
CREATE TYPE s31_free.fr AS RANGE (subtype = float8, subtype_diff = s31_free.diff);
CREATE TABLE s31_free.gp(r s31_free.fr PRIMARY KEY);
INSERT INTO s31_free.gp SELECT s31_free.fr(g, g + 0.5) FROM generate_series(1, 2000) g;
CREATE TABLE s31_free.gch(r s31_free.fr REFERENCES s31_free.gp ON UPDATE CASCADE);
CREATE INDEX ON s31_free.gch USING gist (r);
-- fills the type cache outside any referential action
INSERT INTO s31_free.gch SELECT s31_free.fr(g, g + 0.5) FROM generate_series(1, 2000) g;
BEGIN;
SELECT s31_free.diff(1, 2);
SELECT set_config('s31.go', '1', true);
UPDATE s31_free.gp SET r = s31_free.fr(-1, -0.5) WHERE r = s31_free.fr(7, 7.5);
\echo :SQLSTATE
ROLLBACK;
-- the action's own UPDATE into the over-quota schema made to write big rows
DELETE FROM s31_free.p_trig WHERE id = 5;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.p_gen WHERE id = 6;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.parent2 WHERE id = 7;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.p_idx WHERE id = 8;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.p_move WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.p_move WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
-- SET DEFAULT and ON UPDATE CASCADE into the over-quota schema are refused
-- before they start, whether a row references the key or not
DELETE FROM s31_free.p_zero WHERE id = 12;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM s31_free.p_zero WHERE id = 14;
\echo :LAST_ERROR_SQLSTATE
UPDATE s31_free.p_upd SET id = 113 WHERE id = 13;
\echo :LAST_ERROR_SQLSTATE
UPDATE s31_free.p_upd SET id = 115 WHERE id = 15;
\echo :LAST_ERROR_SQLSTATE
-- none of those wrote anything
SELECT count(*) FROM s31.big;
SELECT count(*) FROM s31.u WHERE note IS NULL;
SELECT count(*) FROM s31.c_trig WHERE v <> 'a';
SELECT count(*) FROM s31.c_gen WHERE pid IS NULL;
SELECT count(*) FROM s31.c_bigdef WHERE pid IS NULL;
SELECT count(*) FROM s31.c_idx WHERE pid IS NULL;
SELECT * FROM s31.c_zero;
SELECT * FROM s31.c_upd;
SELECT count(*) FROM s31_free.parent;
SELECT count(*) FROM s31_free.c_rule WHERE pid IS NULL;
SELECT count(*) FROM s31.c_move_null;
SELECT count(*) FROM s31.c_move2_null;
SELECT count(*) FROM s31_free.p_move;
-- setting the key to NULL in the over-quota schema is never refused
\set VERBOSITY default
DELETE FROM s31_free.parent WHERE id IN (10, 11);
UPDATE s31_free.p_unull SET id = 116 WHERE id = 16;
DELETE FROM s31_free.p_chain;
SELECT * FROM s31.g_chain;
SELECT * FROM s31.c_null ORDER BY v COLLATE "C";
SELECT * FROM s31.c_unull;
SELECT * FROM s31.c_part ORDER BY k;
-- while a direct UPDATE by the tenant is
\set VERBOSITY terse
UPDATE s31.c_null SET v = 'c';
\set VERBOSITY default
SELECT diskquota.set_schema_quota('s31', '-1');
DROP SCHEMA s31, s31_free CASCADE;
