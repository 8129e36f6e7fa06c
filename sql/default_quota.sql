-- Default quotas (1.2): they apply to every schema or role without a quota
-- of its own; an explicit quota, 'unlimited' included, always wins.
\set VERBOSITY terse
CREATE ROLE dq_default_tenant NOLOGIN;
\i sql/include/try.psql
CREATE SCHEMA sd1;
CREATE SCHEMA sd2;
CREATE SCHEMA sd3;
CREATE SCHEMA sd_empty;
CREATE TABLE sd1.t(i int);
CREATE TABLE sd2.t(i int);
CREATE TABLE sd3.t(i int);
ALTER TABLE sd3.t OWNER TO dq_default_tenant;
INSERT INTO sd1.t SELECT generate_series(1, 100000);
INSERT INTO sd2.t SELECT generate_series(1, 100000);
INSERT INTO sd3.t SELECT generate_series(1, 100000);
CREATE TEMP TABLE dq_temp(i int);
SELECT diskquota.set_quota('schema', 'sd2', 'unlimited');
SELECT diskquota.set_quota('schema', 'sd3', '100 MB');
SELECT diskquota.set_default_quota('schema', '1 MB', advisory => '50%');
SELECT diskquota.wait_for_worker_new_epoch();
-- every schema but the system's, temporary and the extension's own has it
SELECT target_name, source, hard_bytes, advisory_bytes, state
  FROM diskquota.quotas WHERE target_type = 'schema'
 ORDER BY target_name COLLATE "C";
SELECT count(*) FROM diskquota.quotas
 WHERE target_name IN ('pg_catalog', 'pg_toast', 'information_schema', 'diskquota')
    OR target_name LIKE 'pg_temp%' OR target_name LIKE 'pg_toast_temp%';
-- the defaulted schema over it is refused; the explicit ones are not
SELECT pg_temp.try('INSERT INTO sd1.t VALUES (1)');
SELECT pg_temp.try('INSERT INTO sd2.t VALUES (1)');
SELECT pg_temp.try('INSERT INTO sd3.t VALUES (1)');
SELECT target_type, target_name, quota_in_bytes FROM diskquota.rejectmap;
-- defaults are not copied into quota_config; the views of 1.0 do not show them
SELECT count(*) FROM diskquota.quota_config WHERE schema_id = 'sd1'::regnamespace;
SELECT count(*) FROM diskquota.show_schema_quota_view WHERE schema_name = 'sd1';
-- a change of the default applies to all its targets at the next refresh
SELECT diskquota.set_default_quota('schema', '100 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_temp.try('INSERT INTO sd1.t VALUES (1)');
SELECT target_name, hard_bytes, advisory_bytes FROM diskquota.quotas
 WHERE target_name IN ('sd1', 'sd_empty') ORDER BY 1;
-- a soft limit by default, with its own grace period
SELECT diskquota.set_default_quota('schema', NULL, soft => '1 MB', grace => '1 hour');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_name, source, hard_bytes, soft_bytes, grace, state FROM diskquota.quotas
 WHERE target_name IN ('sd1', 'sd_empty') ORDER BY 1;
-- a schema's own quota replaces the default; removing it brings it back
SELECT diskquota.set_quota('schema', 'sd1', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_name, source, hard_bytes, soft_bytes, state FROM diskquota.quotas
 WHERE target_name = 'sd1';
SELECT diskquota.remove_quota('schema', 'sd1');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_name, source, hard_bytes, soft_bytes, state FROM diskquota.quotas
 WHERE target_name = 'sd1';
-- removing the default removes it from every schema it applied to
SELECT diskquota.remove_default_quota('schema');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_name, source FROM diskquota.quotas WHERE target_type = 'schema'
 ORDER BY 1;
SELECT count(*) FROM diskquota.quota_state WHERE target_oid = 'sd1'::regnamespace;
SELECT diskquota.remove_default_quota('schema');

-- a default role quota: every role owning a relation, except superusers
SELECT diskquota.set_default_quota('role', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_name, source, hard_bytes, state FROM diskquota.quotas
 WHERE target_type = 'role' ORDER BY 1;
SELECT pg_temp.try('INSERT INTO sd3.t VALUES (1)');
-- as accounting only, it refuses nothing
SELECT diskquota.set_default_quota('role', '1 MB', enforced => false);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_name, enforced, state FROM diskquota.quotas WHERE target_type = 'role';
SELECT pg_temp.try('INSERT INTO sd3.t VALUES (1)');
SELECT diskquota.remove_default_quota('role');

-- defaults in a tablespace
SELECT diskquota.set_default_quota('schema_tablespace', '1 MB', tablespace => 'pg_default');
SELECT diskquota.set_default_quota('role_tablespace', '100 MB', tablespace => 'pg_default');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_type, target_name, tablespace_name, hard_bytes, state FROM diskquota.quotas
 WHERE source = 'default' ORDER BY 1, 2;
SELECT pg_temp.try('INSERT INTO sd1.t VALUES (1)');
SELECT pg_temp.try('INSERT INTO sd2.t VALUES (1)');
SELECT quota_type, tablespace_name, quota_in_bytes FROM diskquota.default_quota ORDER BY 1;
SELECT pg_temp.try($$SELECT diskquota.set_default_quota('role_tablespace', '1 MB')$$);
SELECT pg_temp.try($$SELECT diskquota.remove_default_quota('role', 'pg_default')$$);
SELECT diskquota.remove_default_quota('schema_tablespace', 'pg_default');
SELECT diskquota.remove_default_quota('role_tablespace', 'pg_default');

SELECT diskquota.remove_quota('schema', 'sd2');
SELECT diskquota.remove_quota('schema', 'sd3');
DROP TABLE dq_temp;
DROP SCHEMA sd1, sd2, sd3, sd_empty CASCADE;
DROP ROLE dq_default_tenant;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.quotas;
