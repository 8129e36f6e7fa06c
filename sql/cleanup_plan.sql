-- Cleanup plans (issue 19): diskquota.cleanup_plan() decides by the bucket
-- method what to keep under a target's limit, with priorities from
-- diskquota.set_relation_priority(); who may call them; the dead-space
-- estimate; and that a plan locks and reads no user table.
\set VERBOSITY terse
\i sql/include/try.psql
CREATE ROLE dq_cp_a NOLOGIN;
CREATE ROLE dq_cp_b NOLOGIN;
CREATE SCHEMA cp_a AUTHORIZATION dq_cp_a;
CREATE SCHEMA cp_b AUTHORIZATION dq_cp_b;

-- tenant a's tables: about 8 rows of 1000 bytes a page, no TOAST
SET ROLE dq_cp_a;
CREATE TABLE cp_a.big(t text);
CREATE TABLE cp_a.mid1(t text);
CREATE TABLE cp_a.mid2(t text);
CREATE TABLE cp_a.small1(t text);
CREATE TABLE cp_a.small2(t text);
CREATE TABLE cp_a.small3(t text);
INSERT INTO cp_a.big SELECT repeat('x', 1000) FROM generate_series(1, 2100);
INSERT INTO cp_a.mid1 SELECT repeat('x', 1000) FROM generate_series(1, 700);
INSERT INTO cp_a.mid2 SELECT repeat('x', 1000) FROM generate_series(1, 350);
INSERT INTO cp_a.small1 SELECT repeat('x', 1000) FROM generate_series(1, 70);
INSERT INTO cp_a.small2 SELECT repeat('x', 1000) FROM generate_series(1, 140);
INSERT INTO cp_a.small3 SELECT repeat('x', 1000) FROM generate_series(1, 210);
RESET ROLE;
-- the soft limit: mid1, mid2, small1 and small2 fit, and half of small3
SELECT pg_total_relation_size('cp_a.mid1') + pg_total_relation_size('cp_a.mid2')
       + pg_total_relation_size('cp_a.small1') + pg_total_relation_size('cp_a.small2')
       + pg_total_relation_size('cp_a.small3') / 2 AS soft \gset
SELECT diskquota.set_quota('schema', 'cp_a', '100 MB', soft => :'soft', grace => '1 day',
                           enforced => false);
SELECT diskquota.wait_for_worker_new_epoch();

-- no priorities: smallest first, mid1 and big do not fit
SET ROLE dq_cp_a;
SELECT relation, priority, keep,
       size_bytes = pg_total_relation_size(relation) AS size_ok,
       freed_bytes = CASE WHEN keep THEN 0 ELSE size_bytes END AS freed_ok,
       kept_total_bytes <= limit_bytes AS fits, limit_bytes = :soft AS soft_limit
  FROM diskquota.cleanup_plan('schema', 'cp_a');
-- the owner's priorities: big the most important, then mid1 and mid2.  The
-- daddyQ case: big does not fit and is a candidate, while the smaller, less
-- important mid1, mid2, small1 and small2 after it are kept; small3 no
-- longer fits
SELECT diskquota.set_relation_priority('cp_a.big', 10);
SELECT diskquota.set_relation_priority('cp_a.mid1', 5);
SELECT diskquota.set_relation_priority('cp_a.mid2', 5);
SELECT relation, priority, keep,
       freed_bytes = CASE WHEN keep THEN 0 ELSE size_bytes END AS freed_ok,
       kept_total_bytes <= limit_bytes AS fits
  FROM diskquota.cleanup_plan('schema', 'cp_a');
-- what dropping the candidates frees, and what stays
SELECT sum(freed_bytes) = pg_total_relation_size('cp_a.big') + pg_total_relation_size('cp_a.small3')
         AS freed_ok,
       max(kept_total_bytes) = sum(size_bytes) FILTER (WHERE keep) AS kept_ok
  FROM diskquota.cleanup_plan('schema', 'cp_a');
-- priority 0 removes the row; a new priority replaces the old
SELECT diskquota.set_relation_priority('cp_a.mid1', 0);
SELECT diskquota.set_relation_priority('cp_a.mid2', 7);
RESET ROLE;
SELECT relid, priority FROM diskquota.relation_priority ORDER BY relid::text COLLATE "C";
SET ROLE dq_cp_a;
SELECT relation, priority, keep FROM diskquota.cleanup_plan('schema', 'cp_a');
RESET ROLE;

