-- Renaming a schema, a role or a table keeps the quota; the error names the
-- current name.
\set VERBOSITY terse
CREATE SCHEMA s10_old;
CREATE ROLE dq_r10_old NOLOGIN;
CREATE TABLE s10_old.t(i int);
CREATE SCHEMA s10_other;
CREATE TABLE s10_other.r(i int);
ALTER TABLE s10_other.r OWNER TO dq_r10_old;
INSERT INTO s10_old.t SELECT generate_series(1, 100000);
INSERT INTO s10_other.r SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s10_old', '1 MB');
SELECT diskquota.set_role_quota('dq_r10_old', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s10_old.t VALUES (1);
INSERT INTO s10_other.r VALUES (1);
ALTER SCHEMA s10_old RENAME TO s10_new;
ALTER ROLE dq_r10_old RENAME TO dq_r10_new;
ALTER TABLE s10_new.t RENAME TO t2;
ALTER TABLE s10_other.r RENAME TO r2;
INSERT INTO s10_new.t2 VALUES (1);
INSERT INTO s10_other.r2 VALUES (1);
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s10_new.t2 VALUES (1);
SELECT schema_name FROM diskquota.show_schema_quota_view WHERE schema_name LIKE 's10%';
SELECT role_name FROM diskquota.show_role_quota_view WHERE role_name LIKE 'dq_r10%';
\set VERBOSITY default
DROP SCHEMA s10_new, s10_other CASCADE;
SELECT diskquota.set_role_quota('dq_r10_new', '-1');
DROP ROLE dq_r10_new;
