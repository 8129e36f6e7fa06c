-- The views report what pg_total_relation_size() reports: heap, TOAST,
-- indexes, all forks; one row per configured quota, zero usage included.
CREATE SCHEMA s15_a;
CREATE SCHEMA s15_b;
CREATE SCHEMA s15_empty;
CREATE ROLE dq_r15 NOLOGIN;
CREATE ROLE dq_r15_empty NOLOGIN;
CREATE TABLE s15_a.t1(i int PRIMARY KEY, v text);
CREATE TABLE s15_a.t2(i int);
CREATE INDEX ON s15_a.t2(i);
CREATE TABLE s15_b.t3(i int);
CREATE MATERIALIZED VIEW s15_b.mv AS SELECT generate_series(1, 5000) AS i;
ALTER TABLE s15_a.t2 OWNER TO dq_r15;
ALTER TABLE s15_b.t3 OWNER TO dq_r15;
INSERT INTO s15_a.t1 SELECT i, repeat('x', 3000) FROM generate_series(1, 300) i;
INSERT INTO s15_a.t2 SELECT generate_series(1, 30000);
INSERT INTO s15_b.t3 SELECT generate_series(1, 20000);
DELETE FROM s15_a.t2 WHERE i % 2 = 0;
VACUUM s15_a.t2;
SELECT diskquota.set_schema_quota('s15_a', '100 MB');
SELECT diskquota.set_schema_quota('s15_b', '100 MB');
SELECT diskquota.set_schema_quota('s15_empty', '5 MB');
SELECT diskquota.set_role_quota('dq_r15', '100 MB');
SELECT diskquota.set_role_quota('dq_r15_empty', '512 kB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT v.schema_name, v.schema_oid = n.oid AS oid_ok, v.quota_in_mb, v.quota_in_bytes,
       v.nspsize_in_bytes = (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)
                               FROM pg_class c
                              WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'm')) AS matches,
       v.nspsize_in_bytes > 0 AS nonzero
  FROM diskquota.show_schema_quota_view v JOIN pg_namespace n ON n.nspname = v.schema_name
 WHERE v.schema_name LIKE 's15%' ORDER BY v.schema_name COLLATE "C";
SELECT v.role_name, v.role_oid = r.oid AS oid_ok, v.quota_in_mb, v.quota_in_bytes,
       v.rolsize_in_bytes = (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)
                               FROM pg_class c
                              WHERE c.relowner = r.oid AND c.relkind IN ('r', 'm')) AS matches,
       v.rolsize_in_bytes > 0 AS nonzero
  FROM diskquota.show_role_quota_view v JOIN pg_roles r ON r.rolname = v.role_name
 WHERE v.role_name LIKE 'dq_r15%' ORDER BY v.role_name COLLATE "C";
-- the usage is the worker's, not computed at query time
SELECT quota_type, quota_in_bytes, used_bytes > 0 AS nonzero, rejected
  FROM diskquota.quota_usage() u
 WHERE u.target_oid IN ('s15_a'::regnamespace, 's15_empty'::regnamespace,
                        'dq_r15_empty'::regrole)
 ORDER BY quota_type COLLATE "C", quota_in_bytes;
DROP SCHEMA s15_a, s15_b, s15_empty CASCADE;
SELECT diskquota.set_role_quota('dq_r15', '-1');
SELECT diskquota.set_role_quota('dq_r15_empty', '-1');
DROP ROLE dq_r15, dq_r15_empty;
