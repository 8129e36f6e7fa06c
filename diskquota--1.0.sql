/* diskquota--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION diskquota" to load this file. \quit

-- One row per quota.  Targets are stored as regnamespace and regrole so that
-- a rename keeps the quota and pg_dump writes them by name.
CREATE TABLE diskquota.quota_config (
    quota_type     text NOT NULL,
    schema_id      regnamespace,
    role_id        regrole,
    quota_in_bytes bigint NOT NULL,
    CONSTRAINT quota_config_type_check
        CHECK ((quota_type = 'schema' AND schema_id IS NOT NULL AND role_id IS NULL)
            OR (quota_type = 'role' AND role_id IS NOT NULL AND schema_id IS NULL)),
    CONSTRAINT quota_config_quota_check CHECK (quota_in_bytes >= 0),
    CONSTRAINT quota_config_target_key UNIQUE NULLS NOT DISTINCT (quota_type, schema_id, role_id)
);
SELECT pg_catalog.pg_extension_config_dump('diskquota.quota_config', '');
REVOKE ALL ON diskquota.quota_config FROM PUBLIC;

CREATE FUNCTION diskquota.set_schema_quota(schema text, quota text)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_schema_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.set_role_quota(role text, quota text)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_role_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.wait_for_worker_new_epoch()
RETURNS boolean
AS 'MODULE_PATHNAME', 'diskquota_wait_for_worker_new_epoch'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION diskquota.status(
    OUT database_name text,
    OUT database_oid oid,
    OUT state text,
    OUT worker_pid integer,
    OUT epoch bigint,
    OUT last_refresh timestamptz,
    OUT last_refresh_ms double precision,
    OUT full_rescans bigint,
    OUT degraded boolean,
    OUT degraded_reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'diskquota_status'
LANGUAGE C VOLATILE STRICT;

-- The quotas of the current database as the worker last published them.
CREATE FUNCTION diskquota.quota_usage(
    OUT quota_type text,
    OUT target_oid oid,
    OUT quota_in_bytes bigint,
    OUT used_bytes bigint,
    OUT rejected boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'diskquota_quota_usage'
LANGUAGE C VOLATILE STRICT;

REVOKE ALL ON FUNCTION diskquota.set_schema_quota(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.set_role_quota(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.wait_for_worker_new_epoch() FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.status() FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.quota_usage() FROM PUBLIC;

CREATE VIEW diskquota.show_schema_quota_view AS
SELECT n.nspname AS schema_name,
       n.oid AS schema_oid,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS nspsize_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.schema_id
  LEFT JOIN diskquota.quota_usage() u
    ON u.quota_type = 'schema' AND u.target_oid = n.oid
 WHERE c.quota_type = 'schema';

CREATE VIEW diskquota.show_role_quota_view AS
SELECT r.rolname AS role_name,
       r.oid AS role_oid,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS rolsize_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_roles r ON r.oid = c.role_id
  LEFT JOIN diskquota.quota_usage() u
    ON u.quota_type = 'role' AND u.target_oid = r.oid
 WHERE c.quota_type = 'role';

REVOKE ALL ON diskquota.show_schema_quota_view FROM PUBLIC;
REVOKE ALL ON diskquota.show_role_quota_view FROM PUBLIC;
