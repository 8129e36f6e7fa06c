-- A row routed into a partition not measured yet is written before the
-- statement measures that partition: it was charged as its values reckon
-- it (at most what the partition then holds).  What it added to a GIN
-- index is not in that reckoning: one row whose indexed expression yields
-- 20,000 keys adds about 1 MB to the index, for an 8 kB reckoning.  A
-- tenant routing one such row into each of many new partitions wrote
-- about 200 MB into a 5 MB schema quota, uncharged, until the worker's
-- next refresh.  Now such an index is charged, for that first row, what
-- it grew beyond the size pg_class last recorded for it.  The worker is
-- kept quiet, so that only the statement's own charges stop it; sizes are
-- asserted, never time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql

CREATE ROLE dq_gr NOLOGIN;
CREATE SCHEMA s_gr AUTHORIZATION dq_gr;
SET ROLE dq_gr;
CREATE FUNCTION s_gr.keys(n int) RETURNS int[] LANGUAGE sql IMMUTABLE AS
  'SELECT array_agg(g) FROM generate_series(1, n) g';
CREATE TABLE s_gr.p(k int, n int) PARTITION BY LIST (k);
DO $$
BEGIN
  FOR g IN 1..60 LOOP
    EXECUTE format('CREATE TABLE s_gr.p%s PARTITION OF s_gr.p FOR VALUES IN (%s)', g, g);
  END LOOP;
END $$;
CREATE INDEX ON s_gr.p USING gin ((s_gr.keys(n))) WITH (fastupdate = off);
RESET ROLE;
SELECT diskquota.set_schema_quota('s_gr', '5 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();

-- one row into each of 60 new partitions: about 60 MB if not stopped
SET ROLE dq_gr;
INSERT INTO s_gr.p SELECT g, 20000 FROM generate_series(1, 60) g;
\echo :SQLSTATE
SELECT count(*) = 0 AS rolled_back FROM s_gr.p;
SELECT sum(pg_total_relation_size(inhrelid)) <= 7 * 1024 * 1024 AS bounded
  FROM pg_inherits WHERE inhparent = 's_gr.p'::regclass;
RESET ROLE;

SELECT diskquota.set_schema_quota('s_gr', '-1');
DROP SCHEMA s_gr CASCADE;
DROP ROLE dq_gr;
\i sql/include/quiet_worker_end.psql
