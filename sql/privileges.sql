-- Only superusers change quotas; nobody else touches quota_config or the
-- internal functions unless granted.
CREATE ROLE dq_tenant LOGIN;
CREATE SCHEMA s16;
SET ROLE dq_tenant;
SELECT diskquota.set_schema_quota('s16', '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM diskquota.quota_config;
SELECT * FROM diskquota.show_schema_quota_view;
RESET ROLE;
GRANT USAGE ON SCHEMA diskquota TO dq_tenant;
SET ROLE dq_tenant;
SELECT diskquota.set_schema_quota('s16', '1 MB');
SELECT diskquota.set_role_quota('dq_tenant', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT * FROM diskquota.status();
SELECT * FROM diskquota.quota_usage();
INSERT INTO diskquota.quota_config VALUES ('schema', 's16', NULL, 0);
DELETE FROM diskquota.quota_config;
SELECT * FROM diskquota.show_schema_quota_view;
RESET ROLE;
-- even with EXECUTE granted, changing quotas needs a superuser
GRANT EXECUTE ON FUNCTION diskquota.set_schema_quota(text, text) TO dq_tenant;
SET ROLE dq_tenant;
SELECT diskquota.set_schema_quota('s16', '1 MB');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- a DBA may let tenants read the views
GRANT SELECT ON diskquota.show_schema_quota_view TO dq_tenant;
GRANT EXECUTE ON FUNCTION diskquota.quota_usage() TO dq_tenant;
SELECT diskquota.set_schema_quota('s16', '1 MB');
SET ROLE dq_tenant;
SELECT schema_name, quota_in_mb FROM diskquota.show_schema_quota_view WHERE schema_name = 's16';
RESET ROLE;
-- the functions of 1.1 as well, even with EXECUTE granted on all of them
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA diskquota TO dq_tenant;
SET ROLE dq_tenant;
SELECT diskquota.set_schema_tablespace_quota('s16', 'pg_default', '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_role_tablespace_quota('dq_tenant', 'pg_default', '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_database_quota('1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.pause();
\echo :LAST_ERROR_SQLSTATE
INSERT INTO diskquota.pause_state VALUES (now());
SELECT * FROM diskquota.quota_config;
RESET ROLE;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA diskquota FROM dq_tenant;
SELECT diskquota.set_schema_quota('s16', '-1');
DROP SCHEMA s16;
REVOKE ALL ON SCHEMA diskquota FROM dq_tenant;
REVOKE ALL ON FUNCTION diskquota.set_schema_quota(text, text) FROM dq_tenant;
REVOKE ALL ON diskquota.show_schema_quota_view FROM dq_tenant;
REVOKE ALL ON FUNCTION diskquota.quota_usage() FROM dq_tenant;
DROP ROLE dq_tenant;
