-- Bad input gives a clear error with an SQLSTATE; never a crash.
CREATE SCHEMA s17;
CREATE SCHEMA "S17 Mixed";
CREATE ROLE dq_r17 NOLOGIN;
CREATE ROLE "Dq R17" NOLOGIN;
\set VERBOSITY default
-- unknown targets
SELECT diskquota.set_schema_quota('no_such_schema', '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_role_quota('no_such_role', '1 MB');
\echo :LAST_ERROR_SQLSTATE
-- names follow SQL identifier rules
SELECT diskquota.set_schema_quota('S17', '1 MB');
SELECT diskquota.set_schema_quota('"S17 Mixed"', '2 MB');
SELECT diskquota.set_schema_quota('S17 Mixed', '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_role_quota('"Dq R17"', '3 MB');
SELECT diskquota.set_schema_quota('s17.x', '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('', '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('"', '1 MB');
SELECT diskquota.set_schema_quota(repeat('x', 100), '1 MB');
\echo :LAST_ERROR_SQLSTATE
-- NULL arguments
SELECT diskquota.set_schema_quota(NULL, '1 MB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('s17', NULL);
SELECT diskquota.set_role_quota(NULL, NULL);
-- sizes
SELECT diskquota.set_schema_quota('s17', '1 XB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('s17', 'abc');
SELECT diskquota.set_schema_quota('s17', '');
SELECT diskquota.set_schema_quota('s17', '99999999999 PB');
\echo :LAST_ERROR_SQLSTATE
SELECT diskquota.set_schema_quota('s17', '1e30 MB');
SELECT diskquota.set_role_quota('dq_r17', '1MB');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
SELECT diskquota.set_role_quota('dq_r17', '512 kB');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
SELECT diskquota.set_role_quota('dq_r17', '10 GB');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
SELECT diskquota.set_role_quota('dq_r17', '2 TB');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
SELECT diskquota.set_role_quota('dq_r17', '1.5 MB');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
SELECT diskquota.set_role_quota('dq_r17', '1e3 kB');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
SELECT diskquota.set_role_quota('dq_r17', '2048');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
-- negative zero is zero: a quota of zero bytes, not a removal
SELECT diskquota.set_role_quota('dq_r17', '-0');
SELECT quota_in_bytes FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
-- any negative size removes the quota; removing a missing quota is no error
SELECT diskquota.set_role_quota('dq_r17', '-1 MB');
SELECT count(*) FROM diskquota.quota_config WHERE role_id = 'dq_r17'::regrole;
SELECT diskquota.set_role_quota('dq_r17', '-1');
SELECT quota_type, schema_id, role_id, quota_in_bytes FROM diskquota.quota_config
 WHERE schema_id IN ('s17'::regnamespace, '"S17 Mixed"'::regnamespace)
    OR role_id IN ('dq_r17'::regrole, '"Dq R17"'::regrole)
 ORDER BY quota_type COLLATE "C", quota_in_bytes;
-- quota_config rejects inconsistent rows
INSERT INTO diskquota.quota_config VALUES ('schema', NULL, 'dq_r17', 1);
INSERT INTO diskquota.quota_config VALUES ('tablespace', 's17', NULL, 1);
INSERT INTO diskquota.quota_config VALUES ('schema', 's17', NULL, -5);
\set VERBOSITY terse
INSERT INTO diskquota.quota_config VALUES ('schema', 's17', NULL, 5);
\set VERBOSITY default
SELECT diskquota.set_schema_quota('s17', '-1');
SELECT diskquota.set_schema_quota('"S17 Mixed"', '-1');
SELECT diskquota.set_role_quota('"Dq R17"', '-1');
CREATE TEMP TABLE tmp17(i int);
-- every function of 1.1 with every kind of bad argument: each call gives
-- 'ok' or an error with its SQLSTATE, never a crash
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, 'pg_temp_[0-9]+', 'pg_temp_N');
END $$;
SELECT sql, pg_temp.try(sql) AS result FROM (VALUES
  -- sizes: NULL, empty, blanks, exponents, fractions, -0, NaN, infinity, int8 limits
  ($q$SELECT diskquota.set_database_quota(NULL)$q$),
  ($q$SELECT diskquota.set_database_quota('')$q$),
  ($q$SELECT diskquota.set_database_quota('   ')$q$),
  ($q$SELECT diskquota.set_database_quota(' 2 GB ')$q$),
  ($q$SELECT diskquota.set_database_quota('1 mb')$q$),
  ($q$SELECT diskquota.set_database_quota('1,5 MB')$q$),
  ($q$SELECT diskquota.set_database_quota('1e3 MB')$q$),
  ($q$SELECT diskquota.set_database_quota('1.5e-3 GB')$q$),
  ($q$SELECT diskquota.set_database_quota('0.4')$q$),
  ($q$SELECT diskquota.set_database_quota('-0')$q$),
  ($q$SELECT diskquota.set_database_quota('-0.0 MB')$q$),
  ($q$SELECT diskquota.set_database_quota('NaN')$q$),
  ($q$SELECT diskquota.set_database_quota('Infinity')$q$),
  ($q$SELECT diskquota.set_database_quota('-Infinity')$q$),
  ($q$SELECT diskquota.set_database_quota('9223372036854775807')$q$),
  ($q$SELECT diskquota.set_database_quota('9223372036854775808')$q$),
  ($q$SELECT diskquota.set_database_quota('8796093022207 MB')$q$),
  ($q$SELECT diskquota.set_database_quota('8796093022208 MB')$q$),
  ($q$SELECT diskquota.set_database_quota('-9223372036854775808')$q$),
  ($q$SELECT diskquota.set_database_quota('-99999999999 PB')$q$),
  ($q$SELECT diskquota.set_database_quota(repeat('9', 10000))$q$),
  ($q$SELECT diskquota.set_database_quota('-1')$q$),
  -- names: NULL, empty, blanks, quoted with spaces, case, very long, qualified
  ($q$SELECT diskquota.set_schema_tablespace_quota(NULL, 'pg_default', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', 'pg_default', NULL)$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', '', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', ' ', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', '""', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', '"My Ts"', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', 'PG_DEFAULT', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', '"PG_DEFAULT"', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', repeat('t', 10000), '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('s17', 'pg_default.x', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('"S17 Mixed"', 'pg_default', '1e30 MB')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('"S17 Mixed"', 'pg_default', '-0')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('"S17 Mixed"', 'pg_default', '-1')$q$),
  ($q$SELECT diskquota.set_role_tablespace_quota(NULL, NULL, NULL)$q$),
  ($q$SELECT diskquota.set_role_tablespace_quota('"Dq R17"', 'pg_default', '1 MB')$q$),
  ($q$SELECT diskquota.set_role_tablespace_quota('"Dq R17"', 'pg_default', '-1')$q$),
  ($q$SELECT diskquota.set_role_tablespace_quota('Dq R17', 'pg_default', '1 MB')$q$),
  ($q$SELECT diskquota.set_role_tablespace_quota(repeat('r', 10000), 'pg_default', '1 MB')$q$),
  ($q$SELECT diskquota.set_role_quota('""', '1 MB')$q$),
  ($q$SELECT diskquota.set_role_quota(' dq_r17 ', '1 MB')$q$),
  ($q$SELECT diskquota.set_role_quota('dq_r17', '-1')$q$),
  ($q$SELECT diskquota.set_role_quota('public', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota(E'\t', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota('"s17', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota('pg_toast', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota('pg_toast', '-1')$q$),
  ($q$SELECT diskquota.set_schema_tablespace_quota('pg_toast', 'pg_default', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota(nspname, '1 MB') FROM pg_namespace WHERE oid = pg_my_temp_schema()$q$),
  ($q$SELECT diskquota.set_schema_quota(repeat('s', 63), '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota(repeat('s', 64), '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota('"' || repeat('S', 63) || '"', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota('"' || repeat('""', 63) || '"', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota('"' || repeat('""', 64) || '"', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota(' s17 ', '1 MB')$q$),
  ($q$SELECT diskquota.set_schema_quota(' s17 ', '-1')$q$),
  -- relation_size: NULL, no such OID, each kind of relation
  ($q$SELECT diskquota.relation_size(NULL)$q$),
  ($q$SELECT diskquota.relation_size(0)$q$),
  ($q$SELECT diskquota.relation_size(4294967295)$q$),
  ($q$SELECT diskquota.relation_size('pg_database')$q$),
  ($q$SELECT diskquota.relation_size('pg_class_oid_index')$q$),
  ($q$SELECT diskquota.relation_size('pg_tables')$q$),
  -- no arguments; pause and resume twice
  ($q$SELECT diskquota.pause()$q$),
  ($q$SELECT diskquota.pause()$q$),
  ($q$SELECT diskquota.resume()$q$),
  ($q$SELECT diskquota.resume()$q$),
  ($q$SELECT count(*) FROM diskquota.show_rejectmap()$q$),
  ($q$SELECT count(*) FROM diskquota.quota_usage_all()$q$),
  ($q$SELECT diskquota.show_worker_epoch()$q$)
) v(sql);
SELECT quota_type, schema_id, role_id, tablespace_name, quota_in_bytes
  FROM diskquota.quota_config ORDER BY 1, 5;
SELECT diskquota.set_schema_tablespace_quota('s17', 'pg_default', '-1');
SELECT diskquota.set_role_tablespace_quota('dq_r17', 'pg_default', '-1');
SELECT diskquota.set_database_quota('-1');
DROP SCHEMA s17, "S17 Mixed";
DROP ROLE dq_r17, "Dq R17";
