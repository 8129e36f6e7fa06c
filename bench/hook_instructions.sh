#!/usr/bin/env bash
# Instructions the extension adds to one short OLTP statement, counted by
# valgrind's callgrind, so the figure does not depend on how busy the
# machine is.  A server runs under callgrind (every process it forks is
# traced); one session runs N single-row INSERTs into a table of a schema
# with a quota, and the instructions of that session's backend are counted.
# With the library, it is preloaded with default settings, the database is
# monitored and the worker has refreshed, as in production.  Each side is run
# for two values of N, and the per-statement cost is the difference divided
# by the difference of N: connection start-up and exit cancel out.
#
# Usage: bench/hook_instructions.sh [n_small] [n_large] [tables]
# With tables > 1 (e.g. 10000), the INSERTs go to that many tables, in the
# same pseudo-random order on both sides, so that the backend also opens
# relations it has not seen yet, as in the OLTP benchmark's large cells.
# Prints the instructions per INSERT without and with diskquota, the
# difference, and a last line "RESULT hook_instructions=<n> hook_pct=<p>".
# STATEMENT=update measures a single-row UPDATE of a one-row table instead
# (the short UPDATEs of TPC-B-like loads, which are not bounded INSERTs);
# SELF_CHARGE=on|off sets diskquota.self_charge on the side with the
# library (default: the library's default).
# Run as a user that may run initdb (not root), with the extension
# installed and valgrind available.
set -euo pipefail

N1=${1:-1000}
N2=${2:-3000}
TABLES=${3:-1}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-54393}
STATEMENT=${STATEMENT:-insert}
SELF_CHARGE=${SELF_CHARGE:-}
case "$STATEMENT" in insert|update) ;; *) echo "STATEMENT must be insert or update" >&2; exit 2 ;; esac

dir=$(mktemp -d /tmp/diskquota-bench.XXXXXX)
server_pid=
stop() {
    "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    # the processes write their profiles as they exit
    if [ -n "$server_pid" ]; then wait "$server_pid" 2>/dev/null || true; fi
    server_pid=
}
trap 'stop; rm -rf "$dir"' EXIT

"$PGBIN/initdb" -D "$dir/data" -A trust >/dev/null
cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PORT
synchronous_commit = off
autovacuum = off
diskquota.monitor_databases = 'postgres'
include 'preload.conf'
EOF
[ -n "$SELF_CHARGE" ] && echo "diskquota.self_charge = $SELF_CHARGE" >>"$dir/data/postgresql.conf"
psql() { "$PGBIN/psql" -X -q -h "$dir" -p "$PORT" -d postgres "$@"; }

# $1: value of shared_preload_libraries; rest: the server command prefix
start() {
    local preload=$1
    shift
    echo "shared_preload_libraries = '$preload'" >"$dir/data/preload.conf"
    rm -f "$dir"/cg.*
    "$@" "$PGBIN/postgres" -D "$dir/data" >"$dir/log" 2>&1 &
    server_pid=$!
    for _ in $(seq 600); do
        psql -c 'SELECT 1' >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "hook_instructions: the server did not start; its log:" >&2
    cat "$dir/log" >&2
    return 1
}

start diskquota
psql -v ON_ERROR_STOP=1 -v tables="$TABLES" <<'SQL'
CREATE SCHEMA bench;
CREATE TABLE bench.t(id int, v text);
INSERT INTO bench.t VALUES (1, 'x');
SELECT set_config('bench.tables', :'tables', false);
DO $$
BEGIN
  FOR i IN 0..current_setting('bench.tables')::int - 1 LOOP
    EXIT WHEN current_setting('bench.tables')::int <= 1;
    EXECUTE format('CREATE TABLE bench.t%s(id int, v text)', i);
    IF i % 500 = 499 THEN COMMIT; END IF;
  END LOOP;
END $$;
CREATE EXTENSION diskquota;
SELECT diskquota.set_schema_quota('bench', '10 GB');
VACUUM;
CHECKPOINT;
SQL
stop
# each side starts from this state: the tables as created (and the catalogs
# vacuumed, so that neither side prunes what creating them left behind), not
# as the other side's INSERTs left them
cp -a "$dir/data" "$dir/data.clean"

callgrind=(valgrind --tool=callgrind --trace-children=yes
           --callgrind-out-file="$dir/cg.%p")

# $1: count; prints the instructions of the backend that ran them
instructions() {
    local n=$1 pid
    {
        echo "SELECT pg_backend_pid();"
        RANDOM=42
        for ((i = 0; i < n; i++)); do
            if [ "$STATEMENT" = update ]; then
                echo "UPDATE bench.t SET v = 'y' WHERE id = 1;"
            elif [ "$TABLES" -gt 1 ]; then
                echo "INSERT INTO bench.t$(( (RANDOM * 32768 + RANDOM) % TABLES )) VALUES (1, 'x');"
            else
                echo "INSERT INTO bench.t VALUES (1, 'x');"
            fi
        done
    } >"$dir/in.sql"
    pid=$(psql -At -f "$dir/in.sql" | head -1)
    # the backend writes its profile when it exits
    for _ in $(seq 600); do
        [ -s "$dir/cg.$pid" ] && grep -q '^totals:' "$dir/cg.$pid" && break
        sleep 0.5
    done
    awk '/^totals:/ { print $2 }' "$dir/cg.$pid"
}

# $1: preload; prints "<n1 count> <n2 count>"
side() {
    rm -rf "$dir/data"
    cp -a "$dir/data.clean" "$dir/data"
    start "$1" "${callgrind[@]}"
    if [ -n "$1" ]; then
        psql -At -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
        psql -At -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
    fi
    local counts
    counts="$(instructions "$N1") $(instructions "$N2")"
    # stopped before the line is printed: the caller reads it from a pipe
    # and starts the other side as soon as it has it
    stop
    echo "$counts"
}

read -r w1 w2 < <(side diskquota)
read -r o1 o2 < <(side '')
awk -v w1="$w1" -v w2="$w2" -v o1="$o1" -v o2="$o2" -v n1="$N1" -v n2="$N2" 'BEGIN {
    w = (w2 - w1) / (n2 - n1); o = (o2 - o1) / (n2 - n1)
    printf "instructions per statement without diskquota: %.0f\n", o
    printf "instructions per statement with diskquota:    %.0f\n", w
    printf "added by diskquota: %.0f (%.2f %%)\n", w - o, (w - o) / o * 100
    printf "RESULT hook_instructions=%.0f hook_pct=%.2f\n", w - o, (w - o) / o * 100
}'