-- a role's plan: the tables it owns, its temporary ones too; the hard
-- limit when there is no soft limit
SELECT diskquota.set_quota('role', 'dq_cp_a', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_cp_a;
CREATE TEMP TABLE cp_tmp(t text);
INSERT INTO cp_tmp SELECT repeat('x', 1000) FROM generate_series(1, 10);
SELECT c.relname, c.relpersistence, p.keep, p.limit_bytes
  FROM diskquota.cleanup_plan('role', 'dq_cp_a') p JOIN pg_class c ON c.oid = p.relation
 ORDER BY c.relname COLLATE "C";
-- not in the schema's plan (a temporary table is charged to its owner only)
SELECT count(*) FROM diskquota.cleanup_plan('schema', 'cp_a') WHERE relation = 'cp_tmp'::regclass;
DROP TABLE cp_tmp;
RESET ROLE;

-- a target in a tablespace: only the files there
SET allow_in_place_tablespaces = on;
CREATE TABLESPACE dq_cp_ts LOCATION '';
RESET allow_in_place_tablespaces;
GRANT CREATE ON TABLESPACE dq_cp_ts TO dq_cp_a;
SET ROLE dq_cp_a;
CREATE TABLE cp_a.spc(i int, t text) TABLESPACE dq_cp_ts;
INSERT INTO cp_a.spc SELECT i, repeat('x', 100) FROM generate_series(1, 1000) i;
CREATE INDEX spc_i ON cp_a.spc(i) TABLESPACE pg_default;
RESET ROLE;
SELECT diskquota.set_quota('schema_tablespace', 'cp_a', '100 MB', tablespace => 'dq_cp_ts');
SELECT diskquota.set_quota('schema_tablespace', 'cp_a', '100 MB', tablespace => 'pg_default');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_cp_a;
-- in dq_cp_ts: the table (with its TOAST), not its index
SELECT relation, size_bytes = pg_table_size('cp_a.spc') AS size_ok
  FROM diskquota.cleanup_plan('schema_tablespace', 'cp_a', 'dq_cp_ts');
-- in pg_default: the other tables, and the index of cp_a.spc
SELECT relation, size_bytes = CASE WHEN relation = 'cp_a.spc'::regclass
                                   THEN pg_indexes_size(relation)
                                   ELSE pg_total_relation_size(relation) END AS size_ok
  FROM diskquota.cleanup_plan('schema_tablespace', 'cp_a', 'pg_default')
 ORDER BY relation::text COLLATE "C";
DROP TABLE cp_a.spc;
RESET ROLE;
SELECT diskquota.remove_quota('schema_tablespace', 'cp_a', 'dq_cp_ts');
SELECT diskquota.remove_quota('schema_tablespace', 'cp_a', 'pg_default');

-- who may plan: a tenant its own targets only, and nothing is told about
-- the others'; the database only its owner
SELECT diskquota.set_quota('schema', 'cp_b', '100 MB');
SELECT diskquota.set_quota('database', NULL, '1000 GB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT 'cp_a.big'::regclass::oid AS big_oid \gset
SET ROLE dq_cp_b;
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('schema', 'cp_a')$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('role', 'dq_cp_a')$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('database', NULL)$$);
SELECT pg_temp.try(format('SELECT diskquota.set_relation_priority(%s::oid::regclass, 1)', :big_oid));
SELECT count(*) FROM diskquota.cleanup_plan('schema', 'cp_b');
-- no quota with a limit
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('role', 'dq_cp_b')$$);
RESET ROLE;
SELECT count(*) > 0 AS listed, bool_and(limit_bytes = pg_size_bytes('1000 GB')) AS limit_ok,
       count(*) FILTER (WHERE relation = 'cp_a.big'::regclass) AS big
  FROM diskquota.cleanup_plan('database', NULL);
SELECT diskquota.remove_quota('database', NULL);

