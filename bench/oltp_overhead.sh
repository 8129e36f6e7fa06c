#!/usr/bin/env bash
# OLTP overhead of diskquota when no quota is exceeded: pgbench inserts of
# single rows into tables of a schema and a role that have quotas, run
# alternately on the same cluster restarted without and with the library
# (A/B/A/B...), in one run.  Prints the median TPS of each side and the
# ratio.  Timing figures depend on the machine: rerun to compare.
#
# Usage: bench/oltp_overhead.sh [rounds] [seconds per run] [clients]
# Run as a user that may run initdb (not root), with the extension installed.
set -euo pipefail

ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-20}
CLIENTS=${3:-4}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-54391}

dir=$(mktemp -d /tmp/diskquota-bench.XXXXXX)
trap '"$PGBIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

"$PGBIN/initdb" -D "$dir/data" -A trust >/dev/null
cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PORT
diskquota.monitor_databases = 'postgres'
diskquota.naptime = 2
synchronous_commit = off
EOF

start() { # $1: value of shared_preload_libraries
    echo "shared_preload_libraries = '$1'" >"$dir/data/preload.conf"
    "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w restart >/dev/null 2>&1 ||
        "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null
}
echo "include 'preload.conf'" >>"$dir/data/postgresql.conf"
psql() { "$PGBIN/psql" -X -q -h "$dir" -p "$PORT" -d postgres "$@"; }

start diskquota
psql <<'SQL'
CREATE EXTENSION diskquota;
CREATE ROLE bench_owner;
CREATE SCHEMA bench;
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    EXECUTE format('CREATE TABLE bench.t%s(id int, v text)', i);
    EXECUTE format('ALTER TABLE bench.t%s OWNER TO bench_owner', i);
  END LOOP;
END $$;
SELECT diskquota.set_schema_quota('bench', '100 GB');
SELECT diskquota.set_role_quota('bench_owner', '100 GB');
SQL

cat >"$dir/insert.sql" <<'EOF'
\set t random(1, 100)
INSERT INTO bench.t:t VALUES (1, 'x');
EOF

run() { # prints TPS
    "$PGBIN/pgbench" -n -h "$dir" -p "$PORT" -c "$CLIENTS" -j "$CLIENTS" \
        -T "$SECONDS_PER_RUN" -f "$dir/insert.sql" postgres 2>/dev/null |
        awk '/^tps = / { print $3 }'
}

without=()
with=()
for r in $(seq "$ROUNDS"); do
    start ''
    without+=("$(run)")
    start diskquota
    with+=("$(run)")
    echo "round $r: without ${without[-1]} tps, with ${with[-1]} tps"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m_without=$(median "${without[@]}")
m_with=$(median "${with[@]}")
awk -v a="$m_without" -v b="$m_with" -v c="$CLIENTS" -v s="$SECONDS_PER_RUN" 'BEGIN {
    printf "median tps without diskquota: %.0f, with: %.0f (%d clients, %d s runs)\n", a, b, c, s
    printf "with/without ratio: %.3f (overhead %.1f %%)\n", b / a, (1 - b / a) * 100
}'
