-- Utility loads that start under quota and cross it while they run are
-- stopped: ALTER TABLE subcommands that rewrite or build an index, and a
-- CREATE TABLE AS whose relation a planner-run function moved elsewhere
-- (the statement is watched as a load into the relation it created).
\set VERBOSITY terse
CREATE SCHEMA s_ru;
CREATE TABLE s_ru.t AS SELECT generate_series(1, 6000000) AS i;
-- 2 MB above the table: a rewrite or an index build crosses early
SELECT diskquota.set_schema_quota('s_ru',
         (pg_total_relation_size('s_ru.t') + 2 * 1024 * 1024)::text);
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < quota_in_bytes AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_ru';
ALTER TABLE s_ru.t ADD COLUMN r float8 DEFAULT random();
\echo :LAST_ERROR_SQLSTATE
-- (each starts under quota again: what a stopped statement wrote is gone)
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < quota_in_bytes AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_ru';
ALTER TABLE s_ru.t ADD COLUMN u int UNIQUE;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT nspsize_in_bytes < quota_in_bytes AS under
  FROM diskquota.show_schema_quota_view WHERE schema_name = 's_ru';
ALTER TABLE s_ru.t ADD COLUMN k bigserial PRIMARY KEY;
SELECT count(*) AS columns FROM pg_attribute
 WHERE attrelid = 's_ru.t'::regclass AND attnum > 0 AND NOT attisdropped;
-- CREATE TABLE AS planned with search_path = s_ru_open, created in s_ru_small
CREATE SCHEMA s_ru_open;
CREATE SCHEMA s_ru_small;
SELECT diskquota.set_schema_quota('s_ru_small', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
CREATE FUNCTION s_ru_open.flip() RETURNS bool LANGUAGE sql IMMUTABLE
  AS $$ SELECT set_config('search_path', 's_ru_small', true) IS NOT NULL $$;
BEGIN;
SET LOCAL search_path = s_ru_open;
CREATE TABLE big AS SELECT generate_series(1, 20000000) AS i WHERE s_ru_open.flip();
ROLLBACK;
-- maintenance that grows a table of a full schema is stopped while it runs,
-- not only refused at commit: a CLUSTER in a transaction block fails itself
CREATE SCHEMA s_ru_c;
CREATE TABLE s_ru_c.c AS SELECT generate_series(1, 2000000) AS i;
CREATE INDEX c_i ON s_ru_c.c(i);
SELECT diskquota.set_schema_quota('s_ru_c', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
ALTER TABLE s_ru_c.c SET (fillfactor = 10);
BEGIN;
CLUSTER s_ru_c.c USING c_i;
ROLLBACK;
SELECT diskquota.set_schema_quota('s_ru_c', '-1');
SELECT diskquota.set_schema_quota('s_ru', '-1');
SELECT diskquota.set_schema_quota('s_ru_small', '-1');
\set VERBOSITY default
DROP SCHEMA s_ru, s_ru_open, s_ru_small, s_ru_c CASCADE;
