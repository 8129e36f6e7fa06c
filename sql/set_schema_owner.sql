-- ALTER TABLE ... SET SCHEMA and OWNER TO move the usage within one refresh.
\set VERBOSITY terse
CREATE SCHEMA s13_a;
CREATE SCHEMA s13_b;
CREATE ROLE dq_r13_a NOLOGIN;
CREATE ROLE dq_r13_b NOLOGIN;
CREATE TABLE s13_a.t(i int PRIMARY KEY);
ALTER TABLE s13_a.t OWNER TO dq_r13_a;
INSERT INTO s13_a.t SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s13_a', '1 MB');
SELECT diskquota.set_schema_quota('s13_b', '100 MB');
SELECT diskquota.set_role_quota('dq_r13_a', '1 MB');
SELECT diskquota.set_role_quota('dq_r13_b', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT schema_name, nspsize_in_bytes = pg_total_relation_size('s13_a.t') AS has_table
  FROM diskquota.show_schema_quota_view WHERE schema_name LIKE 's13%' ORDER BY schema_name COLLATE "C";
INSERT INTO s13_a.t VALUES (0);
-- (a move into a schema over its quota would be refused: move_into_full)
ALTER TABLE s13_a.t SET SCHEMA s13_b;
SELECT diskquota.set_schema_quota('s13_b', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT schema_name, nspsize_in_bytes = pg_total_relation_size('s13_b.t') AS has_table
  FROM diskquota.show_schema_quota_view WHERE schema_name LIKE 's13%' ORDER BY schema_name COLLATE "C";
INSERT INTO s13_b.t VALUES (0);
ALTER TABLE s13_b.t OWNER TO dq_r13_b;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT role_name, rolsize_in_bytes = pg_total_relation_size('s13_b.t') AS has_table
  FROM diskquota.show_role_quota_view WHERE role_name LIKE 'dq_r13%' ORDER BY role_name COLLATE "C";
-- the error now names the new role: the schema is checked first
SELECT diskquota.set_schema_quota('s13_b', '-1');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s13_b.t VALUES (0);
-- and the old schema and role accept loads again
CREATE TABLE s13_a.u(i int);
ALTER TABLE s13_a.u OWNER TO dq_r13_a;
INSERT INTO s13_a.u VALUES (1);
\set VERBOSITY default
DROP SCHEMA s13_a, s13_b CASCADE;
SELECT diskquota.set_role_quota('dq_r13_a', '-1');
SELECT diskquota.set_role_quota('dq_r13_b', '-1');
DROP ROLE dq_r13_a, dq_r13_b;
