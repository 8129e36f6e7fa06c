-- CREATE TABLE AS, SELECT INTO, CREATE and REFRESH MATERIALIZED VIEW
-- charge their own growth against the headroom (diskquota.self_charge)
-- and stop themselves, without waiting for the worker.  What they create
-- is gone after they fail: dq_written() checks, every 1000 rows, what the
-- relations of a schema take, and fails the statement with its own error
-- if they take more than 2 MB past the quota.  Sizes are asserted, never
-- time.
-- self-charging is off by default: this test turns it on
SET diskquota.self_charge = on;
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.naptime = 60;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE FUNCTION public.dq_written(nsp oid, lim bigint, g int) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT sum(pg_total_relation_size(oid)) FROM pg_class
      WHERE relnamespace = nsp AND relkind IN ('r', 'm')) > lim THEN
    RAISE EXCEPTION 'written past the bound';
  END IF;
  RETURN g;
END $$;

-- into temporary tables, over a role quota (about 200 MB if they ran to
-- the end)
CREATE ROLE dq_sct NOLOGIN;
SELECT diskquota.set_role_quota('dq_sct', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_sct;
CREATE TEMP TABLE first_temp(i int);
CREATE TEMP TABLE c1 AS
  SELECT CASE WHEN g % 1000 = 0
         THEN dq_written(pg_my_temp_schema(), (10 + 2) * 1024 * 1024, g)
         ELSE g END AS i
  FROM generate_series(1, 6000000) g;
SELECT CASE WHEN g % 1000 = 0
       THEN dq_written(pg_my_temp_schema(), (10 + 2) * 1024 * 1024, g)
       ELSE g END AS i
  INTO TEMP c2 FROM generate_series(1, 6000000) g;
-- wide rows go to TOAST
CREATE TEMP TABLE c3 AS
  SELECT CASE WHEN g % 10 = 0
         THEN dq_written(pg_my_temp_schema(), (10 + 2) * 1024 * 1024, g)
         ELSE g END AS i,
         (SELECT string_agg(md5(g::text || k::text), '') FROM generate_series(1, 100) k) AS v
  FROM generate_series(1, 200000) g;
DROP TABLE first_temp;
RESET ROLE;

-- materialized views, in a schema with a quota
CREATE SCHEMA s_sct;
SELECT diskquota.set_schema_quota('s_sct', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
CREATE MATERIALIZED VIEW s_sct.mv AS
  SELECT CASE WHEN g % 1000 = 0
         THEN dq_written('s_sct'::regnamespace, (10 + 2) * 1024 * 1024, g)
         ELSE g END AS i
  FROM generate_series(1, 6000000) g;
CREATE MATERIALIZED VIEW s_sct.mv AS
  SELECT CASE WHEN g % 1000 = 0
         THEN dq_written('s_sct'::regnamespace, (10 + 2) * 1024 * 1024, g)
         ELSE g END AS i
  FROM generate_series(1, 6000000) g
  WITH NO DATA;
REFRESH MATERIALIZED VIEW s_sct.mv;
SELECT pg_total_relation_size('s_sct.mv') AS empty;

-- with diskquota.self_charge off, the worker still stops the load (here
-- without a bound)
SET diskquota.self_charge = off;
SELECT diskquota.wait_for_worker_new_epoch();
CREATE TABLE s_sct.t AS SELECT generate_series(1, 6000000) AS i;
SET diskquota.self_charge = on;

SELECT diskquota.set_schema_quota('s_sct', '-1');
DROP SCHEMA s_sct CASCADE;
SELECT diskquota.set_role_quota('dq_sct', '-1');
DROP ROLE dq_sct;
DROP FUNCTION public.dq_written(oid, bigint, int);
ALTER SYSTEM RESET diskquota.naptime;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
