-- CREATE EXTENSION in a database that is not monitored warns: quotas would
-- silently not be enforced otherwise.
CREATE DATABASE dq_unmonitored;
\c dq_unmonitored
CREATE EXTENSION diskquota;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT count(*) FROM diskquota.status() WHERE database_name = 'dq_unmonitored';
\c contrib_regression
DROP DATABASE dq_unmonitored;
