/* diskquota--1.1--1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION diskquota UPDATE TO '1.2'" to load this file. \quit

-- Version 1.2 is also what CREATE EXTENSION installs: 1.0, 1.1, then this
-- script.  Quota policy: soft limits with a grace period, advisory
-- thresholds, accounting-only quotas and default quotas.

-- A quota may now have no hard limit (NULL), or an explicit 'unlimited'
-- one that overrides a default quota.  A soft limit or an advisory
-- threshold is a size or a percentage of the hard limit, kept as given so
-- that it follows the hard limit when that changes.  grace NULL means the
-- setting diskquota.default_grace.
ALTER TABLE diskquota.quota_config
    ALTER COLUMN quota_in_bytes DROP NOT NULL,
    ADD COLUMN hard_unlimited boolean NOT NULL DEFAULT false,
    ADD COLUMN soft_bytes bigint,
    ADD COLUMN soft_percent double precision,
    ADD COLUMN grace interval,
    ADD COLUMN advisory_bytes bigint[],
    ADD COLUMN advisory_percent double precision[],
    ADD COLUMN enforced boolean NOT NULL DEFAULT true,
    ADD COLUMN notify boolean NOT NULL DEFAULT true,
    ADD COLUMN reminder_interval interval,
    ADD CONSTRAINT quota_config_policy_check CHECK (
        NOT (hard_unlimited AND quota_in_bytes IS NOT NULL)
        AND soft_bytes >= 0 AND soft_percent > 0 AND soft_percent <= 100
        AND NOT (soft_bytes IS NOT NULL AND soft_percent IS NOT NULL)
        AND grace >= interval '0'
        AND coalesce(cardinality(advisory_bytes), 0)
            + coalesce(cardinality(advisory_percent), 0) <= 16
        AND reminder_interval >= interval '0');

-- Default quotas: one per kind of target (and tablespace), applying to
-- every target of that kind without a quota of its own.  pg_dump writes
-- them, by tablespace name as quota_config.
CREATE TABLE diskquota.default_quota (
    quota_type       text NOT NULL,
    tablespace_oid   oid,
    tablespace_name  name,
    quota_in_bytes   bigint,
    soft_bytes       bigint,
    soft_percent     double precision,
    grace            interval,
    advisory_bytes   bigint[],
    advisory_percent double precision[],
    enforced         boolean NOT NULL DEFAULT true,
    notify           boolean NOT NULL DEFAULT true,
    reminder_interval interval,
    CONSTRAINT default_quota_type_check CHECK (
        CASE quota_type
        WHEN 'schema' THEN tablespace_oid IS NULL AND tablespace_name IS NULL
        WHEN 'role' THEN tablespace_oid IS NULL AND tablespace_name IS NULL
        WHEN 'schema_tablespace' THEN tablespace_oid IS NOT NULL AND tablespace_name IS NOT NULL
        WHEN 'role_tablespace' THEN tablespace_oid IS NOT NULL AND tablespace_name IS NOT NULL
        ELSE false END),
    CONSTRAINT default_quota_policy_check CHECK (
        quota_in_bytes >= 0
        AND soft_bytes >= 0 AND soft_percent > 0 AND soft_percent <= 100
        AND NOT (soft_bytes IS NOT NULL AND soft_percent IS NOT NULL)
        AND grace >= interval '0'
        AND coalesce(cardinality(advisory_bytes), 0)
            + coalesce(cardinality(advisory_percent), 0) <= 16
        AND reminder_interval >= interval '0'),
    CONSTRAINT default_quota_target_key UNIQUE NULLS NOT DISTINCT (quota_type, tablespace_oid)
);
SELECT pg_catalog.pg_extension_config_dump('diskquota.default_quota', '');
REVOKE ALL ON diskquota.default_quota FROM PUBLIC;
CREATE TRIGGER default_quota_resolve_tablespace
    BEFORE INSERT ON diskquota.default_quota
    FOR EACH ROW EXECUTE FUNCTION diskquota.quota_config_resolve_tablespace();

-- Where each target stands against its limits, kept by the worker so that
-- a restart neither restarts nor forgets a grace period, nor repeats or
-- loses an event.  One row per target above its soft or hard limit or past
-- an advisory threshold; state is the state its events last fired on,
-- grace_expired_fired and grace_warned whether grace_expired and
-- grace_expiring fired for the running grace period, notified_at when the
-- last event of the target fired (a reminder is due a reminder interval
-- after it).  Not dumped: a restored database starts its timers anew.
CREATE TABLE diskquota.quota_state (
    quota_type       text NOT NULL,
    target_oid       oid NOT NULL,
    tablespace_oid   oid NOT NULL,
    over_soft_since  timestamptz,
    grace_expires_at timestamptz,
    advisory_latched bigint[],
    state            text,
    grace_expired_fired boolean NOT NULL DEFAULT false,
    grace_warned     boolean NOT NULL DEFAULT false,
    notified_at      timestamptz,
    CONSTRAINT quota_state_key PRIMARY KEY (quota_type, target_oid, tablespace_oid)
);
REVOKE ALL ON diskquota.quota_state FROM PUBLIC;

-- The event log: written by the worker, in the transaction of the refresh
-- that decided the change it tells of, with a NOTIFY diskquota_events.
-- Not dumped.
CREATE TABLE diskquota.events (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL,
    event            text NOT NULL,
    target_type      text,
    target_name      text,
    target_oid       oid,
    tablespace_name  name,
    threshold        text,
    limit_bytes      bigint,
    used_bytes       bigint,
    grace_expires_at timestamptz,
    count            bigint NOT NULL DEFAULT 1,
    detail           jsonb
);
CREATE INDEX events_at ON diskquota.events (at);
REVOKE ALL ON diskquota.events FROM PUBLIC;
REVOKE ALL ON SEQUENCE diskquota.events_id_seq FROM PUBLIC;
-- Readers: superusers, and the members of the role named by the setting
-- diskquota.event_readers (which only superusers set); nobody else sees a
-- row.  Only while the setting is defined by the library (pg_settings
-- lists it): without diskquota in shared_preload_libraries it is, until the
-- library loads, a placeholder that anyone may SET.
ALTER TABLE diskquota.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY events_readers ON diskquota.events FOR SELECT
    USING (EXISTS (SELECT FROM pg_catalog.pg_settings s
                    WHERE s.name OPERATOR(pg_catalog.=) 'diskquota.event_readers'
                      AND s.context OPERATOR(pg_catalog.=) 'superuser')
           AND EXISTS (SELECT FROM pg_catalog.pg_roles r
                    WHERE r.rolname = pg_catalog.current_setting('diskquota.event_readers', true)
                      AND pg_catalog.pg_has_role(r.oid, 'MEMBER')));
GRANT SELECT ON diskquota.events TO PUBLIC;

-- Usage history (history.c): per effective quota, one row per
-- diskquota.history_interval, written by the worker when the bucket ends:
-- the highest and the time-weighted average usage over the bucket, and the
-- limits in force at its end.  Kept diskquota.history_retention.  Not
-- dumped.
CREATE TABLE diskquota.usage_history (
    bucket_start     timestamptz NOT NULL,
    quota_type       text NOT NULL,
    target_oid       oid NOT NULL,
    tablespace_oid   oid NOT NULL,
    target_name      text,
    tablespace_name  name,
    max_bytes        bigint NOT NULL,
    avg_bytes        bigint NOT NULL,
    hard_bytes       bigint,
    soft_bytes       bigint,
    advisory_bytes   bigint[],
    CONSTRAINT usage_history_key
        PRIMARY KEY (bucket_start, quota_type, target_oid, tablespace_oid)
);
REVOKE ALL ON diskquota.usage_history FROM PUBLIC;

-- Over-use (history.c): per target, the over-use in megabyte-days at
-- updated_at (decaying by diskquota.overuse_decay a day), the days it was
-- over its limit in the last 30 (over_days), and its escalation level as
-- its last escalation event told it.  Written by the worker once per
-- history interval and when the level changes.  Not dumped.
CREATE TABLE diskquota.quota_overuse (
    quota_type       text NOT NULL,
    target_oid       oid NOT NULL,
    tablespace_oid   oid NOT NULL,
    overuse_mb_days  double precision NOT NULL,
    updated_at       timestamptz NOT NULL,
    over_days        date[] NOT NULL,
    level            integer NOT NULL,
    CONSTRAINT quota_overuse_key PRIMARY KEY (quota_type, target_oid, tablespace_oid)
);
REVOKE ALL ON diskquota.quota_overuse FROM PUBLIC;

CREATE FUNCTION diskquota.set_quota(
    target_type text, target text, hard text,
    soft text DEFAULT NULL, grace interval DEFAULT NULL,
    advisory text DEFAULT NULL, tablespace text DEFAULT NULL,
    enforced boolean DEFAULT true)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.remove_quota(
    target_type text, target text, tablespace text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_remove_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.set_default_quota(
    target_type text, hard text,
    soft text DEFAULT NULL, grace interval DEFAULT NULL,
    advisory text DEFAULT NULL, tablespace text DEFAULT NULL,
    enforced boolean DEFAULT true)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_default_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.remove_default_quota(
    target_type text, tablespace text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_remove_default_quota'
LANGUAGE C VOLATILE;

-- Whether a quota's target has its events logged (notify false: none of
-- them, the OneFS "none" rule) and how often a reminder comes while it is
-- over a threshold (reminder_interval NULL: diskquota.reminder_interval;
-- '0': never).  target NULL: the default quota of target_type.
CREATE FUNCTION diskquota.set_quota_notifications(
    target_type text, target text, notify boolean,
    reminder_interval interval DEFAULT NULL, tablespace text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_quota_notifications'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.extend_grace(
    target_type text, target text, until timestamptz,
    tablespace text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_extend_grace'
LANGUAGE C VOLATILE;

-- A quota as the worker last published it, by OID (quota_policies(),
-- my_quota_policies()).
CREATE TYPE diskquota.quota_policy AS (
    target_type text,
    target_oid oid,
    tablespace_oid oid,
    source text,
    enforced boolean,
    hard_bytes bigint,
    soft_bytes bigint,
    grace interval,
    advisory_bytes bigint[],
    advisory_reached bigint[],
    used_bytes bigint,
    state text,
    over_soft_since timestamptz,
    grace_expires_at timestamptz,
    notify boolean,
    reminder_interval interval,
    denied_count bigint,
    stopped_count bigint,
    overuse_mb_days double precision,
    days_over_30d integer,
    level integer);

-- Every effective quota of the current database, explicit or default, as
-- the worker last published it.
CREATE FUNCTION diskquota.quota_policies()
RETURNS SETOF diskquota.quota_policy
AS 'MODULE_PATHNAME', 'diskquota_quota_policies'
LANGUAGE C VOLATILE STRICT;

CREATE VIEW diskquota.quotas AS
SELECT q.target_type,
       CASE WHEN q.target_type IN ('schema', 'schema_tablespace') THEN n.nspname::text
            WHEN q.target_type IN ('role', 'role_tablespace') THEN r.rolname::text
            ELSE d.datname::text END AS target_name,
       q.target_oid,
       t.spcname AS tablespace_name,
       q.source,
       q.enforced,
       q.hard_bytes,
       q.soft_bytes,
       q.grace,
       q.advisory_bytes,
       q.advisory_reached,
       q.used_bytes,
       q.state,
       q.over_soft_since,
       q.grace_expires_at,
       q.notify,
       q.reminder_interval,
       q.denied_count,
       q.stopped_count,
       q.overuse_mb_days,
       q.days_over_30d,
       q.level
  FROM diskquota.quota_policies() q
  LEFT JOIN pg_catalog.pg_namespace n
    ON q.target_type IN ('schema', 'schema_tablespace') AND n.oid = q.target_oid
  LEFT JOIN pg_catalog.pg_roles r
    ON q.target_type IN ('role', 'role_tablespace') AND r.oid = q.target_oid
  LEFT JOIN pg_catalog.pg_database d
    ON q.target_type = 'database' AND d.oid = q.target_oid
  LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = q.tablespace_oid;

-- The views of 1.0 and 1.1 show explicit hard limits, as before: a quota
-- with only a soft limit or advisory thresholds is not theirs.
CREATE OR REPLACE VIEW diskquota.show_schema_quota_view AS
SELECT n.nspname AS schema_name,
       n.oid AS schema_oid,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS nspsize_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.schema_id
  LEFT JOIN diskquota.quota_usage() u
    ON u.quota_type = 'schema' AND u.target_oid = n.oid
 WHERE c.quota_type = 'schema' AND c.quota_in_bytes IS NOT NULL;

CREATE OR REPLACE VIEW diskquota.show_role_quota_view AS
SELECT r.rolname AS role_name,
       r.oid AS role_oid,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS rolsize_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_roles r ON r.oid = c.role_id
  LEFT JOIN diskquota.quota_usage() u
    ON u.quota_type = 'role' AND u.target_oid = r.oid
 WHERE c.quota_type = 'role' AND c.quota_in_bytes IS NOT NULL;

CREATE OR REPLACE VIEW diskquota.show_schema_tablespace_quota_view AS
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
 WHERE c.quota_type = 'schema_tablespace' AND c.quota_in_bytes IS NOT NULL;

CREATE OR REPLACE VIEW diskquota.show_role_tablespace_quota_view AS
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
 WHERE c.quota_type = 'role_tablespace' AND c.quota_in_bytes IS NOT NULL;

CREATE OR REPLACE VIEW diskquota.show_database_quota_view AS
SELECT d.datname AS database_name,
       c.quota_in_bytes / (1024 * 1024) AS quota_in_mb,
       coalesce(u.used_bytes, 0) AS dbsize_in_bytes,
       c.quota_in_bytes
  FROM diskquota.quota_config c
  JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
  LEFT JOIN diskquota.quota_usage_all() u ON u.quota_type = 'database'
 WHERE c.quota_type = 'database' AND c.quota_in_bytes IS NOT NULL;

REVOKE ALL ON FUNCTION diskquota.set_quota(text, text, text, text, interval, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.remove_quota(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.set_default_quota(text, text, text, interval, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.remove_default_quota(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.extend_grace(text, text, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.set_quota_notifications(text, text, boolean, interval, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.quota_policies() FROM PUBLIC;
REVOKE ALL ON diskquota.quotas FROM PUBLIC;

-- Self-service (selfservice.c): every role may use the schema; what it may
-- read or call is granted object by object, everything else stays revoked
-- from PUBLIC.  A role's own targets: the role and the roles it is a member
-- of, the schemas it owns (or a role it has the privileges of owns), and
-- the current database; superusers own them all.
GRANT USAGE ON SCHEMA diskquota TO PUBLIC;

-- The same, of the caller's own targets only
CREATE FUNCTION diskquota.my_quota_policies()
RETURNS SETOF diskquota.quota_policy
AS 'MODULE_PATHNAME', 'diskquota_my_quota_policies'
LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION diskquota.target_is_mine(target_type text, target_oid oid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'diskquota_target_is_mine_sql'
LANGUAGE C STABLE STRICT;

CREATE FUNCTION diskquota.request_is_mine(target_type text, target_oid oid,
                                          requester_oid oid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'diskquota_request_is_mine_sql'
LANGUAGE C STABLE STRICT;

CREATE FUNCTION diskquota.is_approver()
RETURNS boolean
AS 'MODULE_PATHNAME', 'diskquota_is_approver'
LANGUAGE C STABLE;

-- The quotas of the caller's own targets, as diskquota.quotas shows them,
-- with what is left before each limit (0 when at or over it): the hard
-- limit, the soft limit, and the lowest advisory threshold not reached.
CREATE VIEW diskquota.my_quotas AS
SELECT q.target_type,
       CASE WHEN q.target_type IN ('schema', 'schema_tablespace') THEN n.nspname::text
            WHEN q.target_type IN ('role', 'role_tablespace') THEN r.rolname::text
            ELSE d.datname::text END AS target_name,
       q.target_oid,
       t.spcname AS tablespace_name,
       q.source,
       q.enforced,
       q.hard_bytes,
       q.soft_bytes,
       q.grace,
       q.advisory_bytes,
       q.advisory_reached,
       q.used_bytes,
       CASE WHEN q.hard_bytes IS NOT NULL
            THEN GREATEST(q.hard_bytes - q.used_bytes, 0) END AS hard_left_bytes,
       CASE WHEN q.soft_bytes IS NOT NULL
            THEN GREATEST(q.soft_bytes - q.used_bytes, 0) END AS soft_left_bytes,
       (SELECT min(a) - q.used_bytes FROM unnest(q.advisory_bytes) a
         WHERE a > q.used_bytes) AS advisory_left_bytes,
       q.state,
       q.over_soft_since,
       q.grace_expires_at,
       q.notify,
       q.reminder_interval,
       q.denied_count,
       q.stopped_count,
       q.overuse_mb_days,
       q.days_over_30d,
       q.level
  FROM diskquota.my_quota_policies() q
  LEFT JOIN pg_catalog.pg_namespace n
    ON q.target_type IN ('schema', 'schema_tablespace') AND n.oid = q.target_oid
  LEFT JOIN pg_catalog.pg_roles r
    ON q.target_type IN ('role', 'role_tablespace') AND r.oid = q.target_oid
  LEFT JOIN pg_catalog.pg_database d
    ON q.target_type = 'database' AND d.oid = q.target_oid
  LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = q.tablespace_oid;

-- The events of the caller's own targets (of requests: as my_requests
-- shows them).  A security barrier: a caller's
-- own conditions run on the rows of its targets only.  No id: the log's
-- ids are shared by all targets, and their gaps would count the others'
-- events.
CREATE VIEW diskquota.my_events WITH (security_barrier) AS
SELECT e.at, e.event, e.target_type, e.target_name, e.target_oid, e.tablespace_name,
       e.threshold, e.limit_bytes, e.used_bytes, e.grace_expires_at, e.count, e.detail
  FROM diskquota.events e
 WHERE e.target_type IS NOT NULL
   AND CASE WHEN e.event IN ('quota_requested', 'request_approved', 'request_denied',
                             'request_withdrawn')
            THEN diskquota.request_is_mine(e.target_type, e.target_oid,
                                           (e.detail ->> 'requester_oid')::oid)
            ELSE diskquota.target_is_mine(e.target_type, e.target_oid) END;

-- Quota requests: a tenant asks for a new hard limit of one of its own
-- targets; superusers and the members of diskquota.approver_role approve
-- or deny.  Ids are random (selfservice.c).  Not dumped: the targets are
-- kept by OID.
CREATE TABLE diskquota.quota_requests (
    id                   bigint PRIMARY KEY,
    requested_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    requested_by         name NOT NULL,
    requester_oid        oid NOT NULL,
    target_type          text NOT NULL,
    target_oid           oid NOT NULL,
    target_name          text,
    tablespace_oid       oid,
    tablespace_name      name,
    current_hard_bytes   bigint,
    used_bytes           bigint,
    requested_hard_bytes bigint NOT NULL,
    reason               text NOT NULL,
    state                text NOT NULL DEFAULT 'pending',
    decided_by           name,
    decided_at           timestamptz,
    note                 text,
    CONSTRAINT quota_requests_state_check
        CHECK (state IN ('pending', 'approved', 'denied', 'withdrawn'))
);
CREATE UNIQUE INDEX quota_requests_one_pending
    ON diskquota.quota_requests (requester_oid, target_type, target_oid,
                                 coalesce(tablespace_oid, 0))
    WHERE state = 'pending';
CREATE INDEX quota_requests_requester ON diskquota.quota_requests (requester_oid, requested_at);
REVOKE ALL ON diskquota.quota_requests FROM PUBLIC;

-- The requests the caller made, and those for its own schemas and roles
-- (the database's are each requester's own); every request for superusers
-- and the members of diskquota.approver_role.
CREATE VIEW diskquota.my_requests WITH (security_barrier) AS
SELECT q.id, q.requested_at, q.requested_by, q.target_type, q.target_name, q.target_oid,
       q.tablespace_name, q.current_hard_bytes, q.used_bytes, q.requested_hard_bytes,
       q.reason, q.state, q.decided_by, q.decided_at, q.note
  FROM diskquota.quota_requests q
 WHERE diskquota.request_is_mine(q.target_type, q.target_oid, q.requester_oid)
    OR diskquota.is_approver();

CREATE FUNCTION diskquota.request_quota(
    target_type text, target text, hard text, reason text,
    tablespace text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'diskquota_request_quota'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.withdraw_request(id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_withdraw_request'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.approve_request(id bigint, note text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_approve_request'
LANGUAGE C VOLATILE;

CREATE FUNCTION diskquota.deny_request(id bigint, note text)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_deny_request'
LANGUAGE C VOLATILE;

GRANT EXECUTE ON FUNCTION diskquota.my_quota_policies() TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.target_is_mine(text, oid) TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.is_approver() TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.request_is_mine(text, oid, oid) TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.request_quota(text, text, text, text, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.withdraw_request(bigint) TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.approve_request(bigint, text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.deny_request(bigint, text) TO PUBLIC;
GRANT SELECT ON diskquota.my_quotas, diskquota.my_events, diskquota.my_requests TO PUBLIC;

-- Usage reports from the history: per quota with buckets in [since,
-- until], its usage at the start and the end (the average of the first and
-- the last bucket), the highest, the growth per day (the least-squares
-- slope of the buckets' averages over time) and when that growth would
-- reach the soft and the hard limit (NULL when not growing, without such a
-- limit, or already at it).
CREATE FUNCTION diskquota.usage_report(
    since timestamptz, until timestamptz DEFAULT pg_catalog.now(),
    OUT target_type text,
    OUT target_name text,
    OUT target_oid oid,
    OUT tablespace_name name,
    OUT buckets bigint,
    OUT first_bucket timestamptz,
    OUT last_bucket timestamptz,
    OUT start_bytes bigint,
    OUT end_bytes bigint,
    OUT max_bytes bigint,
    OUT growth_bytes_per_day double precision,
    OUT soft_bytes bigint,
    OUT hard_bytes bigint,
    OUT soft_reached_at timestamptz,
    OUT hard_reached_at timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
WITH h AS (
    SELECT u.*,
           pg_catalog.row_number() OVER w_first AS n_first,
           pg_catalog.row_number() OVER w_last AS n_last
      FROM diskquota.usage_history u
     WHERE u.bucket_start OPERATOR(pg_catalog.>=) since
       AND u.bucket_start OPERATOR(pg_catalog.<=) until
    WINDOW w_first AS (PARTITION BY u.quota_type, u.target_oid, u.tablespace_oid
                       ORDER BY u.bucket_start),
           w_last AS (PARTITION BY u.quota_type, u.target_oid, u.tablespace_oid
                      ORDER BY u.bucket_start DESC)
), r AS (
    SELECT h.quota_type, h.target_oid, h.tablespace_oid,
           pg_catalog.count(*) AS buckets,
           pg_catalog.min(h.bucket_start) AS first_bucket,
           pg_catalog.max(h.bucket_start) AS last_bucket,
           pg_catalog.max(h.avg_bytes) FILTER (WHERE h.n_first OPERATOR(pg_catalog.=) 1) AS start_bytes,
           pg_catalog.max(h.avg_bytes) FILTER (WHERE h.n_last OPERATOR(pg_catalog.=) 1) AS end_bytes,
           pg_catalog.max(h.max_bytes) AS max_bytes,
           pg_catalog.regr_slope(h.avg_bytes::pg_catalog.float8,
                                 pg_catalog.date_part('epoch', h.bucket_start)
                                 OPERATOR(pg_catalog./) 86400.0) AS slope,
           pg_catalog.max(h.soft_bytes) FILTER (WHERE h.n_last OPERATOR(pg_catalog.=) 1) AS soft_bytes,
           pg_catalog.max(h.hard_bytes) FILTER (WHERE h.n_last OPERATOR(pg_catalog.=) 1) AS hard_bytes,
           pg_catalog.max(h.target_name) FILTER (WHERE h.n_last OPERATOR(pg_catalog.=) 1) AS target_name,
           pg_catalog.max(h.tablespace_name::pg_catalog.text)
             FILTER (WHERE h.n_last OPERATOR(pg_catalog.=) 1) AS tablespace_name
      FROM h
     GROUP BY h.quota_type, h.target_oid, h.tablespace_oid
)
SELECT r.quota_type, r.target_name, r.target_oid, r.tablespace_name::pg_catalog.name,
       r.buckets, r.first_bucket, r.last_bucket, r.start_bytes, r.end_bytes, r.max_bytes,
       r.slope, r.soft_bytes, r.hard_bytes,
       CASE WHEN r.slope OPERATOR(pg_catalog.>) 0
             AND r.soft_bytes OPERATOR(pg_catalog.>) r.end_bytes
            THEN r.last_bucket OPERATOR(pg_catalog.+)
                 pg_catalog.make_interval(secs => (r.soft_bytes OPERATOR(pg_catalog.-) r.end_bytes)
                                          OPERATOR(pg_catalog./) r.slope
                                          OPERATOR(pg_catalog.*) 86400.0) END,
       CASE WHEN r.slope OPERATOR(pg_catalog.>) 0
             AND r.hard_bytes OPERATOR(pg_catalog.>) r.end_bytes
            THEN r.last_bucket OPERATOR(pg_catalog.+)
                 pg_catalog.make_interval(secs => (r.hard_bytes OPERATOR(pg_catalog.-) r.end_bytes)
                                          OPERATOR(pg_catalog./) r.slope
                                          OPERATOR(pg_catalog.*) 86400.0) END
  FROM r
 ORDER BY r.quota_type, r.target_name, r.tablespace_name
$$;

-- Every quota as of a moment, from the history: its last bucket that
-- started at or before it (within diskquota.history_retention).
CREATE FUNCTION diskquota.usage_at(
    at timestamptz,
    OUT target_type text,
    OUT target_name text,
    OUT target_oid oid,
    OUT tablespace_name name,
    OUT bucket_start timestamptz,
    OUT max_bytes bigint,
    OUT avg_bytes bigint,
    OUT hard_bytes bigint,
    OUT soft_bytes bigint,
    OUT advisory_bytes bigint[])
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
SELECT DISTINCT ON (u.quota_type, u.target_oid, u.tablespace_oid)
       u.quota_type, u.target_name, u.target_oid, u.tablespace_name, u.bucket_start,
       u.max_bytes, u.avg_bytes, u.hard_bytes, u.soft_bytes, u.advisory_bytes
  FROM diskquota.usage_history u
 WHERE u.bucket_start OPERATOR(pg_catalog.<=) at
 ORDER BY u.quota_type, u.target_oid, u.tablespace_oid, u.bucket_start DESC
$$;
REVOKE ALL ON FUNCTION diskquota.usage_report(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION diskquota.usage_at(timestamptz) FROM PUBLIC;

-- Metrics for the usual monitoring stack: one row per quota and measure,
-- as Prometheus SQL exporters read them (kind: gauge or counter).
CREATE VIEW diskquota.metrics AS
SELECT m.metric, m.kind, q.target_type,
       coalesce(q.target_name, q.target_oid::pg_catalog.text) AS target,
       coalesce(q.tablespace_name::pg_catalog.text, '') AS tablespace,
       m.value
  FROM diskquota.quotas q
  CROSS JOIN LATERAL (VALUES
    ('diskquota_used_bytes', 'gauge', q.used_bytes::pg_catalog.float8),
    ('diskquota_hard_limit_bytes', 'gauge', q.hard_bytes::pg_catalog.float8),
    ('diskquota_soft_limit_bytes', 'gauge', q.soft_bytes::pg_catalog.float8),
    ('diskquota_advisory_bytes', 'gauge', q.advisory_bytes[1]::pg_catalog.float8),
    ('diskquota_grace_seconds_left', 'gauge',
     GREATEST(pg_catalog.date_part('epoch', q.grace_expires_at OPERATOR(pg_catalog.-)
                                   pg_catalog.now()), 0)),
    ('diskquota_overuse_mb_days', 'gauge', q.overuse_mb_days),
    ('diskquota_level', 'gauge', q.level::pg_catalog.float8),
    ('diskquota_denied_total', 'counter', q.denied_count::pg_catalog.float8),
    ('diskquota_stopped_total', 'counter', q.stopped_count::pg_catalog.float8))
    AS m(metric, kind, value)
 WHERE m.value IS NOT NULL;
REVOKE ALL ON diskquota.metrics FROM PUBLIC;

-- Cleanup plans (cleanup.c)
-- The priority of a table in cleanup plans, set by its owner through
-- set_relation_priority() (absent: 0).  Dumped, without the rows of
-- dropped relations (a regclass is restored by name) nor those of
-- temporary tables (pg_temp_N.t, which no restore can find: one such row,
-- which any tenant can make, failed the restore of the whole table, and
-- a restore in one transaction).
CREATE TABLE diskquota.relation_priority (
    relid regclass PRIMARY KEY,
    priority integer NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('diskquota.relation_priority',
    'WHERE EXISTS (SELECT FROM pg_catalog.pg_class c'
    ' WHERE c.oid OPERATOR(pg_catalog.=) relid::pg_catalog.oid'
    ' AND c.relpersistence OPERATOR(pg_catalog.<>) ''t'')');
REVOKE ALL ON diskquota.relation_priority FROM PUBLIC;

CREATE FUNCTION diskquota.set_relation_priority(relation regclass, priority integer)
RETURNS void
AS 'MODULE_PATHNAME', 'diskquota_set_relation_priority'
LANGUAGE C VOLATILE;

-- For one target, the relations charged to it in bucket order: which to
-- keep under its soft (else hard) limit, what dropping each of the others
-- would free, and the dead space VACUUM FULL would likely give back.
CREATE FUNCTION diskquota.cleanup_plan(
    target_type text, target text, tablespace text DEFAULT NULL,
    OUT relation regclass,
    OUT size_bytes bigint,
    OUT priority integer,
    OUT keep boolean,
    OUT freed_bytes bigint,
    OUT dead_bytes_estimate bigint,
    OUT kept_total_bytes bigint,
    OUT limit_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'diskquota_cleanup_plan'
LANGUAGE C VOLATILE;
GRANT EXECUTE ON FUNCTION diskquota.set_relation_priority(regclass, integer) TO PUBLIC;
GRANT EXECUTE ON FUNCTION diskquota.cleanup_plan(text, text, text) TO PUBLIC;
