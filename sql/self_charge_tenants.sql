-- False stops found by a tenth attack (branch attack10), tenants sharing a
-- database with self_charge on: a statement that charges itself must not
-- be stopped, nor make another tenant's statement be refused, for bytes
-- nobody wrote.
--  1. A row routed into a partition the statement did not measure yet was
--     charged as reckoned from its values' raw size: compressible values
--     (1 MB raw each, about 12 kB stored) routed into 60 new partitions
--     were charged about 180 MB for about 3 MB written, to the tenant's
--     schema and to the database quota every tenant shares: the load was
--     stopped far below its quota, and the other tenant's next statement
--     refused (the database's headroom used up) though the database was
--     30 MB below its quota.  Now such a row is charged at most what the
--     partition holds once it is written.
--  2. The junk columns of an UPDATE's or MERGE's input (the whole-row
--     copy of a subquery it joins) were reckoned as written: an UPDATE
--     setting an integer from a subquery with a 30 MB value, or a MERGE
--     reading such a value in its join condition only, was refused as a
--     row wider than the headroom.
-- Same setup as self_charge_rows: self_charge on by ALTER SYSTEM, the
-- worker kept quiet, so that only the statements' own charges stop them;
-- sizes asserted, never time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_t10a NOLOGIN;
CREATE ROLE dq_t10b NOLOGIN;
CREATE SCHEMA s_t10a AUTHORIZATION dq_t10a;
CREATE SCHEMA s_t10b AUTHORIZATION dq_t10b;
SET ROLE dq_t10a;
CREATE TABLE s_t10a.p(k int, a int, body text) PARTITION BY LIST (k);
DO $$
BEGIN
  FOR g IN 1..60 LOOP
    EXECUTE format('CREATE TABLE s_t10a.p%s PARTITION OF s_t10a.p FOR VALUES IN (%s)', g, g);
  END LOOP;
END $$;
CREATE INDEX ON s_t10a.p(k);
CREATE INDEX ON s_t10a.p(a);
RESET ROLE;
SET ROLE dq_t10b;
CREATE TABLE s_t10b.t(i int, x int);
INSERT INTO s_t10b.t VALUES (1, 0);
RESET ROLE;
SELECT diskquota.set_schema_quota('s_t10a', '40 MB');
SELECT diskquota.set_schema_quota('s_t10b', '20 MB');
SELECT diskquota.set_database_quota(
         (pg_database_size(current_database()) / (1024 * 1024) + 30)::text || ' MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

-- 1. One compressible row into each of 60 new partitions: about 3 MB.
SET ROLE dq_t10a;
INSERT INTO s_t10a.p SELECT g, g, repeat('x', 1000000) FROM generate_series(1, 60) g;
\echo :SQLSTATE
SELECT count(*) FROM s_t10a.p;
SELECT sum(pg_total_relation_size(inhrelid)) <= 10 * 1024 * 1024 AS small
  FROM pg_inherits WHERE inhparent = 's_t10a.p'::regclass;
RESET ROLE;
-- the other tenant, before any refresh: the database is far from its quota
SET ROLE dq_t10b;
INSERT INTO s_t10b.t SELECT g, g FROM generate_series(2, 1000) g;
\echo :SQLSTATE
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

-- 2. An UPDATE of one integer, joined to a subquery with a 30 MB value
-- (more than either quota has left): the value is not written.
SET ROLE dq_t10b;
UPDATE s_t10b.t SET x = length(s.big)
  FROM (SELECT repeat('y', 30000000) AS big OFFSET 0) s WHERE t.i = 1;
\echo :SQLSTATE
SELECT x FROM s_t10b.t WHERE i = 1;
-- a MERGE whose join condition reads the value (its whole-row copy is in
-- the input) and whose action does not write it
MERGE INTO s_t10b.t
  USING (SELECT 1 AS id, repeat('y', 30000000) AS big OFFSET 0) s
  ON t.i = s.id AND length(s.big) > 0
  WHEN MATCHED THEN UPDATE SET x = 7;
\echo :SQLSTATE
SELECT x FROM s_t10b.t WHERE i = 1;
RESET ROLE;

SELECT diskquota.set_database_quota('-1');
SELECT diskquota.set_schema_quota('s_t10a', '-1');
SELECT diskquota.set_schema_quota('s_t10b', '-1');
DROP SCHEMA s_t10a CASCADE;
DROP SCHEMA s_t10b CASCADE;
DROP ROLE dq_t10a;
DROP ROLE dq_t10b;
\i sql/include/quiet_worker_end.psql
