-- COPY FROM is counted and refused like INSERT.
\set VERBOSITY terse
CREATE SCHEMA s5;
CREATE TABLE s5.t(i int);
COPY s5.t FROM PROGRAM 'seq 1 100000';
SELECT diskquota.set_schema_quota('s5', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s5.t') AS matches,
       nspsize_in_bytes > 1024 * 1024 AS over
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's5';
COPY s5.t FROM STDIN;
1
2
\.
\echo :LAST_ERROR_SQLSTATE
COPY s5.t FROM PROGRAM 'seq 1 10';
-- COPY TO is reading: allowed
COPY (SELECT count(*) FROM s5.t) TO STDOUT;
DROP SCHEMA s5 CASCADE;
