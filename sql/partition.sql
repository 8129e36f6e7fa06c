-- Partitions are tables of their own, charged to their own schema; a row
-- routed into a partition in a rejected schema is refused.
\set VERBOSITY terse
CREATE SCHEMA s11_parent;
CREATE SCHEMA s11_full;
CREATE TABLE s11_parent.p(i int) PARTITION BY RANGE (i);
CREATE TABLE s11_parent.p1 PARTITION OF s11_parent.p FOR VALUES FROM (0) TO (1000000);
CREATE TABLE s11_full.p2 PARTITION OF s11_parent.p FOR VALUES FROM (1000000) TO (3000000);
SELECT diskquota.set_schema_quota('s11_parent', '100 MB');
INSERT INTO s11_parent.p SELECT generate_series(1, 1000);
INSERT INTO s11_parent.p SELECT generate_series(1000000, 1100000);
SELECT diskquota.set_schema_quota('s11_full', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT schema_name,
       nspsize_in_bytes = pg_total_relation_size(CASE schema_name WHEN 's11_full'
                            THEN 's11_full.p2' ELSE 's11_parent.p1' END::regclass) AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name LIKE 's11%'
 ORDER BY schema_name COLLATE "C";
-- routed into the full partition: refused
INSERT INTO s11_parent.p VALUES (2000000);
\echo :LAST_ERROR_SQLSTATE
COPY s11_parent.p FROM STDIN;
2000001
\.
-- an UPDATE may move rows into the full partition: refused
UPDATE s11_parent.p SET i = i + 1 WHERE i = 1;
-- diskquota cannot see where each row goes before it is written: a load
-- into a partitioned table is refused while any of its partitions is
-- rejected, even for rows that would go elsewhere
INSERT INTO s11_parent.p VALUES (5);
-- a load straight into the other partition is allowed
INSERT INTO s11_parent.p1 VALUES (5);
-- COPY into the parent is counted in its partitions, inside the transaction
CREATE SCHEMA s11_copy;
CREATE TABLE s11_copy.q(i int) PARTITION BY RANGE (i);
CREATE TABLE s11_copy.q1 PARTITION OF s11_copy.q FOR VALUES FROM (0) TO (1000000);
SELECT diskquota.set_schema_quota('s11_copy', '100 MB');
BEGIN;
COPY s11_copy.q FROM PROGRAM 'seq 1 100000';
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s11_copy.q1') AS matches,
       nspsize_in_bytes > 1024 * 1024 AS over
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's11_copy';
-- another session sets a quota below that uncommitted usage: the next load
-- of this transaction is refused
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT dblink_exec('dbname=' || current_database(),
                   $x$DO $q$ BEGIN PERFORM diskquota.set_schema_quota('s11_copy', '1 MB'); END $q$$x$);
SELECT diskquota.wait_for_worker_new_epoch();
COPY s11_copy.q FROM STDIN;
1
\.
ROLLBACK;
SELECT diskquota.set_schema_quota('s11_copy', '-1');
DROP SCHEMA s11_copy CASCADE;
-- the partitioned parent itself has no storage of its own
SELECT pg_relation_size('s11_parent.p') AS parent_size;
DROP SCHEMA s11_parent, s11_full CASCADE;
-- an UPDATE of an inheritance parent with more children than a backend
-- slot holds: a rejected child is found all the same
CREATE SCHEMA s_inh;
CREATE SCHEMA s_inh_bad;
CREATE TABLE s_inh.parent(i int);
DO $$
BEGIN
  FOR k IN 1..17 LOOP
    EXECUTE format('CREATE TABLE s_inh.c%s () INHERITS (s_inh.parent)', k);
  END LOOP;
END $$;
CREATE TABLE s_inh_bad.c_last () INHERITS (s_inh.parent);
INSERT INTO s_inh_bad.c_last VALUES (1);
SELECT diskquota.set_schema_quota('s_inh_bad', '0');
SELECT diskquota.wait_for_worker_new_epoch();
UPDATE s_inh.parent SET i = i;
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('s_inh_bad', '-1');
SET client_min_messages = warning;
DROP SCHEMA s_inh, s_inh_bad CASCADE;
RESET client_min_messages;
