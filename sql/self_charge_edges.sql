-- Edges of self-charging a fifth attack (branch attack5) found: a free
-- space map that appears during the statement, a row whose values alone
-- exceed the headroom left, and a view's INSERT whose INSTEAD OF trigger
-- charges itself (a backend crash).  Same setup as self_charge_rows:
-- self_charge on by ALTER SYSTEM, the worker kept quiet (no file-change
-- feed, naptime and load_check_interval of a minute) so that only the
-- statements' own charges stop them; sizes asserted, never time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_a5 NOLOGIN;
CREATE SCHEMA s_a5 AUTHORIZATION dq_a5;

-- 1. A small relation's free space map appears, three blocks at once,
-- when a row first needs a second page: it is charged from nothing, and a
-- small partition's, which the row routed into it may have created before
-- the partition is measured, is charged with that row (it went uncharged:
-- one narrow row into each of 200 partitions holding one full page each
-- completed 3.4 MB past a 6 MB quota).
SET ROLE dq_a5;
CREATE TABLE s_a5.pp(k int, p text) PARTITION BY LIST (k);
DO $$ BEGIN
  FOR k IN 1..200 LOOP
    EXECUTE format('CREATE TABLE s_a5.pp%s PARTITION OF s_a5.pp FOR VALUES IN (%s)', k, k);
  END LOOP;
END $$;
-- one full page each (4 rows of 1995 incompressible bytes), no FSM yet
INSERT INTO s_a5.pp
  SELECT k, substr(repeat(md5(k::text) || md5((k + 1)::text), 40), 1, 1995)
  FROM generate_series(1, 200) k, generate_series(1, 4);
SELECT pg_relation_size('s_a5.pp1') AS heap, pg_relation_size('s_a5.pp1', 'fsm') AS fsm;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a5', '6 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < 4 * 1024 * 1024 AS room_left
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_a5';
SET ROLE dq_a5;
INSERT INTO s_a5.pp SELECT k, 'z' FROM generate_series(1, 200) k;
\echo :SQLSTATE
SELECT pg_relation_size('s_a5.pp1') AS heap, pg_relation_size('s_a5.pp1', 'fsm') AS fsm;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
-- within 2 MB of the quota
SELECT nspsize_in_bytes - quota_in_bytes <= 2 * 1024 * 1024 AS bounded
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_a5';
SELECT diskquota.set_schema_quota('s_a5', '-1');
DROP TABLE s_a5.pp;

-- 3. A row whose values alone take more than the headroom left is refused
-- before it is written (a one-row INSERT of three 5 MB values completed
-- 13 MB past a 2 MB quota).
-- headroom left (quota map: headroom - charged - reserved by others).
RESET ROLE;
SET ROLE dq_a5;
CREATE TABLE s_a5.big(a text, b text, c text);
ALTER TABLE s_a5.big ALTER COLUMN a SET STORAGE EXTERNAL,
  ALTER COLUMN b SET STORAGE EXTERNAL, ALTER COLUMN c SET STORAGE EXTERNAL;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a5', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a5;
INSERT INTO s_a5.big SELECT repeat('x', 5000000), repeat('y', 5000000), repeat('z', 5000000);
\echo :SQLSTATE
-- a row that fits is not
INSERT INTO s_a5.big VALUES ('a', 'b', 'c');
\echo :SQLSTATE
-- nor a wide row into a schema with room, after a trigger of the same
-- statement wrote a narrow row into the nearly full one: the row is
-- checked against the targets of where it goes
RESET ROLE;
CREATE SCHEMA s_a5room AUTHORIZATION dq_a5;
SELECT diskquota.set_schema_quota('s_a5room', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a5;
CREATE TABLE s_a5room.wide(a text);
ALTER TABLE s_a5room.wide ALTER COLUMN a SET STORAGE EXTERNAL;
CREATE FUNCTION s_a5room.log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO s_a5.big SELECT 'l', 'o', 'g' FROM generate_series(1, 1); RETURN NEW; END $$;
CREATE TRIGGER log BEFORE INSERT ON s_a5room.wide
  FOR EACH ROW EXECUTE FUNCTION s_a5room.log();
INSERT INTO s_a5room.wide VALUES ('narrow'), (repeat('w', 5000000));
\echo :SQLSTATE
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a5room', '-1');
DROP SCHEMA s_a5room CASCADE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
-- within 2 MB of the quota
SELECT nspsize_in_bytes - quota_in_bytes <= 2 * 1024 * 1024 AS bounded
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_a5';
SELECT diskquota.set_schema_quota('s_a5', '-1');
DROP TABLE s_a5.big;

-- 5. An INSERT into a view whose INSTEAD OF trigger's INSERT charges
-- itself: the view's input, wrapped before the statement found it measures
-- nothing, is unwrapped again (it crashed the backend at the view's second
-- row).
CREATE ROLE dq_a5c NOLOGIN;
CREATE SCHEMA s_a5c AUTHORIZATION dq_a5c;
SET ROLE dq_a5c;
CREATE TABLE s_a5c.t(p text);
CREATE VIEW s_a5c.v AS SELECT 1 AS i;
CREATE FUNCTION s_a5c.ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO s_a5c.t SELECT 'x' FROM generate_series(1, 1); RETURN NEW; END $$;
CREATE TRIGGER ins INSTEAD OF INSERT ON s_a5c.v
  FOR EACH ROW EXECUTE FUNCTION s_a5c.ins();
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a5c', '50 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a5c;
-- two rows: the second one crashes the backend
INSERT INTO s_a5c.v SELECT generate_series(1, 2);
\echo :SQLSTATE
SELECT count(*) AS rows_written FROM s_a5c.t;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a5c', '-1');
DROP SCHEMA s_a5c CASCADE;
DROP ROLE dq_a5c;

DROP SCHEMA s_a5 CASCADE;
DROP ROLE dq_a5;
\i sql/include/quiet_worker_end.psql
