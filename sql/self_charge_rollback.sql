-- A rewrite rolled back in a subtransaction is not charged again (a
-- seventh attack, branch attack7, made it charge hundreds of MB that
-- nobody wrote to the database quota and so refuse another tenant's
-- loads).  Same setup as self_charge_paths:
-- self_charge on by ALTER SYSTEM, the worker kept quiet (no file-change
-- feed, naptime and load_check_interval of a minute) so that only the
-- statements' own charges count; sizes and errors asserted, never time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_a7 NOLOGIN;
CREATE ROLE dq_b7 NOLOGIN;
GRANT TEMPORARY ON DATABASE contrib_regression TO dq_a7;
CREATE SCHEMA s_b7 AUTHORIZATION dq_b7;
CREATE TABLE s_b7.t(i int);
ALTER TABLE s_b7.t OWNER TO dq_b7;

SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;

-- 1. A function of the statement TRUNCATEs a table it wrote (a nested
-- relation: its lock lapsed) in an EXCEPTION block and writes a row into
-- it, so that a poll measures the new, empty files; the block rolls back
-- and the table has its old files again.  Files this transaction did not
-- make are measured from their sizes, charging nothing
-- (renewed_relation_growth): the load of 300 narrow rows completes, and
-- another tenant's load into its own schema is not refused.
SELECT diskquota.set_database_quota(
         (pg_database_size(current_database()) / 1048576 + 100)::text || ' MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_a7;
CREATE TEMP TABLE drv(i int, a int[]);
-- measured after every row: a poll inside the block and one after it
CREATE INDEX ON drv USING gin(a);
CREATE TEMP TABLE tt(i int);
INSERT INTO tt SELECT g FROM generate_series(1, 28000) g;
SELECT pg_total_relation_size('tt') < 1100000 AS about_1_mb;
CREATE FUNCTION pg_temp.flip(k int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    TRUNCATE pg_temp.tt;
    INSERT INTO pg_temp.tt SELECT 0 FROM generate_series(1, 1);
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  RETURN k;
END $$;
RESET ROLE;
SELECT epoch AS e0 FROM diskquota.status() WHERE database_name = current_database() \gset
BEGIN;
SET LOCAL ROLE dq_a7;
SAVEPOINT a;
-- 300 rows of 4 bytes, 100 MB from the database quota
INSERT INTO drv SELECT pg_temp.flip(g), ARRAY[g] FROM generate_series(1, 300) g;
\echo :SQLSTATE
ROLLBACK TO a;
RESET ROLE;
-- another tenant, into its own schema
SELECT dblink_exec('dbname=' || current_database(),
                   'SET ROLE dq_b7; INSERT INTO s_b7.t SELECT generate_series(1, 1000)',
                   false);
-- with the database truly 100 MB below its quota, and no refresh between
SELECT epoch = :e0 AS no_refresh_between
  FROM diskquota.status() WHERE database_name = current_database();
SELECT quota_in_bytes - pg_database_size(current_database()) > 90 * 1048576
       AS truly_90_mb_free
  FROM diskquota.show_database_quota_view;
ROLLBACK;
-- after a refresh the other tenant writes
SELECT diskquota.wait_for_worker_new_epoch();
SELECT dblink_exec('dbname=' || current_database(),
                   'SET ROLE dq_b7; INSERT INTO s_b7.t SELECT generate_series(1, 1000)');
DROP TABLE drv, tt;
DROP FUNCTION pg_temp.flip(int);
SELECT diskquota.set_database_quota('-1');

DROP SCHEMA s_b7 CASCADE;
REVOKE TEMPORARY ON DATABASE contrib_regression FROM dq_a7;
DROP ROLE dq_a7;
DROP ROLE dq_b7;
\i sql/include/quiet_worker_end.psql
