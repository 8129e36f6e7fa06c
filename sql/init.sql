-- Create the extension in the monitored test database; the launcher starts
-- its worker without a restart.
CREATE EXTENSION diskquota;
SELECT diskquota.wait_for_worker_new_epoch();
SELECT database_name, state, worker_pid IS NOT NULL AS has_pid, epoch > 0 AS refreshed,
       last_refresh IS NOT NULL AS has_last_refresh, last_refresh_ms >= 0 AS has_duration,
       full_rescans >= 1 AS rescanned, degraded, degraded_reason
  FROM diskquota.status() WHERE database_name = current_database();
-- the interface
SELECT proname, pronargs, proretset
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'diskquota' ORDER BY proname COLLATE "C";
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE n.nspname = 'diskquota' AND c.relkind IN ('r', 'v')
 ORDER BY c.relname COLLATE "C", a.attnum;
-- quota_config is dumped by pg_dump
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'diskquota';
