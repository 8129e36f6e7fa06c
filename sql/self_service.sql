-- Self-service (1.2): two tenants and a support role.  Each tenant sees its
-- own quotas, events and requests only; requests are approved or denied by
-- the members of diskquota.approver_role; nothing about one tenant leaks to
-- the other through the views, the functions or their errors.
\set VERBOSITY terse
\i sql/include/try.psql
CREATE ROLE dq_ss_a LOGIN;
CREATE ROLE dq_ss_b LOGIN;
CREATE ROLE dq_ss_team;			-- a group role dq_ss_a is a member of
GRANT dq_ss_team TO dq_ss_a;
CREATE ROLE dq_ss_support LOGIN;
CREATE ROLE dq_ss_approvers;
GRANT dq_ss_approvers TO dq_ss_support;
CREATE SCHEMA ss_a AUTHORIZATION dq_ss_a;
CREATE SCHEMA ss_b AUTHORIZATION dq_ss_b;
CREATE TABLE ss_a.t(i int) WITH (autovacuum_enabled = off);
ALTER TABLE ss_a.t OWNER TO dq_ss_a;
INSERT INTO ss_a.t SELECT generate_series(1, 30000);	-- about 1 MB
SELECT diskquota.set_quota('schema', 'ss_a', '10 MB', soft => '8 MB', grace => '1 day',
                           advisory => '4 MB, 6 MB');
SELECT diskquota.set_quota('schema', 'ss_b', '20 MB');
SELECT diskquota.set_quota('role', 'dq_ss_b', '30 MB');
SELECT diskquota.set_quota('role', 'dq_ss_team', '40 MB');
SELECT diskquota.set_quota('database', NULL, '100 GB');
-- the approvers' role, for this session (set by a superuser, it holds
-- after SET ROLE; a DBA sets it in postgresql.conf)
SET diskquota.approver_role = 'dq_ss_approvers';
SELECT diskquota.wait_for_worker_new_epoch();

-- every role may use the schema; no function is SECURITY DEFINER (the
-- self-service ones act for their caller), nothing else is granted to PUBLIC
SELECT has_schema_privilege('public', 'diskquota', 'USAGE') AS public_usage;
SELECT count(*) AS security_definer FROM pg_proc
 WHERE pronamespace = 'diskquota'::regnamespace AND prosecdef;
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'diskquota'::regnamespace
   AND has_function_privilege('dq_ss_b', p.oid, 'EXECUTE')
 ORDER BY 1;
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'diskquota'::regnamespace AND c.relkind IN ('r', 'v', 'S')
   AND has_table_privilege('dq_ss_b', c.oid, 'SELECT')
 ORDER BY 1;

-- tenant a: its schema, its group role and the database; what is left
-- before each limit (the advisory one: to the lowest threshold not reached)
SET ROLE dq_ss_a;
SELECT target_type, target_name, tablespace_name, hard_bytes,
       hard_bytes - used_bytes = hard_left_bytes AS hard_left_ok,
       soft_bytes - used_bytes = soft_left_bytes AS soft_left_ok,
       4 * 1024 * 1024 - used_bytes = advisory_left_bytes AS advisory_left_ok,
       state, level
  FROM diskquota.my_quotas ORDER BY target_type, target_name;
-- what it may not read
SELECT pg_temp.try('SELECT * FROM diskquota.quotas');
SELECT pg_temp.try('SELECT * FROM diskquota.quota_policies()');
SELECT pg_temp.try('SELECT * FROM diskquota.quota_config');
SELECT pg_temp.try('SELECT * FROM diskquota.quota_requests');
SELECT pg_temp.try('SELECT * FROM diskquota.usage_history');
SELECT pg_temp.try('SELECT * FROM diskquota.metrics');
SELECT count(*) AS event_rows FROM diskquota.events;
RESET ROLE;
-- tenant b: its schema, itself and the database; not a's
SET ROLE dq_ss_b;
SELECT target_type, target_name, hard_bytes, hard_left_bytes IS NOT NULL AS has_left,
       soft_left_bytes, advisory_left_bytes
  FROM diskquota.my_quotas ORDER BY target_type, target_name;
RESET ROLE;
-- a superuser owns every target
SELECT count(*) = (SELECT count(*) FROM diskquota.quotas) AS superuser_sees_all
  FROM diskquota.my_quotas;

