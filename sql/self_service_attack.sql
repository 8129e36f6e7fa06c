-- Attacks on self-service (issue 19) and the cleanup plans, by a tenant.
-- Each is written as the attack; the output is what must happen.
\set VERBOSITY terse
\i sql/include/try.psql
CREATE ROLE dq_atk_a LOGIN;
CREATE ROLE dq_atk_b LOGIN;
CREATE ROLE dq_atk_approvers;
CREATE SCHEMA atk_a AUTHORIZATION dq_atk_a;
CREATE SCHEMA atk_b AUTHORIZATION dq_atk_b;
SELECT diskquota.set_quota('schema', 'atk_a', '10 MB');
SELECT diskquota.set_quota('schema', 'atk_b', '10 MB');
SET diskquota.approver_role = 'dq_atk_approvers';
SELECT diskquota.wait_for_worker_new_epoch();

-- 1. A reason near the 8000-byte limit of a NOTIFY payload: the request
-- could be made, but its withdrawal, approval and denial (whose events
-- add to it) failed with "payload string too long", even for a superuser,
-- and the target could get no other request.  Reasons and notes are short.
SET ROLE dq_atk_a;
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'atk_a', '20 MB', repeat('r', 7564))$$);
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'atk_a', '20 MB', repeat('r', 1001))$$);
-- 2. Nor can a tenant store megabytes through them: the extension's
-- tables are written by statements no quota refuses (with
-- diskquota.notify_payload = id, no payload limit either).
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'atk_a', '20 MB', repeat('r', 1024 * 1024))$$);
-- control characters (six bytes each in JSON) are refused; tab and newline are not
SELECT pg_temp.try($$SELECT diskquota.request_quota('schema', 'atk_a', '20 MB', 'a' || chr(1))$$);
-- the longest reason, and the longest note, of characters JSON escapes:
-- withdrawn and denied, every payload fits
SELECT diskquota.request_quota('schema', 'atk_a', '20 MB',
                               repeat('"', 999) || E'\n') AS req \gset
