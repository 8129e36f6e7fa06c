/* diskquota--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION diskquota UPDATE TO '1.1'" to load this file. \quit

-- Version 1.1 is also what CREATE EXTENSION installs: 1.0, then this script.

-- Tablespace and database quotas.  A tablespace is stored by OID, which the
-- worker uses and which survives a rename, and by name, which pg_dump
-- writes: a restore into another cluster finds the tablespace by its name
-- (quota_config_resolve_tablespace).  The worker keeps the name current.
ALTER TABLE diskquota.quota_config
    ADD COLUMN tablespace_oid oid,
    ADD COLUMN tablespace_name name;
ALTER TABLE diskquota.quota_config
    DROP CONSTRAINT quota_config_type_check,
    DROP CONSTRAINT quota_config_target_key;
ALTER TABLE diskquota.quota_config
    ADD CONSTRAINT quota_config_type_check CHECK (
        CASE quota_type
        WHEN 'schema' THEN schema_id IS NOT NULL AND role_id IS NULL
                           AND tablespace_oid IS NULL AND tablespace_name IS NULL
        WHEN 'role' THEN role_id IS NOT NULL AND schema_id IS NULL
                         AND tablespace_oid IS NULL AND tablespace_name IS NULL
        WHEN 'schema_tablespace' THEN schema_id IS NOT NULL AND role_id IS NULL
                                      AND tablespace_oid IS NOT NULL AND tablespace_name IS NOT NULL
        WHEN 'role_tablespace' THEN role_id IS NOT NULL AND schema_id IS NULL
                                    AND tablespace_oid IS NOT NULL AND tablespace_name IS NOT NULL
        WHEN 'database' THEN schema_id IS NULL AND role_id IS NULL
                             AND tablespace_oid IS NULL AND tablespace_name IS NULL
        ELSE false END),
    ADD CONSTRAINT quota_config_target_key
        UNIQUE NULLS NOT DISTINCT (quota_type, schema_id, role_id, tablespace_oid);

-- Rows loaded by pg_restore carry the OID of the tablespace in the dumped
-- cluster: find it by name instead.  A row whose tablespace does not exist
-- is left out with a WARNING, so that one missing tablespace does not fail
-- the restore of every other quota.
CREATE FUNCTION diskquota.quota_config_resolve_tablespace()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
BEGIN
    IF NEW.tablespace_name IS NOT NULL THEN
        SELECT t.oid INTO NEW.tablespace_oid
          FROM pg_catalog.pg_tablespace t
         WHERE t.spcname = NEW.tablespace_name;
        IF NOT FOUND THEN
            -- the other quotas are restored; this one is said and left out
            RAISE WARNING 'diskquota: tablespace "%" does not exist, its % quota is not restored',
                NEW.tablespace_name, NEW.quota_type
                USING HINT = 'Create the tablespace, then set the quota again.';
            RETURN NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER quota_config_resolve_tablespace
    BEFORE INSERT ON diskquota.quota_config
    FOR EACH ROW EXECUTE FUNCTION diskquota.quota_config_resolve_tablespace();

-- diskquota.pause(): a row here.  Not dumped: a restored database enforces.
CREATE TABLE diskquota.pause_state (
    paused_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX pause_state_one_row ON diskquota.pause_state ((true));
REVOKE ALL ON diskquota.pause_state FROM PUBLIC;

CREATE FUNCTION diskquota.set_schema_tablespace_quota(schema text, tablespace text, quota text)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_schema_tablespace_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.set_role_tablespace_quota(role text, tablespace text, quota text)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_role_tablespace_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.set_database_quota(quota text)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_database_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.pause()
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_pause'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION diskquota.resume()
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_resume'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION diskquota.show_rejectmap(
    OUT target_type text,
    OUT target_oid oid,
    OUT target_name text,
    OUT tablespace_oid oid,
    OUT tablespace_name text,
    OUT quota_in_bytes bigint,
    OUT used_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'diskquota_show_rejectmap'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION diskquota.relation_size(relation regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'diskquota_relation_size_sql'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION diskquota.show_worker_epoch()
RETURNS bigint
AS 'MODULE_PATHNAME', 'diskquota_show_worker_epoch'
LANGUAGE C VOLATILE STRICT;

-- Every quota, with the tablespace of tablespace quotas.  quota_usage() and
-- the views of 1.0 stay as they are (and keep the grants a DBA gave on
-- them); quota_usage() shows schema and role quotas only.
CREATE FUNCTION diskquota.quota_usage_all(
    OUT quota_type text,
    OUT target_oid oid,
    OUT quota_in_bytes bigint,
    OUT used_bytes bigint,
    OUT rejected boolean,
    OUT tablespace_oid oid)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'diskquota_quota_usage'
LANGUAGE C VOLATILE STRICT;

CREATE VIEW diskquota.show_schema_tablespace_quota_view AS
SELECT n.nspname AS schema_name,
       n.oid AS schema_oid,
       t.spcname AS tablespace_name,
       t.oid AS tablespace_oid,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS nspsize_tablespace_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.schema_id
  JOIN pg_catalog.pg_tablespace t ON t.oid = c.tablespace_oid
  LEFT JOIN diskquota.quota_usage_all() u
    ON u.quota_type = 'schema_tablespace' AND u.target_oid = n.oid
       AND u.tablespace_oid = t.oid
 WHERE c.quota_type = 'schema_tablespace';

CREATE VIEW diskquota.show_role_tablespace_quota_view AS
SELECT r.rolname AS role_name,
       r.oid AS role_oid,
       t.spcname AS tablespace_name,
       t.oid AS tablespace_oid,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS rolsize_tablespace_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_roles r ON r.oid = c.role_id
  JOIN pg_catalog.pg_tablespace t ON t.oid = c.tablespace_oid
  LEFT JOIN diskquota.quota_usage_all() u
    ON u.quota_type = 'role_tablespace' AND u.target_oid = r.oid
       AND u.tablespace_oid = t.oid
 WHERE c.quota_type = 'role_tablespace';

CREATE VIEW diskquota.show_database_quota_view AS
SELECT d.datname AS database_name,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS dbsize_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
  LEFT JOIN diskquota.quota_usage_all() u ON u.quota_type = 'database'
 WHERE c.quota_type = 'database';

CREATE VIEW diskquota.rejectmap AS
SELECT * FROM diskquota.show_rejectmap();

REVOKE ALL ON FUNCTION diskquota.set_schema_tablespace_quota(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.set_role_tablespace_quota(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.set_database_quota(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.pause() FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.resume() FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.show_rejectmap() FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.relation_size(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.show_worker_epoch() FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.quota_usage_all() FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.quota_config_resolve_tablespace() FROM PUBLIC;
REVOKE ALL ON diskquota.show_schema_tablespace_quota_view FROM PUBLIC;
REVOKE ALL ON diskquota.show_role_tablespace_quota_view FROM PUBLIC;
REVOKE ALL ON diskquota.show_database_quota_view FROM PUBLIC;
REVOKE ALL ON diskquota.rejectmap FROM PUBLIC;
