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
DROP SCHEMA s17, "S17 Mixed";
DROP ROLE dq_r17, "Dq R17";