SELECT diskquota.withdraw_request(:req);
SELECT diskquota.request_quota('schema', 'atk_a', '20 MB', repeat('\', 1000)) AS req \gset
RESET ROLE;
SELECT pg_temp.try(format($$SELECT diskquota.deny_request(%s, repeat('n', 1001))$$, :req));
SELECT pg_temp.try(format($$SELECT diskquota.approve_request(%s, 'x' || chr(27))$$, :req));
SELECT diskquota.deny_request(:req, repeat('\', 1000));
SELECT state, octet_length(reason) AS reason_bytes, octet_length(note) AS note_bytes
  FROM diskquota.quota_requests WHERE id = :req;
SELECT event, octet_length(detail->>'reason') AS reason_bytes,
       octet_length(detail->>'note') AS note_bytes
  FROM diskquota.events WHERE (detail->>'request_id')::bigint = :req ORDER BY id;

-- 3. Another tenant's request: not to be seen, withdrawn or approved.
SET ROLE dq_atk_a;
SELECT diskquota.request_quota('schema', 'atk_a', '30 MB', 'secret plans') AS req_a \gset
RESET ROLE;
SET ROLE dq_atk_b;
-- (the database's events are everyone's, and may come from earlier tests)
CREATE FUNCTION atk_b.leak(text, text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
    AS $$BEGIN
        IF $1 <> 'database' THEN RAISE NOTICE 'leaked %', $2; END IF;
        RETURN $1 <> 'database';
    END$$;
SELECT count(*) FROM diskquota.my_requests WHERE atk_b.leak(target_type, reason);
SELECT count(*) FROM diskquota.my_events WHERE atk_b.leak(target_type, detail::text);
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.withdraw_request(%s)', :req_a)),
                      '[0-9]{8,}', 'N') AS try;
SELECT pg_temp.try(format('SELECT diskquota.approve_request(%s)', :req_a));
SELECT diskquota.target_is_mine('schema', 'atk_a'::regnamespace) AS a_is_mine;
RESET ROLE;

-- 4. Names planted ahead of pg_catalog in the search path (as a database
-- owner's ALTER DATABASE ... SET search_path does): the code that writes
-- as the extension's owner runs none of them.
CREATE SCHEMA atk_plant AUTHORIZATION dq_atk_b;
SET ROLE dq_atk_b;
CREATE FUNCTION atk_plant.pwn() RETURNS boolean LANGUAGE plpgsql
    AS $$BEGIN RAISE NOTICE 'planted code ran as %', current_user; RETURN true; END$$;
CREATE FUNCTION atk_plant.texteq(text, text) RETURNS boolean LANGUAGE sql
    AS 'SELECT atk_plant.pwn() AND $1 OPERATOR(pg_catalog.=) $2';
CREATE OPERATOR atk_plant.= (LEFTARG = text, RIGHTARG = text, PROCEDURE = atk_plant.texteq);
CREATE FUNCTION atk_plant.oideq(oid, oid) RETURNS boolean LANGUAGE sql
    AS 'SELECT atk_plant.pwn() AND $1 OPERATOR(pg_catalog.=) $2';
CREATE OPERATOR atk_plant.= (LEFTARG = oid, RIGHTARG = oid, PROCEDURE = atk_plant.oideq);
CREATE FUNCTION atk_plant.nameeq(name, name) RETURNS boolean LANGUAGE sql
    AS 'SELECT atk_plant.pwn() AND $1 OPERATOR(pg_catalog.=) $2';
CREATE OPERATOR atk_plant.= (LEFTARG = name, RIGHTARG = name, PROCEDURE = atk_plant.nameeq);
CREATE FUNCTION atk_plant.now() RETURNS timestamptz LANGUAGE sql
    AS 'SELECT CASE WHEN atk_plant.pwn() THEN pg_catalog.now() END';
CREATE FUNCTION atk_plant.coalesce(oid, oid) RETURNS oid LANGUAGE sql
    AS 'SELECT CASE WHEN atk_plant.pwn() THEN $1 END';
CREATE FUNCTION atk_plant.pg_notify(text, text) RETURNS void LANGUAGE sql
    AS 'SELECT atk_plant.pwn(); SELECT NULL::void';
CREATE VIEW atk_plant.pg_roles AS SELECT *, atk_plant.pwn() AS pwn FROM pg_catalog.pg_roles;
RESET ROLE;
SET search_path = atk_plant, pg_catalog;
SET ROLE dq_atk_b;
SELECT diskquota.request_quota('schema', 'atk_b', '30 MB', 'planted') AS req_b \gset
SELECT count(*) FROM diskquota.my_requests;
SELECT count(*) > 0 AS has_quotas FROM diskquota.my_quotas;
SELECT diskquota.withdraw_request(:req_b);
SELECT diskquota.request_quota('schema', 'atk_b', '30 MB', 'planted again') AS req_b \gset
RESET ROLE;
SELECT diskquota.approve_request(:req_b, 'ok');
SELECT diskquota.deny_request(:req_a, 'no');
RESET search_path;
SELECT state FROM diskquota.quota_requests WHERE id IN (:req_a, :req_b) ORDER BY state;

-- 5. A tenant's temporary table with a priority: pg_dump wrote its row
-- as pg_temp_N.t, which no restore finds: the COPY of relation_priority
-- failed, and so did a restore in one transaction.  Not dumped.
SET ROLE dq_atk_a;
CREATE TEMP TABLE atk_temp(i int);
CREATE TABLE atk_a.kept(i int);
SELECT diskquota.set_relation_priority('atk_temp', 5);
SELECT diskquota.set_relation_priority('atk_a.kept', 7);
RESET ROLE;
SELECT format('SELECT relid::pg_catalog.text LIKE ''pg_temp%%'' AS temporary, priority'
              ' FROM diskquota.relation_priority %s'
              ' AND relid IN (''atk_a.kept''::regclass, ''pg_temp.atk_temp''::regclass)'
              ' ORDER BY priority',
              e.extcondition[array_position(e.extconfig, 'diskquota.relation_priority'::regclass)])
  FROM pg_extension e WHERE e.extname = 'diskquota' \gexec

-- 6. The database is everyone's target, but its requests are their
-- requesters': another tenant neither sees one (nor its events, with its
-- reason) nor withdraws it, nor is kept from asking by it.
SELECT diskquota.set_quota('database', NULL, '100 GB');
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_atk_a;
SELECT diskquota.request_quota('database', NULL, '200 GB', 'a''s secret') AS req_db \gset
RESET ROLE;
SET ROLE dq_atk_b;
SELECT count(*) AS requests_seen FROM diskquota.my_requests WHERE target_type = 'database';
SELECT count(*) AS events_seen FROM diskquota.my_events WHERE detail::text LIKE '%secret%';
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.withdraw_request(%s)', :req_db)),
                      '[0-9]{8,}', 'N') AS try;
SELECT diskquota.request_quota('database', NULL, '300 GB', 'b''s own') AS req_db_b \gset
SELECT target_type, reason, state FROM diskquota.my_requests WHERE target_type = 'database';
RESET ROLE;
-- a group role's request is seen by its members, and withdrawn by its maker only
CREATE ROLE dq_atk_team;
GRANT dq_atk_team TO dq_atk_a, dq_atk_b;
SET ROLE dq_atk_a;
SELECT diskquota.request_quota('role', 'dq_atk_team', '1 GB', 'team data') AS req_team \gset
RESET ROLE;
SET ROLE dq_atk_b;
SELECT reason, state FROM diskquota.my_requests WHERE target_type = 'role';
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.withdraw_request(%s)', :req_team)),
                      '[0-9]{8,}', 'N') AS try;
RESET ROLE;
SET ROLE dq_atk_a;
SELECT diskquota.withdraw_request(:req_team);
SELECT diskquota.withdraw_request(:req_db);
RESET ROLE;

-- 7. A loop of requests and withdrawals wrote into the extension's tables
-- without bound (no quota counts them): a role makes at most
-- diskquota.max_requests_per_day in 24 hours (b has made 3 so far).
SET diskquota.max_requests_per_day = 5;
SET ROLE dq_atk_b;
SELECT pg_temp.try($$SELECT diskquota.withdraw_request(diskquota.request_quota('schema', 'atk_b', '1 GB', 'loop'))$$)
  FROM generate_series(1, 3);
RESET ROLE;
RESET diskquota.max_requests_per_day;
SELECT count(*) AS requests_of_b FROM diskquota.quota_requests
 WHERE requester_oid = 'dq_atk_b'::regrole;

-- 8. LISTEN has no access control: by default a NOTIFY carries the event's
-- id only, which tells nothing to a tenant that may not read the log (the
-- tests run with full payloads).
SELECT boot_val FROM pg_settings WHERE name = 'diskquota.notify_payload';

-- 9. A transaction with an old snapshot (REPEATABLE READ, the snapshot
-- exported by another session of the tenant and imported with SET
-- TRANSACTION SNAPSHOT) did not see the requests committed since: each
-- such transaction made diskquota.max_requests_per_day more, without end.
-- The checks read the requests committed until the call.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
\i sql/include/dblink_outcome.psql
DELETE FROM diskquota.quota_requests WHERE requester_oid = 'dq_atk_a'::regrole;
SET diskquota.max_requests_per_day = 2;
SELECT dblink_connect('atk_snap', 'dbname=' || current_database());
SELECT dblink_exec('atk_snap', 'SET ROLE dq_atk_a');
SELECT dblink_exec('atk_snap', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT snap FROM dblink('atk_snap', 'SELECT pg_export_snapshot()') AS t(snap text) \gset
SET ROLE dq_atk_a;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET TRANSACTION SNAPSHOT :'snap';
SELECT pg_temp.try($$SELECT diskquota.withdraw_request(diskquota.request_quota('schema', 'atk_a', '1 GB', 'old snapshot'))$$)
  FROM generate_series(1, 2);
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET TRANSACTION SNAPSHOT :'snap';
SELECT pg_temp.try($$SELECT diskquota.withdraw_request(diskquota.request_quota('schema', 'atk_a', '1 GB', 'old snapshot'))$$)
  FROM generate_series(1, 2);
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SET TRANSACTION SNAPSHOT :'snap';
SELECT pg_temp.try($$SELECT diskquota.withdraw_request(diskquota.request_quota('schema', 'atk_a', '1 GB', 'old snapshot'))$$)
  FROM generate_series(1, 2);
COMMIT;
RESET ROLE;
SELECT dblink_exec('atk_snap', 'COMMIT');
SELECT dblink_disconnect('atk_snap');
SELECT count(*) AS requests_of_a FROM diskquota.quota_requests
 WHERE requester_oid = 'dq_atk_a'::regrole;

-- 10. Two sessions of one role at once each missed the other's
-- uncommitted requests, and both passed the count (as many as the role
-- may open sessions).  A role's requests are made one at a time: the
-- second waits for the first's transaction to end.
DELETE FROM diskquota.quota_requests WHERE requester_oid = 'dq_atk_a'::regrole;
SET diskquota.max_requests_per_day = 1;
SELECT dblink_connect('atk_first', 'dbname=' || current_database());
SELECT dblink_exec('atk_first', 'SET diskquota.max_requests_per_day = 1');
SELECT dblink_exec('atk_first', 'SET ROLE dq_atk_a');
SELECT dblink_exec('atk_first', 'BEGIN');
SELECT id IS NOT NULL AS requested FROM dblink('atk_first',
  $$SELECT diskquota.request_quota('schema', 'atk_a', '1 GB', 'first')$$) AS t(id bigint);
SET ROLE dq_atk_a;
SET lock_timeout = '200ms';
SELECT pg_temp.try($$SELECT diskquota.request_quota('database', NULL, '1 TB', 'second')$$);
RESET lock_timeout;
RESET ROLE;
SELECT dblink_exec('atk_first', 'COMMIT');
SELECT dblink_disconnect('atk_first');
SET ROLE dq_atk_a;
SELECT pg_temp.try($$SELECT diskquota.request_quota('database', NULL, '1 TB', 'third')$$);
RESET ROLE;
SELECT count(*) AS requests_of_a FROM diskquota.quota_requests
 WHERE requester_oid = 'dq_atk_a'::regrole;
RESET diskquota.max_requests_per_day;
-- (the same request from two sessions at once: specs/request_race.spec)

-- 11. A request was dated by now(), the start of its transaction: a
-- transaction begun long before counted its requests in a 24-hour window
-- already partly gone.  A request is dated when it is made.
SET ROLE dq_atk_a;
BEGIN;
SELECT diskquota.request_quota('role', 'dq_atk_a', '3 GB', 'late') AS req_late \gset
SELECT requested_at > now() AS dated_when_made FROM diskquota.my_requests WHERE id = :req_late;
COMMIT;
RESET ROLE;

-- 12. A decision waited behind another transaction holding the request
-- (a tenant's withdrawal left open held an approver for as long as it
-- liked): it fails at once (55P03), and the first one stands.
SET ROLE dq_atk_a;
SELECT diskquota.request_quota('database', NULL, '4 TB', 'race') AS req_race \gset
RESET ROLE;
SELECT dblink_connect('atk_hold', 'dbname=' || current_database());
SELECT dblink_exec('atk_hold', 'SET ROLE dq_atk_a');
SELECT dblink_exec('atk_hold', 'BEGIN');
SELECT count(*) FROM dblink('atk_hold',
  format('SELECT diskquota.withdraw_request(%s)', :req_race)) AS t(r text);
-- (a statement_timeout ends the wait of a build without the fix)
SET statement_timeout = '10s';
SELECT pg_temp.try(format('SELECT diskquota.deny_request(%s, %L)', :req_race, 'no'));
RESET statement_timeout;
SELECT dblink_exec('atk_hold', 'COMMIT');
SELECT dblink_disconnect('atk_hold');
SELECT state FROM diskquota.quota_requests WHERE id = :req_race;

-- clean up
DROP TABLE pg_temp.atk_temp;
DELETE FROM diskquota.relation_priority;
DELETE FROM diskquota.quota_requests;
SELECT diskquota.remove_quota('schema', 'atk_a');
SELECT diskquota.remove_quota('schema', 'atk_b');
SELECT diskquota.remove_quota('database', NULL);
DROP SCHEMA atk_a, atk_b, atk_plant CASCADE;
DROP ROLE dq_atk_a, dq_atk_b, dq_atk_approvers, dq_atk_team;
RESET diskquota.approver_role;
