-- The quota errors in full: the primary message (fixed: scripts match it),
-- the usage and the quota in the detail, the view to look at in the hint.
-- Tables of a known number of pages (226 rows of one int fill a page, and
-- the INSERT adds a free space map of 3 pages) and no autovacuum: the
-- figures are the same at every run.
CREATE SCHEMA s_msg;
CREATE SCHEMA s_msg_role;
CREATE SCHEMA s_msg_to;
CREATE ROLE dq_msg NOLOGIN;
-- 300 pages in schema s_msg
CREATE TABLE s_msg.t(i int);
INSERT INTO s_msg.t SELECT generate_series(1, 226 * 300);
-- 200 pages owned by dq_msg
CREATE TABLE s_msg_role.t(i int);
ALTER TABLE s_msg_role.t OWNER TO dq_msg;
INSERT INTO s_msg_role.t SELECT generate_series(1, 226 * 200);
-- the usage as pg_size_pretty() prints it, as the details below do
SELECT pg_size_pretty(pg_total_relation_size('s_msg.t')) AS schema_usage,
       pg_size_pretty(pg_total_relation_size('s_msg_role.t')) AS role_usage;
SELECT diskquota.set_schema_quota('s_msg', '1 MB');
SELECT diskquota.set_role_quota('dq_msg', '1 MB');
SELECT diskquota.set_schema_quota('s_msg_to', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s_msg.t VALUES (1);
INSERT INTO s_msg_role.t VALUES (1);
-- a target under its quota that a move would take over it
ALTER TABLE s_msg.t SET SCHEMA s_msg_to;
-- the same quotas in the tablespace of the tables
SELECT diskquota.set_schema_quota('s_msg', '-1');
SELECT diskquota.set_role_quota('dq_msg', '-1');
SELECT diskquota.set_schema_tablespace_quota('s_msg', 'pg_default', '1 MB');
SELECT diskquota.set_role_tablespace_quota('dq_msg', 'pg_default', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s_msg.t VALUES (1);
INSERT INTO s_msg_role.t VALUES (1);
SELECT diskquota.set_schema_tablespace_quota('s_msg', 'pg_default', '-1');
SELECT diskquota.set_role_tablespace_quota('dq_msg', 'pg_default', '-1');
SELECT diskquota.set_schema_quota('s_msg_to', '-1');
DROP SCHEMA s_msg, s_msg_role, s_msg_to CASCADE;
DROP ROLE dq_msg;
