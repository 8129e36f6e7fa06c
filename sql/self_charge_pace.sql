-- How a statement that charges itself paces its measurements: the budget
-- to its next measurement is counted in bytes its rows may write, reckoned
-- from their values (selfcharge.c, row_estimate), never learned from
-- earlier rows, and cut when a relation measured later has less headroom
-- left.  A third attack (branch attack3) passed a 2 MB quota by 15 to 23 MB
-- each way below while the budget was counted in rows of a learned width,
-- sized by the targets known at the start.  self_charge is turned on the way
-- a DBA would in production: ALTER SYSTEM.
-- The worker is kept quiet (no file-change feed, naptime and
-- load_check_interval of a minute) so that only the statements' own
-- charges stop them between the steps' refreshes
-- (wait_for_worker_new_epoch).  Sizes are asserted, never time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql
SHOW diskquota.self_charge;

CREATE ROLE dq_a3 NOLOGIN;
CREATE SCHEMA s_a3 AUTHORIZATION dq_a3;
CREATE SCHEMA s_a3free AUTHORIZATION dq_a3;
SELECT diskquota.set_schema_quota('s_a3', '2 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

-- 1. Wide rows from the first row on: a row whose values go to TOAST
-- writes as much as its values hold (STORAGE EXTERNAL keeps even repeat()
-- uncompressed), and is reckoned so.  An INSERT of 200 kB rows (100 MB if
-- it ran to the end) is stopped within a few rows of the 2 MB quota (it
-- wrote 25 MB when the first measurement came after 128 rows).
SET ROLE dq_a3;
CREATE TABLE s_a3.wide(v text);
ALTER TABLE s_a3.wide ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO s_a3.wide SELECT repeat('x', 200000) FROM generate_series(1, 500);
\echo :SQLSTATE
SELECT pg_total_relation_size('s_a3.wide') <= (2 + 2) * 1024 * 1024 AS bounded;
DROP TABLE s_a3.wide;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

-- 2. A statement cannot teach the pace a false row width: 40000 narrow
-- rows (1.1 MB, under the quota) followed by 3000 rows of 8000 bytes
-- (STORAGE PLAIN: in the heap) in one INSERT are stopped near the quota
-- (they completed with 25 MB when the width was learned from the rows
-- written so far).
SET ROLE dq_a3;
CREATE TABLE s_a3.narrow(v text);
ALTER TABLE s_a3.narrow ALTER COLUMN v SET STORAGE PLAIN;
INSERT INTO s_a3.narrow
  SELECT CASE WHEN g > 40000 THEN repeat('y', 8000) END
    FROM generate_series(1, 43000) g;
\echo :SQLSTATE
SELECT count(*) FILTER (WHERE v IS NOT NULL) AS wide_rows FROM s_a3.narrow;
SELECT pg_total_relation_size('s_a3.narrow') <= (2 + 2) * 1024 * 1024 AS bounded;
DROP TABLE s_a3.narrow;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a3;
-- nor by rows that write nothing: 300000 rows on an existing key (ON
-- CONFLICT DO NOTHING) with one new narrow row every 5000 (60 rows in all),
-- then 3000 rows of 8000 bytes: stopped near the quota (24 MB before)
CREATE TABLE s_a3.k(i int PRIMARY KEY, v text);
ALTER TABLE s_a3.k ALTER COLUMN v SET STORAGE PLAIN;
INSERT INTO s_a3.k VALUES (0, NULL);
INSERT INTO s_a3.k
  SELECT CASE WHEN g > 300000 OR g % 5000 = 0 THEN g ELSE 0 END,
         CASE WHEN g > 300000 THEN repeat('y', 8000) END
    FROM generate_series(1, 303000) g ON CONFLICT DO NOTHING;
\echo :SQLSTATE
SELECT count(*) FILTER (WHERE v IS NOT NULL) AS wide_rows FROM s_a3.k;
SELECT pg_total_relation_size('s_a3.k') <= (2 + 2) * 1024 * 1024 AS bounded;
DROP TABLE s_a3.k;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

-- 3. Relations measured after the statement started cut its budget when
-- their targets have less headroom left (lower_pace): an INSERT into a
-- partitioned table whose own schema and owner have no quota charges
-- itself (routing) with no headroom to pace by until its rows reach a
-- partition in a schema with a 2 MB quota, and a function's load into that
-- schema joins such an INSERT: both are stopped near the quota (each
-- completed with about 17 MB when only the start's targets paced).
SET ROLE dq_a3;
CREATE TABLE s_a3free.pt(i int) PARTITION BY RANGE (i);
CREATE TABLE s_a3.pt1 PARTITION OF s_a3free.pt FOR VALUES FROM (0) TO (1000000000);
-- straight into a plain table of the schema: stopped near the quota
CREATE TABLE s_a3.direct(i int);
INSERT INTO s_a3.direct SELECT generate_series(1, 500000);
\echo :SQLSTATE
SELECT pg_total_relation_size('s_a3.direct') <= 4 * 1024 * 1024 AS bounded;
DROP TABLE s_a3.direct;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a3;
-- routed to the partition
INSERT INTO s_a3free.pt SELECT generate_series(1, 500000);
\echo :SQLSTATE
SELECT pg_total_relation_size('s_a3.pt1') <= 4 * 1024 * 1024 AS bounded;
TRUNCATE s_a3free.pt;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a3;
-- a function's load, run by a one-row INSERT into the partitioned table
CREATE TABLE s_a3.t(i int);
CREATE FUNCTION s_a3free.load() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO s_a3.t SELECT generate_series(1, 500000);
  RETURN 1;
END $$;
INSERT INTO s_a3free.pt SELECT s_a3free.load();
\echo :SQLSTATE
SELECT pg_total_relation_size('s_a3.t') <= 4 * 1024 * 1024 AS bounded;
RESET ROLE;
-- the worker, at its next refresh, finds the schema near its quota
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes <= 4 * 1024 * 1024 AS bounded
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_a3';

SELECT diskquota.set_schema_quota('s_a3', '-1');
DROP SCHEMA s_a3 CASCADE;
DROP SCHEMA s_a3free CASCADE;
DROP ROLE dq_a3;
\i sql/include/quiet_worker_end.psql
