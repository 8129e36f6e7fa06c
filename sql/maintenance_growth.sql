-- VACUUM FULL, CLUSTER and REINDEX stay allowed over quota, but a relation
-- of a target at or over its quota may not come out of them larger than it
-- went in: the transaction fails with the quota error and keeps nothing.
\set VERBOSITY terse
CREATE SCHEMA s_mg;
CREATE TABLE s_mg.t(i int, pad text);
INSERT INTO s_mg.t SELECT g, repeat('x', 50) FROM generate_series(1, 10000) g;
CREATE INDEX t_i ON s_mg.t(i);
CREATE TABLE s_mg.c(i int PRIMARY KEY);
INSERT INTO s_mg.c SELECT generate_series(1, 500);
CREATE FUNCTION s_mg.k(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT i::text $$;
CREATE TABLE s_mg.e(i int);
INSERT INTO s_mg.e SELECT generate_series(1, 2000);
CREATE INDEX e_k ON s_mg.e(s_mg.k(i));
CREATE TABLE s_mg.shrink(i int PRIMARY KEY);
INSERT INTO s_mg.shrink SELECT generate_series(1, 100000);
SELECT diskquota.set_schema_quota('s_mg', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
-- 1. a low fillfactor, then VACUUM FULL
ALTER TABLE s_mg.t SET (fillfactor = 10);
ALTER INDEX s_mg.t_i SET (fillfactor = 10);
SELECT pg_total_relation_size('s_mg.t') AS before_t \gset
VACUUM FULL s_mg.t;
\echo :LAST_ERROR_SQLSTATE
CLUSTER s_mg.t USING t_i;
REINDEX TABLE s_mg.t;
SELECT pg_total_relation_size('s_mg.t') = :before_t AS unchanged;
-- the last FULL option decides, as VACUUM reads it: a plain VACUUM here
VACUUM (FULL true, FULL false) s_mg.t;
-- 2. large missing values (ADD COLUMN with a literal default rewrites
-- nothing), then CLUSTER materializes them
SELECT repeat('y', 7000) AS big \gset
ALTER TABLE s_mg.c ADD COLUMN p1 text DEFAULT :'big';
ALTER TABLE s_mg.c ALTER COLUMN p1 SET STORAGE EXTERNAL;
SELECT pg_total_relation_size('s_mg.c') AS before_c \gset
CLUSTER s_mg.c USING c_pkey;
VACUUM FULL;
SELECT pg_total_relation_size('s_mg.c') = :before_c AS unchanged;
-- 3. the function of an expression index redefined to return larger keys,
-- then REINDEX
CREATE OR REPLACE FUNCTION s_mg.k(i int) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT string_agg(md5(i::text || g::text), '') FROM generate_series(1, 40) g $$;
SELECT pg_total_relation_size('s_mg.e') AS before_e \gset
REINDEX INDEX s_mg.e_k;
REINDEX TABLE s_mg.e;
REINDEX SCHEMA s_mg;
REINDEX TABLE CONCURRENTLY s_mg.e;
SELECT pg_total_relation_size('s_mg.e') = :before_e AS unchanged;
-- maintenance that does not grow the relation succeeds over quota
DELETE FROM s_mg.shrink WHERE i > 1000;
SELECT pg_total_relation_size('s_mg.shrink') AS before_s \gset
VACUUM FULL s_mg.shrink;
CLUSTER s_mg.shrink USING shrink_pkey;
REINDEX TABLE s_mg.shrink;
SELECT pg_total_relation_size('s_mg.shrink') < :before_s AS shrunk;
\set VERBOSITY default
DROP SCHEMA s_mg CASCADE;
\set VERBOSITY terse
-- 4. a target not at its quota yet: the rewrite may use transient double
-- space, but its result may not take the target past its quota
CREATE SCHEMA s_mg2;
CREATE TABLE s_mg2.t(i int, pad text);
INSERT INTO s_mg2.t SELECT g, repeat('x', 50) FROM generate_series(1, 5000) g;
CREATE INDEX t2_i ON s_mg2.t(i);
CREATE SCHEMA s_mg_free;
CREATE TABLE s_mg_free.f(i int PRIMARY KEY);
SELECT diskquota.set_schema_quota('s_mg2', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
SELECT pg_total_relation_size('s_mg2.t') < 1024 * 1024 AS under_quota;
ALTER TABLE s_mg2.t SET (fillfactor = 10);
ALTER INDEX s_mg2.t2_i SET (fillfactor = 10);
SELECT pg_total_relation_size('s_mg2.t') AS before_t2 \gset
VACUUM FULL s_mg2.t;
CLUSTER s_mg2.t USING t2_i;
REINDEX INDEX s_mg2.t2_i;
REINDEX TABLE s_mg2.t;
VACUUM FULL;
SELECT pg_total_relation_size('s_mg2.t') = :before_t2 AS unchanged;
-- growth within what the target has left is allowed
ALTER TABLE s_mg2.t SET (fillfactor = 70);
ALTER INDEX s_mg2.t2_i SET (fillfactor = 90);
VACUUM FULL s_mg2.t;
SELECT pg_total_relation_size('s_mg2.t') > :before_t2 AS grew,
       pg_total_relation_size('s_mg2.t') < 1024 * 1024 AS under_quota;
-- REINDEX of a schema without a quota is not refused for another one's,
-- which is over its quota now
SELECT diskquota.set_schema_quota('s_mg2', '1 kB');
SELECT diskquota.wait_for_worker_new_epoch();
REINDEX SCHEMA s_mg_free;
REINDEX SCHEMA CONCURRENTLY s_mg_free;
REINDEX SCHEMA CONCURRENTLY s_mg2;
DROP SCHEMA s_mg2 CASCADE;
DROP SCHEMA s_mg_free CASCADE;
