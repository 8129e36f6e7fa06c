-- COPY FROM charges its own growth against the headroom
-- (diskquota.self_charge) and stops itself within 2 MB of the quota,
-- without waiting for the worker; also when a trigger makes the relation
-- cache rebuild the table's entry while it runs.  Sizes are asserted,
-- never time.
-- self-charging is off by default: this test turns it on
SET diskquota.self_charge = on;
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.naptime = 60;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE ROLE dq_scc NOLOGIN;
GRANT pg_execute_server_program TO dq_scc;
SELECT diskquota.set_role_quota('dq_scc', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();

-- into a temporary table (about 200 MB if it ran to the end)
SET ROLE dq_scc;
CREATE TEMP TABLE tc(i int);
COPY tc FROM PROGRAM 'seq 1 6000000';
SELECT pg_total_relation_size('tc') < (10 + 2) * 1024 * 1024 AS bounded;
-- one row at a time (a BEFORE trigger: no batches), while the trigger
-- invalidates the table's relation cache entry every 1000 rows
CREATE FUNCTION pg_temp.regrant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.i % 1000 = 0 THEN
    EXECUTE 'GRANT SELECT ON tc2 TO PUBLIC';
  END IF;
  RETURN NEW;
END $$;
CREATE TEMP TABLE tc2(i int);
CREATE TRIGGER regrant BEFORE INSERT ON tc2 FOR EACH ROW EXECUTE FUNCTION pg_temp.regrant();
TRUNCATE tc;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_scc;
COPY tc2 FROM PROGRAM 'seq 1 6000000';
SELECT pg_total_relation_size('tc2') < (10 + 2) * 1024 * 1024 AS bounded;
DROP TABLE tc, tc2;
DROP FUNCTION pg_temp.regrant();
RESET ROLE;

-- an indexed table in a schema with a quota
CREATE SCHEMA s_scc;
CREATE TABLE s_scc.t(i int PRIMARY KEY, v text);
SELECT diskquota.set_schema_quota('s_scc', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
COPY s_scc.t FROM PROGRAM 'seq 1 3000000 | sed "s/$/\tvalue/"';
SELECT pg_total_relation_size('s_scc.t') < (10 + 2) * 1024 * 1024 AS bounded;
SELECT diskquota.set_schema_quota('s_scc', '-1');
DROP SCHEMA s_scc CASCADE;

SELECT diskquota.set_role_quota('dq_scc', '-1');
DROP ROLE dq_scc;
ALTER SYSTEM RESET diskquota.naptime;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
