-- UPDATE writes new row versions: it is refused over quota, DELETE is not.
\set VERBOSITY terse
CREATE SCHEMA s6;
CREATE TABLE s6.t(i int, v text);
INSERT INTO s6.t SELECT i, 'x' FROM generate_series(1, 100000) i;
SELECT diskquota.set_schema_quota('s6', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
UPDATE s6.t SET v = 'y' WHERE i = 1;
\echo :LAST_ERROR_SQLSTATE
-- an UPDATE that the planner knows touches nothing is still a load
UPDATE s6.t SET v = 'y' WHERE false;
DELETE FROM s6.t WHERE i = 1;
SELECT count(*) FROM s6.t;
-- a MERGE that only deletes frees space: allowed
MERGE INTO s6.t USING (SELECT 2 AS i) s ON t.i = s.i
  WHEN MATCHED THEN DELETE;
-- a DELETE whose foreign keys set NULL in a full schema is allowed
CREATE SCHEMA s6_parent;
CREATE TABLE s6_parent.p(id int PRIMARY KEY);
INSERT INTO s6_parent.p VALUES (1), (2);
CREATE TABLE s6.c(pid int REFERENCES s6_parent.p ON DELETE SET NULL);
INSERT INTO s6.c SELECT 1 FROM generate_series(1, 10);
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('s6', '-1');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s6.c SELECT 1 FROM generate_series(1, 10);
SELECT diskquota.set_schema_quota('s6', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s6.c VALUES (1);
DELETE FROM s6_parent.p WHERE id = 1;
SELECT count(*) FROM s6.c WHERE pid IS NULL;
SELECT diskquota.set_schema_quota('s6', '-1');
\set VERBOSITY default
DROP SCHEMA s6, s6_parent CASCADE;
