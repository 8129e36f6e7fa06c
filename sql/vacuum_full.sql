-- VACUUM FULL is never refused and gives the space back.
\set VERBOSITY terse
CREATE SCHEMA s12;
CREATE TABLE s12.t(i int);
INSERT INTO s12.t SELECT generate_series(1, 100000);
-- set after the load, which would otherwise be stopped while it runs
SELECT diskquota.set_schema_quota('s12', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s12.t VALUES (1);
DELETE FROM s12.t WHERE i > 100;
VACUUM FULL s12.t;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s12.t') AS matches,
       nspsize_in_bytes < 1024 * 1024 AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's12';
INSERT INTO s12.t VALUES (1);
-- CLUSTER likewise
CREATE INDEX ON s12.t(i);
CLUSTER s12.t USING t_i_idx;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s12.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's12';
-- CREATE INDEX CONCURRENTLY builds after the index is created: counted too
CREATE INDEX CONCURRENTLY t_i_idx2 ON s12.t(i);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes = pg_total_relation_size('s12.t') AS matches
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's12';
-- ANALYZE changes no size: it does not make the worker rescan everything
SELECT full_rescans AS rescans_before FROM diskquota.status()
 WHERE database_name = current_database() \gset
ANALYZE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT full_rescans = :rescans_before AS no_rescan FROM diskquota.status()
 WHERE database_name = current_database();
DROP SCHEMA s12 CASCADE;
