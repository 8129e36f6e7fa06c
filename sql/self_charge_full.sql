-- When running statements have used up a target's headroom
-- (diskquota.self_charge), a statement that starts after them is refused
-- at once, before the worker has sized what they wrote; the worker's next
-- publication lifts that.  The worker is kept from publishing by holding a
-- lock on quota_config (it reads it at every refresh), for much less than
-- the time after which the database would turn stale.  Sizes are
-- asserted, never time.
-- self-charging is off by default: this test turns it on
SET diskquota.self_charge = on;
\set VERBOSITY terse
ALTER SYSTEM SET diskquota.naptime = 60;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
CREATE ROLE dq_sf NOLOGIN;
SELECT diskquota.set_role_quota('dq_sf', '10 MB');
SET ROLE dq_sf;
CREATE TEMP TABLE tf(i int);
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
LOCK TABLE diskquota.quota_config IN ACCESS EXCLUSIVE MODE;
SET LOCAL ROLE dq_sf;
SAVEPOINT a;
-- about 200 MB if it ran to the end: stopped by its own charges
INSERT INTO tf SELECT generate_series(1, 6000000);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO a;
-- the worker has not seen what it wrote, but the headroom stays used up
-- until the worker publishes: a new statement is refused at once, however
-- small
INSERT INTO tf VALUES (1);
ROLLBACK TO a;
INSERT INTO tf SELECT 1;
ROLLBACK TO a;
-- other targets are not concerned
RESET ROLE;
CREATE TEMP TABLE other(i int);
INSERT INTO other SELECT generate_series(1, 1000);
COMMIT;
-- the worker's next publication lifts it: with what was written freed,
-- the role may write again
SET ROLE dq_sf;
TRUNCATE tf;
RESET ROLE;
SELECT diskquota.wait_for_worker_new_epoch();
SET ROLE dq_sf;
INSERT INTO tf VALUES (1);
SELECT count(*) FROM tf;
DROP TABLE tf;
RESET ROLE;
DROP TABLE other;

SELECT diskquota.set_role_quota('dq_sf', '-1');
DROP ROLE dq_sf;
ALTER SYSTEM RESET diskquota.naptime;
SELECT pg_reload_conf();
SELECT diskquota.wait_for_worker_new_epoch();
