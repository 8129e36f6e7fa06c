-- UPDATE writes new row versions: it is refused over quota, DELETE is not.
CREATE SCHEMA s6;
CREATE TABLE s6.t(i int, v text);
INSERT INTO s6.t SELECT i, 'x' FROM generate_series(1, 100000) i;
SELECT diskquota.set_schema_quota('s6', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
UPDATE s6.t SET v = 'y' WHERE i = 1;
\echo :LAST_ERROR_SQLSTATE
-- an UPDATE that the planner knows touches nothing is still a load
UPDATE s6.t SET v = 'y' WHERE false;
DELETE FROM s6.t WHERE i = 1;
SELECT count(*) FROM s6.t;
DROP SCHEMA s6 CASCADE;
