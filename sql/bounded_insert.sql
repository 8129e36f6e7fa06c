-- Short INSERTs of constants are not polled while they run (see
-- bounded_insert in enforcement.c): they are checked before they start
-- only.  Whatever can make such an INSERT write much more than its input
-- takes it out of that rule, and the statement is stopped while it runs.
-- Each case has its own schema with a 1 MB quota; the columns are stored
-- uncompressed, so that each value is written in full.
CREATE FUNCTION pg_temp.setup(nsp text, coldef text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SCHEMA %I', nsp);
  PERFORM diskquota.set_schema_quota(nsp, '1 MB');
  EXECUTE format('CREATE TABLE %I.t(k text, v text %s)', nsp, coldef);
  EXECUTE format('ALTER TABLE %I.t ALTER COLUMN v SET STORAGE EXTERNAL', nsp);
END $$;
SELECT pg_temp.setup('s21_const', '');
SELECT pg_temp.setup('s21_trig', '');
SELECT pg_temp.setup('s21_gen', 'GENERATED ALWAYS AS (repeat(k, 200000000)) STORED');
SELECT pg_temp.setup('s21_def', 'DEFAULT repeat(chr(120), (random() * 0 + 200000000)::int)');
CREATE FUNCTION s21_trig.enlarge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.v := repeat('x', 200000000);
  RETURN NEW;
END $$;
CREATE TRIGGER enlarge BEFORE INSERT ON s21_trig.t
  FOR EACH ROW EXECUTE FUNCTION s21_trig.enlarge();
SELECT diskquota.wait_for_worker_new_epoch();
-- small rows pass
INSERT INTO s21_const.t VALUES ('a', 'b'), ('c', 'd');
-- a constant of 200 MB (the planner folds repeat() into one)
INSERT INTO s21_const.t VALUES ('a', repeat('x', 200000000));
\echo :LAST_ERROR_SQLSTATE
-- a trigger that makes the row large
INSERT INTO s21_trig.t VALUES ('a', 'b');
\echo :LAST_ERROR_SQLSTATE
-- a stored generated column
INSERT INTO s21_gen.t VALUES ('x');
\echo :LAST_ERROR_SQLSTATE
-- a column default that is not a constant
INSERT INTO s21_def.t VALUES ('a');
\echo :LAST_ERROR_SQLSTATE
-- an index that makes many entries of one small value (a GIN index on an
-- expression), created after this session's first INSERT into the table:
-- the verdict follows the indexes the statement opens
CREATE SCHEMA s21_gin;
SELECT diskquota.set_schema_quota('s21_gin', '1 MB');
CREATE FUNCTION s21_gin.spread(int) RETURNS int[] IMMUTABLE LANGUAGE sql
  AS 'SELECT array_agg(g) FROM generate_series(1, $1) g';
CREATE TABLE s21_gin.t(i int);
INSERT INTO s21_gin.t VALUES (1);
CREATE INDEX ON s21_gin.t USING gin (s21_gin.spread(i)) WITH (fastupdate = off);
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s21_gin.t VALUES (5000000);
\echo :LAST_ERROR_SQLSTATE
-- none of those rows is there but the first small one; each schema is
-- over its quota now, and even the smallest INSERT is refused before it
-- starts
SELECT (SELECT count(*) FROM s21_const.t) + (SELECT count(*) FROM s21_trig.t) +
       (SELECT count(*) FROM s21_gen.t) + (SELECT count(*) FROM s21_def.t) +
       (SELECT count(*) FROM s21_gin.t) AS rows;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT target_oid::regnamespace, rejected FROM diskquota.quota_usage()
 WHERE target_oid::regnamespace::text LIKE 's21%' ORDER BY 1;
INSERT INTO s21_const.t VALUES ('e', 'f');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota(s, '-1')
  FROM unnest(ARRAY['s21_const', 's21_trig', 's21_gen', 's21_def', 's21_gin']) s;
DROP SCHEMA s21_const, s21_trig, s21_gen, s21_def, s21_gin CASCADE;