-- Requests.  Tenant a asks for more for its schema and for its team.
SET ROLE dq_ss_a;
SELECT diskquota.request_quota('schema', 'ss_a', '50 MB', 'nightly import grows') AS req_a \gset
SELECT diskquota.request_quota('role', 'dq_ss_team', '60 MB', 'team archive') AS req_team \gset
-- one pending request per target
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_a', '60 MB', 'more')$$);
-- not its targets, and bad arguments
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_b', '1 GB', 'mine now')$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('role', 'dq_ss_b', '1 GB', 'mine now')$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_a', NULL, 'x')$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_a', '0', 'x')$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_a', 'lots', 'x')$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_a', '1 GB', '  ')$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_a', '1 GB', NULL)$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('nothing', 'ss_a', '1 GB', 'x')$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'ss_a', '1 GB', 'x', 'pg_default')$$);
-- it may not decide its own requests
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_a)), '[0-9]{6,}', 'ID', 'g');
SELECT pg_temp.try(format('SELECT diskquota.deny_request(%s, %L)', :req_a, 'no'));
SELECT target_type, target_name, current_hard_bytes, used_bytes IS NOT NULL AS used_known,
       requested_hard_bytes, reason, state, decided_by
  FROM diskquota.my_requests ORDER BY target_type;
RESET ROLE;
-- tenant b asks for its schema; it sees neither a's requests nor a's events
SET ROLE dq_ss_b;
SELECT diskquota.request_quota('schema', 'ss_b', '25 MB', 'more rows') AS req_b \gset
SELECT target_name, state FROM diskquota.my_requests;
-- (the database's events, everyone's, may come from earlier tests)
SELECT event, target_name FROM diskquota.my_events
 WHERE target_type <> 'database' ORDER BY at, event;
-- another tenant's request is reported as not existing, as a made-up id is
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.withdraw_request(%s)', :req_a)),
                      '[0-9]{6,}', 'ID', 'g') AS others_request,
       regexp_replace(pg_temp.try(format('SELECT diskquota.withdraw_request(%s)', :req_a + 1)),
                      '[0-9]{6,}', 'ID', 'g') AS made_up;
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_b)), '[0-9]{6,}', 'ID', 'g');
-- a condition of its own runs on its own rows only (security barrier)
CREATE FUNCTION ss_b.peek(text, text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    IF $1 <> 'database' THEN
        RAISE NOTICE 'saw %', $2;
    END IF;
    RETURN $1 <> 'database';
END
$$;
SELECT count(*) FROM diskquota.my_events WHERE ss_b.peek(target_type, target_name);
SELECT count(*) FROM diskquota.my_requests WHERE ss_b.peek(target_type, target_name);
DROP FUNCTION ss_b.peek(text, text);
RESET ROLE;

-- the support role sees every request and decides; it is no superuser and
-- may not set quotas itself
SET ROLE dq_ss_support;
SELECT target_name, requested_by, state FROM diskquota.my_requests ORDER BY target_name;
SELECT pg_temp.try($$SELECT diskquota.set_quota('schema', 'ss_a', '1 TB')$$);
SELECT diskquota.approve_request(:req_a, 'approved for the import');
SELECT pg_temp.try(format('SELECT diskquota.deny_request(%s, NULL)', :req_b));
SELECT diskquota.deny_request(:req_b, 'clean up first: see cleanup_plan()');
-- decided requests stay decided
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_a)), '[0-9]{6,}', 'ID', 'g');
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_b)), '[0-9]{6,}', 'ID', 'g');
SELECT pg_temp.try(format('SELECT diskquota.approve_request(%s)', -1));
RESET ROLE;
-- without the setting the support role decides nothing
SET diskquota.approver_role = '';
SET ROLE dq_ss_support;
SELECT pg_temp.try(format('SELECT diskquota.deny_request(%s, %L)', :req_team, 'no'));
SELECT count(*) AS requests_seen FROM diskquota.my_requests;
RESET ROLE;
SET diskquota.approver_role = 'dq_ss_approvers';

-- tenant a withdraws the team's request; the approved one changed the quota
-- (its soft limit and advisory thresholds kept)
SET ROLE dq_ss_a;
SELECT diskquota.withdraw_request(:req_team);
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.withdraw_request(%s)', :req_team)), '[0-9]{6,}', 'ID', 'g');
SELECT pg_temp.try('SELECT diskquota.withdraw_request(NULL)');
SELECT target_name, requested_hard_bytes, state, decided_by, note
  FROM diskquota.my_requests ORDER BY target_name;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_name, hard_bytes, soft_bytes, advisory_bytes
  FROM diskquota.quotas WHERE target_type = 'schema' ORDER BY target_name;
