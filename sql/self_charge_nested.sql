-- Rows routed to partitions, and what triggers write, are charged by the
-- statement (diskquota.self_charge): the load stops within 2 MB of the
-- quota without waiting for the worker.  Sizes are asserted, never time.
-- self-charging is off by default: this test turns it on
SET diskquota.self_charge = on;
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.naptime = 60;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE FUNCTION public.dq_sizes(nsp oid) RETURNS bigint LANGUAGE sql AS $$
  SELECT sum(pg_total_relation_size(oid))::bigint FROM pg_class
  WHERE relnamespace = nsp AND relkind = 'r'
$$;
CREATE ROLE dq_scn NOLOGIN;
SELECT diskquota.set_role_quota('dq_scn', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();

-- rows routed to temporary partitions of 100000 rows each (about 200 MB
-- in all if the load ran to the end)
SET ROLE dq_scn;
CREATE TEMP TABLE p(i int) PARTITION BY RANGE (i);
DO $$
BEGIN
  FOR k IN 0..59 LOOP
    EXECUTE format('CREATE TEMP TABLE p_%s PARTITION OF p FOR VALUES FROM (%s) TO (%s)',
                   k, k * 100000, (k + 1) * 100000);
  END LOOP;
END $$;
INSERT INTO p SELECT generate_series(0, 5999999);
SELECT dq_sizes(pg_my_temp_schema()) < (10 + 2) * 1024 * 1024 AS bounded;
DROP TABLE p;
RESET ROLE;

-- a partitioned table whose partitions are in a schema with a quota, its
-- own schema and owner without one
CREATE SCHEMA s_scn;
SELECT diskquota.set_schema_quota('s_scn', '10 MB');
CREATE TABLE public.pr(i int) PARTITION BY RANGE (i);
DO $$
BEGIN
  FOR k IN 0..59 LOOP
    EXECUTE format('CREATE TABLE s_scn.pr_%s PARTITION OF public.pr FOR VALUES FROM (%s) TO (%s)',
                   k, k * 100000, (k + 1) * 100000);
  END LOOP;
END $$;
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO public.pr SELECT generate_series(0, 5999999);
SELECT dq_sizes('s_scn'::regnamespace) < (10 + 2) * 1024 * 1024 AS bounded;
DROP TABLE public.pr;

-- what a trigger writes, BEFORE or AFTER, for an INSERT or a COPY
CREATE FUNCTION public.dq_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO tl SELECT generate_series(1, NEW.n);
  RETURN NEW;
END $$;
SET ROLE dq_scn;
CREATE TEMP TABLE tl(i int);
CREATE TEMP TABLE tb(n int);
CREATE TRIGGER load BEFORE INSERT ON tb FOR EACH ROW EXECUTE FUNCTION dq_load();
CREATE TEMP TABLE ta(n int);
CREATE TRIGGER load AFTER INSERT ON ta FOR EACH ROW EXECUTE FUNCTION dq_load();
INSERT INTO tb VALUES (6000000);
SELECT pg_total_relation_size('tl') < (10 + 2) * 1024 * 1024 AS bounded;
TRUNCATE tl;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_scn;
INSERT INTO ta VALUES (6000000);
SELECT pg_total_relation_size('tl') < (10 + 2) * 1024 * 1024 AS bounded;
TRUNCATE tl;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_scn;
COPY tb FROM STDIN;
6000000
\.
SELECT pg_total_relation_size('tl') < (10 + 2) * 1024 * 1024 AS bounded;
DROP TABLE tl, tb, ta;
RESET ROLE;

-- a data-modifying CTE the query does not read runs when the statement
-- finishes (ExecutorFinish)
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_scn;
CREATE TEMP TABLE tw(i int);
WITH w AS (INSERT INTO tw SELECT generate_series(1, 6000000) RETURNING 1)
SELECT 1 AS one;
SELECT pg_total_relation_size('tw') < (10 + 2) * 1024 * 1024 AS bounded;
DROP TABLE tw;
RESET ROLE;

SELECT diskquota.set_schema_quota('s_scn', '-1');
DROP SCHEMA s_scn CASCADE;
SELECT diskquota.set_role_quota('dq_scn', '-1');
DROP ROLE dq_scn;
DROP FUNCTION public.dq_sizes(oid);
DROP FUNCTION public.dq_load();
ALTER SYSTEM RESET diskquota.naptime;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
