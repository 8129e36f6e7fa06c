-- The event log (1.2): each change of a target's state is logged once in
-- diskquota.events by the worker, with a NOTIFY diskquota_events.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
CREATE ROLE dq_events_tenant NOLOGIN;
CREATE SCHEMA se;
CREATE TABLE se.t(i int);
-- a listener, in another session
SELECT dblink_connect('dq_ev', 'dbname=' || current_database());
SELECT dblink_exec('dq_ev', 'LISTEN diskquota_events');
SELECT coalesce(max(id), 0) AS id0 FROM diskquota.events \gset
SELECT diskquota.set_quota('schema', 'se', '6 MB', soft => '1536 kB', grace => '1 hour',
                           advisory => '512 kB');
SELECT diskquota.wait_for_worker_new_epoch();
-- an empty schema: nothing happened
SELECT count(*) FROM diskquota.events WHERE id > :id0;
-- past the advisory threshold
INSERT INTO se.t SELECT generate_series(1, 20000);
SELECT diskquota.wait_for_worker_new_epoch();
-- above the soft limit: its grace period starts
INSERT INTO se.t SELECT generate_series(1, 30000);
SELECT diskquota.wait_for_worker_new_epoch();
-- refreshes that change nothing log nothing
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
-- the grace period runs out
SELECT diskquota.extend_grace('schema', 'se', now() - interval '1 second');
SELECT diskquota.wait_for_worker_new_epoch();
-- a hard limit below the usage, and no soft limit or threshold any more
SELECT diskquota.set_quota('schema', 'se', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- back under it
TRUNCATE se.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event, target_type, target_name, target_oid = 'se'::regnamespace AS oid_ok,
       tablespace_name, threshold, limit_bytes, used_bytes > 0 AS used,
       grace_expires_at IS NOT NULL AS grace, count, at <= now() AS at_ok
  FROM diskquota.events WHERE id > :id0 ORDER BY id;
-- the state they fired on is kept: no row once all is cleared
SELECT count(*) FROM diskquota.quota_state WHERE target_oid = 'se'::regnamespace;
-- the listener heard each of them, in order, with the event's fields by name
SELECT n.notify_name, p->>'v' AS v, p->>'event' AS event, p->>'target_type' AS target_type,
       p->>'target' AS target, p->>'threshold' AS threshold, p->>'limit_bytes' AS limit_bytes,
       p->>'db' = current_database() AS db_ok,
       (p->>'id')::bigint = e.id AS id_ok
  FROM dblink_get_notify('dq_ev') n,
       LATERAL (SELECT n.extra::json AS p) j
  LEFT JOIN diskquota.events e ON e.id = (p->>'id')::bigint;
SELECT dblink_disconnect('dq_ev');
-- a target already over a hard limit when it is set is told at once, for
-- an accounting-only quota too; removing a quota tells nothing
SELECT coalesce(max(id), 0) AS id1 FROM diskquota.events \gset
SELECT diskquota.remove_quota('schema', 'se');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO se.t SELECT generate_series(1, 50000);
SELECT diskquota.set_quota('schema', 'se', '1 MB', enforced => false);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event, threshold, limit_bytes FROM diskquota.events WHERE id > :id1 ORDER BY id;
-- events older than diskquota.event_retention (30 days) are deleted by the
-- worker, the oldest first
UPDATE diskquota.events SET at = at - interval '31 days' WHERE id <= :id1;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) AS old_left FROM diskquota.events WHERE id <= :id1;
SELECT count(*) AS kept FROM diskquota.events WHERE id > :id1;
-- grace_expiring: once, at the first refresh with less than
-- diskquota.grace_warn_before (a day) left of a grace period
CREATE SCHEMA sw;
CREATE TABLE sw.t(i int);
INSERT INTO sw.t SELECT generate_series(1, 50000);
SELECT coalesce(max(id), 0) AS id3 FROM diskquota.events \gset
SELECT diskquota.set_quota('schema', 'sw', NULL, soft => '1 MB', grace => '3 days');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event FROM diskquota.events WHERE id > :id3 ORDER BY id;
SELECT diskquota.extend_grace('schema', 'sw', now() + interval '1 hour');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT diskquota.wait_for_worker_new_epoch();
SELECT event, threshold, limit_bytes, grace_expires_at > now() AS ahead
  FROM diskquota.events WHERE id > :id3 ORDER BY id;
SELECT diskquota.remove_quota('schema', 'sw');
DROP SCHEMA sw CASCADE;
-- pause() and resume() are events of the database, logged when they change
-- something
SELECT coalesce(max(id), 0) AS id2 FROM diskquota.events \gset
SELECT diskquota.pause();
SELECT diskquota.pause();
SELECT diskquota.resume();
SELECT diskquota.resume();
SELECT event, target_type, target_name, target_oid, used_bytes, count
  FROM diskquota.events WHERE id > :id2 ORDER BY id;
-- the event log is for superusers and the members of the role named by
-- diskquota.event_readers, which only superusers set
CREATE ROLE dq_events_readers NOLOGIN;
CREATE ROLE dq_events_reader NOLOGIN IN ROLE dq_events_readers;
GRANT USAGE ON SCHEMA diskquota TO dq_events_tenant, dq_events_reader;
SET ROLE dq_events_tenant;
SELECT count(*) AS tenant_sees FROM diskquota.events;
SET diskquota.event_readers = 'dq_events_tenant';
RESET ROLE;
SET ROLE dq_events_reader;
SELECT count(*) AS reader_sees FROM diskquota.events;
RESET ROLE;
SET diskquota.event_readers = 'dq_events_readers';
SET ROLE dq_events_reader;
SELECT count(*) > 0 AS reader_sees FROM diskquota.events;
DELETE FROM diskquota.events;
RESET ROLE;
SET ROLE dq_events_tenant;
SELECT count(*) AS tenant_sees FROM diskquota.events;
RESET ROLE;
RESET diskquota.event_readers;
REVOKE USAGE ON SCHEMA diskquota FROM dq_events_tenant, dq_events_reader;
DROP ROLE dq_events_reader, dq_events_readers;
SELECT diskquota.remove_quota('schema', 'se');
DROP SCHEMA se CASCADE;
DROP ROLE dq_events_tenant;