-- the events: each step, with the request in its detail; each tenant sees
-- those of its own targets
SET ROLE dq_ss_a;
SELECT event, target_type, target_name, limit_bytes,
       detail - 'request_id' - 'current_hard_bytes' - 'requester_oid' AS detail,
       (detail ->> 'request_id')::bigint IN (:req_a, :req_team) AS request_id_ok,
       (detail ->> 'requester_oid')::oid = 'dq_ss_a'::regrole AS requester_ok
  FROM diskquota.my_events WHERE event LIKE '%request%' ORDER BY at, event, target_name;
RESET ROLE;
SET ROLE dq_ss_b;
SELECT event, target_name, detail ->> 'note' AS note
  FROM diskquota.my_events WHERE event LIKE '%request%' ORDER BY at, event;
RESET ROLE;
-- ids are random: a tenant's next id says nothing of the others' requests
SELECT count(DISTINCT id) = 3 AND min(id) > 0 AS ids_ok FROM diskquota.quota_requests;

-- a target under a default quota (accounting only, with a soft limit):
-- the approval gives it a quota of its own that keeps the default's policy
-- (not an enforced quota of the hard limit alone)
SELECT diskquota.set_default_quota('schema', '2 GB', soft => '1 GB', enforced => false);
CREATE SCHEMA ss_def AUTHORIZATION dq_ss_b;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_ss_b;
SELECT source, hard_bytes, enforced FROM diskquota.my_quotas WHERE target_name = 'ss_def';
SELECT diskquota.request_quota('schema', 'ss_def', '3 GB', 'under the default') AS req_def \gset
RESET ROLE;
SET ROLE dq_ss_support;
SELECT diskquota.approve_request(:req_def);
RESET ROLE;
SELECT quota_in_bytes, soft_bytes, enforced, notify
  FROM diskquota.quota_config WHERE schema_id = 'ss_def'::regnamespace;
SELECT diskquota.remove_default_quota('schema');
SELECT diskquota.remove_quota('schema', 'ss_def');
DROP SCHEMA ss_def;

-- the target must be the one asked for, and still the requester's own:
-- not renamed (nor another object that took its OID), not given away
CREATE SCHEMA ss_ren AUTHORIZATION dq_ss_b;
CREATE SCHEMA ss_given AUTHORIZATION dq_ss_b;
SET ROLE dq_ss_b;
SELECT diskquota.request_quota('schema', 'ss_ren', '2 MB', 'x') AS req_ren \gset
SELECT diskquota.request_quota('schema', 'ss_given', '2 MB', 'x') AS req_given \gset
RESET ROLE;
ALTER SCHEMA ss_ren RENAME TO ss_renamed;
ALTER SCHEMA ss_given OWNER TO dq_ss_a;
SET ROLE dq_ss_support;
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_ren)), '[0-9]{6,}', 'ID', 'g');
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_given)), '[0-9]{6,}', 'ID', 'g');
SELECT diskquota.deny_request(:req_ren, 'renamed');
SELECT diskquota.deny_request(:req_given, 'given away');
-- an approver does not approve its own request (another one, or a
-- superuser, does)
RESET ROLE;
CREATE SCHEMA ss_sup AUTHORIZATION dq_ss_support;
SET ROLE dq_ss_support;
SELECT diskquota.request_quota('schema', 'ss_sup', '2 MB', 'for myself') AS req_sup \gset
SELECT pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_sup));
RESET ROLE;
SELECT diskquota.approve_request(:req_sup, 'by a superuser');
SELECT diskquota.remove_quota('schema', 'ss_sup');
DROP SCHEMA ss_renamed, ss_given, ss_sup;

-- a request whose target is gone is not approved
CREATE SCHEMA ss_gone AUTHORIZATION dq_ss_b;
SELECT diskquota.set_quota('schema', 'ss_gone', '1 MB');
SET ROLE dq_ss_b;
SELECT diskquota.request_quota('schema', 'ss_gone', '2 MB', 'soon gone') AS req_gone \gset
RESET ROLE;
DROP SCHEMA ss_gone;
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_gone)), '[0-9]{6,}', 'ID', 'g');
SELECT diskquota.deny_request(:req_gone, 'schema dropped');

DROP SCHEMA ss_a CASCADE;
DROP SCHEMA ss_b CASCADE;
SELECT diskquota.remove_quota('role', 'dq_ss_b');
SELECT diskquota.remove_quota('role', 'dq_ss_team');
SELECT diskquota.remove_quota('database', NULL);
DELETE FROM diskquota.quota_requests;
DROP ROLE dq_ss_a, dq_ss_b, dq_ss_team, dq_ss_support, dq_ss_approvers;
RESET diskquota.approver_role;
