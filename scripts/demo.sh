#!/usr/bin/env bash
# The demo: set up, then (as an unprivileged user) start a throwaway cluster
# with diskquota preloaded, set a 1 MB schema quota, fill the schema past it
# and show that the next INSERT is refused. The cluster is stopped and its
# directory removed on exit.
#
# (Internally it re-runs itself with --inner via run-as-pg.sh.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

if [ "${1:-}" != --inner ]; then
    bash "$ROOT/scripts/setup.sh" >/dev/null
    exec "$ROOT/scripts/run-as-pg.sh" bash scripts/demo.sh --inner
fi

# --- inner part: runs as the unprivileged user ---
PGBIN=/usr/lib/postgresql/15/bin
PORT=54329
dir=$(mktemp -d /tmp/diskquota-demo.XXXXXX)   # short path: it holds the socket
data="$dir/data"
logfile="$dir/server.log"

cleanup() {
    if [ -f "$data/postmaster.pid" ]; then
        "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # run the EXIT trap on Ctrl-C too

echo "== Creating a throwaway cluster in $data"
if ! "$PGBIN/initdb" -D "$data" -A trust >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log"
    exit 1
fi
cat >>"$data/postgresql.conf" <<CONF
shared_preload_libraries = 'diskquota'
diskquota.monitor_databases = 'postgres'
diskquota.naptime = 1
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PORT
CONF

echo "== Starting it with shared_preload_libraries = 'diskquota', diskquota.naptime = 1"
if ! "$PGBIN/pg_ctl" -D "$data" -l "$logfile" -w start >/dev/null; then
    echo "The server failed to start; its log:"
    cat "$logfile"
    exit 1
fi

echo "== Running the demo SQL (each statement is echoed, then its result)"
echo
# "|| true": the verdict is given by the check after it, with the server log.
"$PGBIN/psql" -X -v ON_ERROR_STOP=0 -e -h "$dir" -p "$PORT" -d postgres \
    2>&1 <<'SQL' | tee "$dir/demo.out" || true
\echo '-- Install the extension; give schema s1 a quota of 1 MB and role postgres 1 GB.'
CREATE EXTENSION diskquota;
CREATE SCHEMA s1;
SELECT diskquota.set_schema_quota('s1', '1 MB');
SELECT diskquota.set_role_quota('postgres', '1 GB');
\echo
\echo '-- Load up to 700 MB into s1. The load starts under quota; diskquota stops it'
\echo '-- while it runs, a fifth of a second or so after it crosses 1 MB (SQLSTATE 53100).'
CREATE TABLE s1.t(i int);
\set VERBOSITY verbose
\timing on
INSERT INTO s1.t SELECT generate_series(1, 20000000);
\timing off
\echo
\echo '-- Wait until the diskquota worker has refreshed the sizes and the reject list.'
SELECT diskquota.wait_for_worker_new_epoch();
\echo
\echo '-- s1 is over its quota (the stopped load left its data in the files until'
\echo '-- VACUUM): the next INSERT is refused before it starts.'
INSERT INTO s1.t SELECT generate_series(1, 10);
\set VERBOSITY default
\echo
\echo '-- Cleanup is never refused, and frees the space:'
VACUUM s1.t;
SELECT diskquota.wait_for_worker_new_epoch();
INSERT INTO s1.t SELECT generate_series(1, 10);
\echo
\echo '-- What diskquota knows:'
SELECT * FROM diskquota.show_schema_quota_view;
SELECT * FROM diskquota.show_role_quota_view;
SELECT * FROM diskquota.status();
SQL

echo
if grep -Eq "^ERROR: +53100: .*quota exceeded" "$dir/demo.out"; then
    echo "== Demo OK: the load into the over-quota schema was stopped and refused."
else
    echo "== Demo FAILED: the load into the over-quota schema was NOT refused."
    echo "== Server log:"
    cat "$logfile"
    exit 1
fi
