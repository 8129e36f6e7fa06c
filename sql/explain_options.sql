-- EXPLAIN decides whether it runs its statement as PostgreSQL does: the
-- last ANALYZE option wins, whatever its spelling.  A CREATE TABLE AS,
-- SELECT INTO or CREATE MATERIALIZED VIEW it runs is refused over quota.
\set VERBOSITY terse
CREATE SCHEMA s_ex;
CREATE TABLE s_ex.t AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s_ex', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- the attack: a repeated option, the first false, the last true
EXPLAIN (ANALYZE false, ANALYZE true, COSTS off, TIMING off, SUMMARY off)
  CREATE TABLE s_ex.big AS SELECT generate_series(1, 100000) AS i;
\echo :LAST_ERROR_SQLSTATE
EXPLAIN (ANALYZE off, ANALYZE, COSTS off, TIMING off, SUMMARY off)
  CREATE TABLE s_ex.big AS SELECT 1 AS i;
EXPLAIN (ANALYZE 0, ANALYZE 1, COSTS off, TIMING off, SUMMARY off)
  SELECT 1 AS i INTO s_ex.big;
EXPLAIN (ANALYZE 'off', ANALYZE 'true', COSTS off, TIMING off, SUMMARY off)
  CREATE MATERIALIZED VIEW s_ex.mv AS SELECT 1 AS i;
PREPARE q AS SELECT generate_series(1, 100000) AS i;
EXPLAIN (ANALYZE false, ANALYZE on, COSTS off, TIMING off, SUMMARY off)
  CREATE TABLE s_ex.big AS EXECUTE q;
DEALLOCATE q;
-- the last option false: nothing runs, nothing is refused or created
EXPLAIN (ANALYZE true, ANALYZE false, COSTS off)
  CREATE TABLE s_ex.plan AS SELECT 1 AS i;
EXPLAIN (ANALYZE, ANALYZE off, COSTS off)
  CREATE MATERIALIZED VIEW s_ex.plan AS SELECT 1 AS i;
SELECT to_regclass('s_ex.plan') IS NULL AS not_created,
       to_regclass('s_ex.big') IS NULL AS big_not_created,
       to_regclass('s_ex.mv') IS NULL AS mv_not_created;
-- a value EXPLAIN refuses is refused as EXPLAIN refuses it
EXPLAIN (ANALYZE maybe, COSTS off) CREATE TABLE s_ex.plan AS SELECT 1 AS i;
DROP SCHEMA s_ex CASCADE;
