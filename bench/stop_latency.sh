#!/usr/bin/env bash
# How fast is a running load stopped once it crosses its quota, and how much
# does it write past the quota?  Each round loads into an empty table of a
# schema with a 1 MB quota (INSERT ... SELECT generate_series) until the
# load is stopped, then measures the statement's duration T and the size S
# of what it wrote.  The load writes at a steady rate S / T, so it crossed
# the quota at 1 MB / (S / T); the stop latency is T minus that, and the
# overshoot is S - 1 MB.  Default settings (diskquota.naptime = 2,
# diskquota.load_check_interval = 100 ms).  Prints every round, then the
# median and the 95th percentile (nearest rank).
#
# Usage: bench/stop_latency.sh [rounds]
# Run as a user that may run initdb (not root), with the extension installed.
set -euo pipefail

ROUNDS=${1:-10}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-54392}

dir=$(mktemp -d /tmp/diskquota-bench.XXXXXX)
trap '"$PGBIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

"$PGBIN/initdb" -D "$dir/data" -A trust >/dev/null
{
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$dir'"
    echo "port = $PORT"
    echo "shared_preload_libraries = 'diskquota'"
    echo "diskquota.monitor_databases = 'postgres'"
} >>"$dir/data/postgresql.conf"
"$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null
psql() { "$PGBIN/psql" -X -q -At -h "$dir" -p "$PORT" -d postgres "$@"; }
psql -c 'CREATE EXTENSION diskquota' -c 'CREATE SCHEMA bench' \
     -c "SELECT diskquota.set_schema_quota('bench', '1 MB')" >/dev/null

round_sql="
DROP TABLE IF EXISTS bench.t;
CREATE TABLE bench.t(i int);
SELECT diskquota.wait_for_worker_new_epoch() \\g /dev/null
SELECT clock_timestamp() AS t0 \\gset
INSERT INTO bench.t SELECT generate_series(1, 200000000);
SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1000, 1) || ' ' ||
       pg_total_relation_size('bench.t');
"

quota=$((1024 * 1024))
results=()
for r in $(seq "$ROUNDS"); do
    line=$(psql <<<"$round_sql" 2>/dev/null)
    read -r ms bytes <<<"$line"
    res=$(awk -v ms="$ms" -v b="$bytes" -v q="$quota" 'BEGIN {
        lat = ms - q / (b / ms); over = (b - q) / 1048576
        printf "%.1f %.1f %.1f %.1f", ms, b / 1048576, lat, over }')
    read -r ms mb lat over <<<"$res"
    echo "round $r: statement ${ms} ms, wrote ${mb} MB, stop latency ${lat} ms, overshoot ${over} MB"
    results+=("$lat $over")
done

stats() { # $1: column; prints median and p95
    printf '%s\n' "${results[@]}" | awk -v c="$1" '{ print $c }' | sort -g |
        awk '{ a[NR] = $1 } END {
            m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            i = int(NR * 0.95 + 0.999); if (i > NR) i = NR
            printf "median %.1f, p95 %.1f", m, a[i] }'
}
echo "stop latency (ms): $(stats 1)"
echo "overshoot (MB):    $(stats 2)"
