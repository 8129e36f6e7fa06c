-- Found by a sixteenth attack (branch attack16) on the lazy start, which
-- skipped every table with an index: on PostgreSQL 15 the executor opens
-- the indexes of a result relation at its first row (ExecInsert,
-- ExecUpdate), so a statement found them not open when it started and
-- measured from the start.  A single-row UPDATE of a table with a primary
-- key paid 22,800 instructions with self_charge on instead of 3,900 (the
-- 3,010 of bench/README.md were measured on a table without an index).
-- Now their access methods are read from the relation cache's index list
-- and the system cache.  And what a row of such a statement is reckoned at
-- counts its indexes from its first row: without, a row of a table with 20
-- btree indexes was reckoned at a twenty-first of what it may write, and a
-- load starting 66 MB from the quota wrote about 8 MB past it before its
-- first poll.  Same setup as self_charge_lazy (worker quiet, sizes only).
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_li16 NOLOGIN;
CREATE SCHEMA s_li16 AUTHORIZATION dq_li16;
SELECT diskquota.set_schema_quota('s_li16', '1 GB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_li16;

-- 1. a short UPDATE of a table with a primary key (and a TOAST relation)
-- far from the quota starts lazily: it measures nothing, so it does not
-- lock the TOAST relation (measuring would, until the transaction ends)
CREATE TABLE s_li16.pk(id int PRIMARY KEY, v int, t text);
INSERT INTO s_li16.pk SELECT g, 0, 'x' FROM generate_series(1, 10) g;
BEGIN;
UPDATE s_li16.pk SET v = v + 1 WHERE id = 1;
SELECT count(*) AS toast_locked FROM pg_locks
  WHERE pid = pg_backend_pid() AND locktype = 'relation'
    AND relation = (SELECT reltoastrelid FROM pg_class WHERE oid = 's_li16.pk'::regclass);
COMMIT;
-- an INSERT too
BEGIN;
INSERT INTO s_li16.pk VALUES (11, 0, 'y');
SELECT count(*) AS toast_locked FROM pg_locks
  WHERE pid = pg_backend_pid() AND locktype = 'relation'
    AND relation = (SELECT reltoastrelid FROM pg_class WHERE oid = 's_li16.pk'::regclass);
COMMIT;
-- a GIN index still makes it measure from the start
CREATE TABLE s_li16.g(id int, a int[], t text);
CREATE INDEX ON s_li16.g USING gin (a);
INSERT INTO s_li16.g VALUES (1, '{1}', 'x');
BEGIN;
UPDATE s_li16.g SET id = 2;
SELECT count(*) AS toast_locked FROM pg_locks
  WHERE pid = pg_backend_pid() AND locktype = 'relation'
    AND relation = (SELECT reltoastrelid FROM pg_class WHERE oid = 's_li16.g'::regclass);
COMMIT;

-- 2. a load into a table with 20 btree indexes of 2 kB entries (32 name
-- columns: fixed-length values, so a row is reckoned a block per relation)
-- that starts 66 MB from the quota: stopped within 2 MB of it (without
-- counting the indexes before the first poll: about 8 MB past it)
DO $$ BEGIN
  EXECUTE format('CREATE TABLE s_li16.x(%s) WITH (autovacuum_enabled = off)',
                 (SELECT string_agg(format('c%s name', i), ', ') FROM generate_series(1, 32) i));
  FOR k IN 1..20 LOOP
    EXECUTE format('CREATE INDEX ON s_li16.x(%s)',
                   (SELECT string_agg(format('c%s', i), ', ') FROM generate_series(1, 32) i));
  END LOOP;
END $$;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_li16',
  (pg_total_relation_size('s_li16.pk') + pg_total_relation_size('s_li16.g')
   + pg_total_relation_size('s_li16.x')) / (1024 * 1024) + 66 || ' MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_total_relation_size('s_li16.x') AS x_before \gset
SET ROLE dq_li16;
DO $$ BEGIN
  EXECUTE format('INSERT INTO s_li16.x SELECT %s FROM generate_series(1, 3000) g',
                 (SELECT string_agg(format('md5(g || ''-%s'')', i), ', ') FROM generate_series(1, 32) i));
END $$;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_total_relation_size('s_li16.x') - :x_before
       BETWEEN 64 * 1024 * 1024 AND (66 + 2) * 1024 * 1024 AS stopped_near_quota;
RESET ROLE;

SELECT diskquota.set_schema_quota('s_li16', '-1');
DROP SCHEMA s_li16 CASCADE;
DROP ROLE dq_li16;
\i sql/include/quiet_worker_end.psql
