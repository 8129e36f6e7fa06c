-- Self-charging where a sixth attack (branch attack6) found it broken: a
-- TOAST relation or index created while the statement runs for a table it
-- measures already; a writing utility statement run by a trigger of a COPY,
-- which ended the COPY's charging (a 30 MB load into a 10 MB quota) and, in
-- an EXCEPTION block, corrupted the table's relcache reference count (a
-- backend crash); and a measured table truncated by the statement's own
-- function, whose missing free space map raised an error with the
-- charged-relation map's lock held: the error path waited for that lock
-- for ever, and every self-charging statement of the cluster with it.
-- Same setup as self_charge_edges: self_charge on by ALTER SYSTEM, the
-- worker kept quiet (no file-change feed, naptime and load_check_interval
-- of a minute) so that only the statements' own charges stop them; sizes
-- asserted, never time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_a6 NOLOGIN;
CREATE SCHEMA s_a6 AUTHORIZATION dq_a6;

SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;

-- 1. A TOAST relation (or index) created while the statement runs, for a
-- table it measures already, is measured from the next write of that
-- table: a function writes a narrow row, adds a text column (which makes
-- the TOAST relation), then writes 1 MB values: stopped near the 4 MB
-- quota (it completed 40 MB past it).
SET ROLE dq_a6;
CREATE TABLE s_a6.drv(i int);
CREATE TABLE s_a6.big(i int);
CREATE FUNCTION s_a6.grow(k int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF k = 1 THEN
    INSERT INTO s_a6.big SELECT 0 FROM generate_series(1, 1);
    ALTER TABLE s_a6.big ADD COLUMN p text;
    ALTER TABLE s_a6.big ALTER COLUMN p SET STORAGE EXTERNAL;
  END IF;
  INSERT INTO s_a6.big SELECT k, repeat(md5(k::text), 32768) FROM generate_series(1, 1);
  RETURN k;
END $$;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a6', '4 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a6;
INSERT INTO s_a6.drv SELECT s_a6.grow(g) FROM generate_series(1, 40) g;
\echo :SQLSTATE
RESET ROLE;
SELECT pg_total_relation_size('s_a6.big') <= (4 + 2) * 1024 * 1024 AS bounded;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes - quota_in_bytes <= 2 * 1024 * 1024 AS bounded
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_a6';
SELECT diskquota.set_schema_quota('s_a6', '-1');
DROP TABLE s_a6.big, s_a6.drv;
DROP FUNCTION s_a6.grow(int);


-- 2. A writing utility statement (REFRESH) run by a BEFORE STATEMENT
-- trigger of a COPY no longer ends the COPY's charging: only the COPY that
-- began it ends it.  The COPY is stopped near the 10 MB quota.
SET ROLE dq_a6;
CREATE MATERIALIZED VIEW s_a6.mv AS SELECT g i FROM generate_series(1, 10) g;
CREATE TABLE s_a6.ct(i int, p text DEFAULT repeat(md5(random()::text), 30));
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a6', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a6;
CREATE FUNCTION s_a6.bs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN REFRESH MATERIALIZED VIEW s_a6.mv; RETURN NULL; END $$;
CREATE TRIGGER bs BEFORE INSERT ON s_a6.ct FOR EACH STATEMENT EXECUTE FUNCTION s_a6.bs();
\copy s_a6.ct(i) from program 'seq 1 30000'
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM s_a6.ct;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes - quota_in_bytes <= 2 * 1024 * 1024 AS bounded
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_a6';
SELECT diskquota.set_schema_quota('s_a6', '-1');
DROP TABLE s_a6.ct;
DROP FUNCTION s_a6.bs();


-- 3. The same REFRESH in an EXCEPTION block of a row trigger, three times,
-- then a GRANT that rebuilds the table's cache entry and a CREATE TABLE AS
-- in the trigger: the COPY completes (it failed with a relcache error, left
-- the table "in use" for the session, or crashed the backend).
SET ROLE dq_a6;
CREATE TABLE s_a6.ct(i int, p text);
CREATE FUNCTION s_a6.ctt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.i <= 3 THEN
    BEGIN
      REFRESH MATERIALIZED VIEW s_a6.mv;
    EXCEPTION WHEN others THEN RAISE NOTICE 'caught: %', SQLERRM;
    END;
  END IF;
  IF NEW.i = 4 THEN
    EXECUTE 'GRANT SELECT ON s_a6.ct TO public';
    CREATE TABLE s_a6.junk AS SELECT g, repeat('x', g % 100) p FROM generate_series(1, 100) g;
    DROP TABLE s_a6.junk;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ctt BEFORE INSERT ON s_a6.ct FOR EACH ROW EXECUTE FUNCTION s_a6.ctt();
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a6', '50 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a6;
COPY s_a6.ct FROM STDIN;
1	a
2	b
3	c
4	d
5	e
6	f
\.
SELECT count(*) FROM s_a6.ct;
-- the table is not left in use
DROP TABLE s_a6.ct;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_a6', '-1');

-- 4. A table the statement measures, truncated by its own function: new
-- files without the free space and visibility maps the statement measured.
-- It is measured afresh from its new files (all it holds was written
-- since); nothing is read that is not there, and no error is raised with
-- the map's lock held (the backend hung on its own lock, and the cluster's
-- self-charging statements with it).
SELECT diskquota.set_schema_quota('s_a6', '50 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a6;
CREATE TABLE s_a6.drv(i int, a int[]);
CREATE INDEX ON s_a6.drv USING gin(a);
CREATE TABLE s_a6.tt(i int, p text);
INSERT INTO s_a6.tt SELECT g, repeat('x', 500) FROM generate_series(1, 200) g;
VACUUM s_a6.tt;
CREATE FUNCTION s_a6.fn(k int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF k = 1 THEN INSERT INTO s_a6.tt SELECT 0, 'y' FROM generate_series(1, 1); END IF;
  IF k = 3 THEN TRUNCATE s_a6.tt; END IF;
  IF k = 5 THEN INSERT INTO s_a6.tt SELECT g, 'z' FROM generate_series(1, 10) g; END IF;
  RETURN k;
END $$;
INSERT INTO s_a6.drv SELECT s_a6.fn(g), ARRAY[g] FROM generate_series(1, 6) g;
\echo :SQLSTATE
SELECT count(*) AS rows_after_truncate FROM s_a6.tt;
RESET ROLE;
-- and another session's self-charging statement does not wait
SELECT dblink_exec('dbname=' || current_database(),
                   'SET diskquota.self_charge = on; INSERT INTO s_a6.tt SELECT g, ''w'' FROM generate_series(1, 1000) g');

DROP SCHEMA s_a6 CASCADE;
DROP ROLE dq_a6;
\i sql/include/quiet_worker_end.psql
