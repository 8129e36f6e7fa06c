-- Prepared transactions: the relations they created stay counted from
-- PREPARE TRANSACTION to COMMIT or ROLLBACK PREPARED.
\set VERBOSITY terse
CREATE SCHEMA s33;
CREATE SCHEMA s33_ref;
CREATE TABLE s33_ref.ref AS SELECT generate_series(1, 80000) AS i;
CREATE TABLE s33_ref.ref3(i int);
INSERT INTO s33_ref.ref3 SELECT generate_series(1, 80000);
-- three transactions, each loading less than the quota set below
BEGIN;
CREATE TABLE s33.t1 AS SELECT generate_series(1, 80000) AS i;
PREPARE TRANSACTION 'dq_s33_1';
BEGIN;
CREATE TABLE s33.t2 AS SELECT generate_series(1, 80000) AS i;
PREPARE TRANSACTION 'dq_s33_2';
BEGIN;
CREATE TABLE s33.t3(i int);
INSERT INTO s33.t3 SELECT generate_series(1, 80000);
PREPARE TRANSACTION 'dq_s33_3';
SELECT diskquota.set_schema_quota('s33', (pg_total_relation_size('s33_ref.ref') + 100000)::text);
SELECT diskquota.wait_for_worker_new_epoch();
-- counted at the sum, so over the quota: a further load is refused
SELECT used_bytes = 2 * pg_total_relation_size('s33_ref.ref') +
                    pg_total_relation_size('s33_ref.ref3') AS sum, rejected
  FROM diskquota.quota_usage() WHERE target_oid = 's33'::regnamespace;
CREATE TABLE s33.t4(i int);
INSERT INTO s33.t4 VALUES (1);
-- after COMMIT PREPARED, the usage is what the catalog says
COMMIT PREPARED 'dq_s33_1';
COMMIT PREPARED 'dq_s33_2';
COMMIT PREPARED 'dq_s33_3';
SELECT diskquota.wait_for_worker_new_epoch();
SELECT used_bytes = (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                      WHERE c.relnamespace = 's33'::regnamespace AND c.relkind = 'r') AS exact,
       rejected
  FROM diskquota.quota_usage() WHERE target_oid = 's33'::regnamespace;
-- a prepared transaction rolled back: counted while prepared, then no more
SELECT diskquota.set_schema_quota('s33', '1 GB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
CREATE TABLE s33.t5 AS SELECT generate_series(1, 80000) AS i;
PREPARE TRANSACTION 'dq_s33_5';
SELECT diskquota.wait_for_worker_new_epoch();
SELECT used_bytes = (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                      WHERE c.relnamespace = 's33'::regnamespace AND c.relkind = 'r')
                    + pg_total_relation_size('s33_ref.ref') AS counted
  FROM diskquota.quota_usage() WHERE target_oid = 's33'::regnamespace;
ROLLBACK PREPARED 'dq_s33_5';
SELECT diskquota.wait_for_worker_new_epoch();
SELECT used_bytes = (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                      WHERE c.relnamespace = 's33'::regnamespace AND c.relkind = 'r') AS dropped
  FROM diskquota.quota_usage() WHERE target_oid = 's33'::regnamespace;
SELECT diskquota.set_schema_quota('s33', '-1');
\set VERBOSITY default
DROP SCHEMA s33, s33_ref CASCADE;
\set VERBOSITY terse
-- a move made in a prepared transaction: loads into the moved table are
-- charged to its new schema within a refresh after COMMIT PREPARED
CREATE SCHEMA s33m;
CREATE SCHEMA s33m_src;
CREATE TABLE s33m_src.p AS SELECT generate_series(1, 100000) AS i;
SELECT diskquota.set_schema_quota('s33m', '10 MB');
SELECT diskquota.wait_for_worker_new_epoch();
BEGIN;
ALTER TABLE s33m_src.p SET SCHEMA s33m;
PREPARE TRANSACTION 'dq_s33m';
SELECT diskquota.wait_for_worker_new_epoch();
COMMIT PREPARED 'dq_s33m';
SELECT diskquota.wait_for_worker_new_epoch();
SELECT used_bytes = pg_total_relation_size('s33m.p') AS moved
  FROM diskquota.quota_usage() WHERE target_oid = 's33m'::regnamespace;
SELECT diskquota.set_schema_quota('s33m', '1 MB');
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s33m.p VALUES (1);
SELECT diskquota.set_schema_quota('s33m', '-1');
DROP SCHEMA s33m, s33m_src CASCADE;
