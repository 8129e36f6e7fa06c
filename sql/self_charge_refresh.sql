-- REFRESH MATERIALIZED VIEW (not CONCURRENTLY) rebuilds the view's indexes
-- after its query filled the new heap, with nothing to poll: their new
-- files are charged when the statement's work is done, and it fails with
-- the quota error if they do not fit (an eighth attack, branch attack8,
-- refreshed a view with six indexes 29 MB past a quota with 12 MB of
-- headroom).  Same setup as self_charge_paths: self_charge on by ALTER
-- SYSTEM, the worker kept quiet (no file-change feed, naptime and
-- load_check_interval of a minute); sizes and errors asserted, never
-- time.
\set VERBOSITY terse
\i sql/include/quiet_worker.psql
CREATE ROLE dq_c8 NOLOGIN;
CREATE SCHEMA s_c8 AUTHORIZATION dq_c8;
SET ROLE dq_c8;
CREATE TABLE s_c8.src(i int, p text);
INSERT INTO s_c8.src SELECT g, md5(g::text) || md5((g+1)::text) || md5((g+2)::text) FROM generate_series(1, 50000) g;
CREATE MATERIALIZED VIEW s_c8.mv AS SELECT * FROM s_c8.src WITH NO DATA;
CREATE INDEX ON s_c8.mv(p); CREATE INDEX ON s_c8.mv(p, i); CREATE INDEX ON s_c8.mv(i, p);
CREATE INDEX ON s_c8.mv(md5(p)); CREATE INDEX ON s_c8.mv(upper(p)); CREATE INDEX ON s_c8.mv(lower(p));
CREATE TABLE s_c8.u(i int, p text);
ALTER TABLE s_c8.u ALTER p SET STORAGE EXTERNAL;
INSERT INTO s_c8.u SELECT g, 'a' FROM generate_series(1, 200) g;
CREATE TABLE s_c8.amp(i int, p text);
INSERT INTO s_c8.amp SELECT g, repeat('q', 200) FROM generate_series(1, 1000) g;
RESET ROLE;
SELECT diskquota.set_schema_quota('s_c8', ((y.diskquota_size) / 1048576 + 12)::text || ' MB')
  FROM (SELECT 1) x, LATERAL (SELECT sum(pg_total_relation_size(c.oid)) AS diskquota_size FROM pg_class c WHERE relnamespace = 's_c8'::regnamespace AND relkind IN ('r','m')) y;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT quota_in_bytes AS q FROM diskquota.show_schema_quota_view WHERE schema_name = 's_c8' \gset
CREATE VIEW s8 AS SELECT (sum(pg_total_relation_size(c.oid)) - :q) / 1024 AS kb_past FROM pg_class c WHERE relnamespace = 's_c8'::regnamespace AND relkind IN ('r','m');
-- REFRESH with 6 indexes
SET ROLE dq_c8;
REFRESH MATERIALIZED VIEW s_c8.mv;
RESET ROLE;
\echo :LAST_ERROR_SQLSTATE
-- refused when its indexes are built: nothing is left past the quota (the
-- new heap and indexes went with the transaction), the view unpopulated
SELECT kb_past <= 2 * 1024 AS bounded FROM s8;
SELECT relispopulated FROM pg_class WHERE oid = 's_c8.mv'::regclass;

DROP VIEW s8;
SELECT diskquota.set_schema_quota('s_c8', '-1');
DROP SCHEMA s_c8 CASCADE;
DROP ROLE dq_c8;
\i sql/include/quiet_worker_end.psql