-- bad arguments
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('widget', 'cp_a')$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan(NULL, 'cp_a')$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('schema', NULL)$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('schema', 'cp_nowhere')$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('schema', 'cp_a', 'pg_default')$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('schema_tablespace', 'cp_a')$$);
SELECT pg_temp.try($$SELECT * FROM diskquota.cleanup_plan('schema_tablespace', 'cp_a', 'pg_default')$$);
SET ROLE dq_cp_b;
CREATE TABLE cp_b.parted(i int) PARTITION BY RANGE (i);
CREATE TABLE cp_b.part1 PARTITION OF cp_b.parted FOR VALUES FROM (0) TO (10);
CREATE VIEW cp_b.v AS SELECT 1 AS one;
CREATE INDEX part1_i ON cp_b.part1(i);
SELECT pg_temp.try($$SELECT diskquota.set_relation_priority('cp_b.part1', NULL)$$);
SELECT pg_temp.try($$SELECT diskquota.set_relation_priority(NULL, 1)$$);
SELECT pg_temp.try($$SELECT diskquota.set_relation_priority('cp_b.parted', 1)$$);
SELECT pg_temp.try($$SELECT diskquota.set_relation_priority('cp_b.v', 1)$$);
SELECT pg_temp.try($$SELECT diskquota.set_relation_priority('cp_b.part1_i', 1)$$);
SELECT pg_temp.try($$SELECT diskquota.set_relation_priority(4000000000::oid::regclass, 1)$$);
-- a partition is a table; the partitioned table is not in plans
SELECT diskquota.set_relation_priority('cp_b.part1', 3);
SELECT relation, priority FROM diskquota.cleanup_plan('schema', 'cp_b');
-- the row of a dropped relation is never shown, and goes at the next call
-- of set_relation_priority()
DROP TABLE cp_b.parted;
RESET ROLE;
SELECT count(*) FROM diskquota.relation_priority;
SET ROLE dq_cp_b;
SELECT count(*) FROM diskquota.cleanup_plan('schema', 'cp_b');
SELECT pg_temp.try($$SELECT * FROM diskquota.relation_priority$$);
SELECT pg_temp.try($$DELETE FROM diskquota.relation_priority$$);
CREATE TABLE cp_b.dead(i int, t text);
SELECT diskquota.set_relation_priority('cp_b.dead', 1);
RESET ROLE;
SELECT relid, priority FROM diskquota.relation_priority ORDER BY relid::text COLLATE "C";

-- the dead space: none after the load, about half the heap after deleting
-- half the rows (from the statistics, flushed now)
SET ROLE dq_cp_b;
INSERT INTO cp_b.dead SELECT i, repeat('x', 1000) FROM generate_series(1, 2000) i;
SELECT pg_stat_force_next_flush();
SELECT relation, dead_bytes_estimate FROM diskquota.cleanup_plan('schema', 'cp_b');
DELETE FROM cp_b.dead WHERE i % 2 = 0;
SELECT pg_stat_force_next_flush();
SELECT relation,
       dead_bytes_estimate BETWEEN 0.4 * pg_relation_size(relation)
                               AND 0.6 * pg_relation_size(relation) AS about_half,
       keep, limit_bytes = pg_size_bytes('100 MB') AS hard_limit
  FROM diskquota.cleanup_plan('schema', 'cp_b');
RESET ROLE;

-- no lock on user tables, and no read of their data: the plan runs while
-- another session holds an ACCESS EXCLUSIVE lock on a tenant's table, and
-- lists a table of the tenant's schema that the tenant may not read
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
CREATE TABLE cp_a.secret(t text);
INSERT INTO cp_a.secret VALUES ('x');
SELECT dblink_connect('cp_lock', 'dbname=' || current_database());
SELECT dblink_exec('cp_lock', 'BEGIN');
SELECT dblink_exec('cp_lock', 'LOCK TABLE cp_a.big IN ACCESS EXCLUSIVE MODE');
SET ROLE dq_cp_a;
SET lock_timeout = '100ms';
SELECT has_table_privilege('cp_a.secret', 'SELECT') AS may_read,
       count(*) FILTER (WHERE relation = 'cp_a.secret'::regclass) AS secret,
       count(*) FILTER (WHERE relation = 'cp_a.big'::regclass) AS big
  FROM diskquota.cleanup_plan('schema', 'cp_a');
RESET lock_timeout;
RESET ROLE;
SELECT dblink_exec('cp_lock', 'ROLLBACK');
SELECT dblink_disconnect('cp_lock');
-- and in its own transaction, no lock on a relation of the schema
BEGIN;
SELECT count(*) > 0 AS planned FROM diskquota.cleanup_plan('schema', 'cp_a');
SELECT count(*) AS locks FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relnamespace = 'cp_a'::regnamespace;
COMMIT;

-- clean up
SELECT diskquota.remove_quota('schema', 'cp_a');
SELECT diskquota.remove_quota('schema', 'cp_b');
SELECT diskquota.remove_quota('role', 'dq_cp_a');
DROP SCHEMA cp_a CASCADE;
DROP SCHEMA cp_b CASCADE;
DELETE FROM diskquota.relation_priority;
DROP TABLESPACE dq_cp_ts;
REVOKE USAGE ON SCHEMA diskquota FROM dq_cp_a, dq_cp_b;
DROP ROLE dq_cp_a;
DROP ROLE dq_cp_b;
SELECT diskquota.wait_for_worker_new_epoch();
