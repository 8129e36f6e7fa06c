-- A schema over its quota refuses loads; cleanup stays allowed.
\set VERBOSITY terse
CREATE SCHEMA s1;
CREATE SCHEMA s1_other;
CREATE TABLE s1.a(i int);
CREATE TABLE s1.b(i int);
CREATE TABLE s1_other.c(i int);
INSERT INTO s1.a SELECT generate_series(1, 100);
INSERT INTO s1.a SELECT generate_series(1, 100000);
-- a quota below the usage: enforced from the worker's next refresh
SELECT diskquota.set_schema_quota('s1', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT schema_name, quota_in_mb, nspsize_in_bytes > 1024 * 1024 AS over
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's1';
INSERT INTO s1.a SELECT generate_series(1, 100);
\echo :LAST_ERROR_SQLSTATE
-- every table of the schema is refused
INSERT INTO s1.b VALUES (1);
-- data-modifying CTE and MERGE too
WITH x AS (INSERT INTO s1.b VALUES (1) RETURNING *) SELECT count(*) FROM x;
MERGE INTO s1.b USING (SELECT 1 AS i) s ON b.i = s.i
  WHEN NOT MATCHED THEN INSERT VALUES (s.i);
-- a prepared statement checks at each execution
PREPARE ins AS INSERT INTO s1.b VALUES (1);
EXECUTE ins;
-- other schemas are not affected
INSERT INTO s1_other.c VALUES (1);
-- reading, deleting and vacuuming are never refused
SELECT count(*) FROM s1.a;
DELETE FROM s1.a WHERE i <= 100;
VACUUM s1.a;
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s1.a VALUES (1);
-- freeing space below the quota lets loads in again after a refresh
DELETE FROM s1.a;
VACUUM s1.a;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < 1024 * 1024 AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's1';
INSERT INTO s1.a VALUES (1);
EXECUTE ins;
DEALLOCATE ins;
SELECT diskquota.set_schema_quota('s1', '-1');
\set VERBOSITY default
DROP SCHEMA s1, s1_other CASCADE;
