-- Open attacks on self-service (issue 19): design decisions, not fixed.
-- Not in REGRESS: the expected output is the behaviour wanted, which the
-- current code does not have.  Run with REGRESS="init self_service_attack_open".
\set VERBOSITY terse
\i sql/include/try.psql
CREATE ROLE dq_open_a LOGIN;
CREATE ROLE dq_open_b LOGIN;
CREATE SCHEMA open_b AUTHORIZATION dq_open_b;
SELECT diskquota.set_quota('database', NULL, '100 GB');
SELECT diskquota.wait_for_worker_new_epoch();

-- 1. The database is every role's own target: tenant b withdraws the
-- request tenant a made for it (and reads its reason).  Wanted: only the
-- requester (and the database's owner) may withdraw it.
SET ROLE dq_open_a;
SELECT diskquota.request_quota('database', NULL, '200 GB', 'a''s reason') AS req \gset
RESET ROLE;
SET ROLE dq_open_b;
SELECT regexp_replace(pg_temp.try(format('SELECT diskquota.withdraw_request(%s)', :req)),
                      '[0-9]{8,}', 'N') AS try;
RESET ROLE;

-- 2. With USAGE on schema diskquota, a tenant's objects can depend on the
-- extension's, even on those it may not read, and so block DROP
-- EXTENSION diskquota (and an update whose script rewrites them).
-- Wanted: refused (for instance the tenant-facing objects in a schema of
-- their own, the extension's schema kept private).
SET ROLE dq_open_b;
SELECT pg_temp.try('CREATE VIEW open_b.v AS SELECT * FROM diskquota.quota_config');
SELECT pg_temp.try('CREATE TABLE open_b.t (r diskquota.quota_requests)');
RESET ROLE;

-- 3. LISTEN has no access control: with notify_payload = full, the
-- default, every role that can connect hears every event in full, other
-- tenants' requests (ids, reasons, notes) and usage included.  Wanted: id.
SELECT current_setting('diskquota.notify_payload') AS notify_payload;

-- clean up
DELETE FROM diskquota.quota_requests;
DROP SCHEMA open_b CASCADE;
SELECT diskquota.remove_quota('database', NULL);
DROP ROLE dq_open_a, dq_open_b;
