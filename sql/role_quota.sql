-- A role over its quota: loads into any table it owns are refused, whoever
-- runs them.
\set VERBOSITY terse
CREATE ROLE dq_u1 NOLOGIN;
CREATE SCHEMA s2;
CREATE TABLE s2.a(i int);
CREATE TABLE s2.b(i int);
CREATE TABLE s2.mine(i int);
ALTER TABLE s2.a OWNER TO dq_u1;
ALTER TABLE s2.b OWNER TO dq_u1;
INSERT INTO s2.a SELECT generate_series(1, 100000);
SELECT diskquota.set_role_quota('dq_u1', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT role_name, quota_in_mb,
       rolsize_in_bytes = pg_total_relation_size('s2.a') + pg_total_relation_size('s2.b') AS matches
  FROM diskquota.show_role_quota_view WHERE role_name = 'dq_u1';
INSERT INTO s2.a VALUES (1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO s2.b VALUES (1);
UPDATE s2.b SET i = 2;
-- a table of another owner in the same schema is not affected
INSERT INTO s2.mine VALUES (1);
-- removing the quota lets loads in after a refresh
SELECT diskquota.set_role_quota('dq_u1', '-1');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s2.a VALUES (1);
SELECT count(*) FROM diskquota.show_role_quota_view WHERE role_name = 'dq_u1';
-- dropping a role with a quota: the quota is no longer enforced or shown
SELECT diskquota.set_role_quota('dq_u1', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT 'dq_u1'::regrole::oid AS u1_oid \gset
SELECT rejected FROM diskquota.quota_usage() WHERE target_oid = :u1_oid;
\set VERBOSITY default
DROP SCHEMA s2 CASCADE;
DROP ROLE dq_u1;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.quota_usage() WHERE target_oid = :u1_oid;
SELECT count(*) FROM diskquota.show_role_quota_view WHERE role_oid = :u1_oid;
