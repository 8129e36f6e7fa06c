#!/usr/bin/env bash
# Instructions the extension adds to one short OLTP statement, counted by
# valgrind's callgrind, so the figure does not depend on how busy the
# machine is.  A single-user backend runs N single-row INSERTs into a table
# of a schema with a quota, with and without the library preloaded; each
# side is run for two values of N, and the per-statement cost is the
# difference divided by the difference of N (start-up costs cancel out).
#
# Usage: bench/hook_instructions.sh [n_small] [n_large]
# Run as a user that may run initdb (not root), with the extension
# installed and valgrind available.
set -euo pipefail

N1=${1:-1000}
N2=${2:-5000}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

dir=$(mktemp -d /tmp/diskquota-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT

"$PGBIN/initdb" -D "$dir/data" -A trust >/dev/null
with=(-c shared_preload_libraries=diskquota -c diskquota.monitor_databases=postgres)
without=(-c shared_preload_libraries=)
single() { "$PGBIN/postgres" --single -D "$dir/data" -c synchronous_commit=off "$@" postgres; }

single "${with[@]}" >/dev/null 2>&1 <<'SQL'
CREATE SCHEMA bench; CREATE TABLE bench.t(id int, v text);
CREATE EXTENSION diskquota;
SELECT diskquota.set_schema_quota('bench', '10 GB');
SQL

inserts() { # $1: count
    for ((i = 0; i < $1; i++)); do echo "INSERT INTO bench.t VALUES (1, 'x');"; done
}
instructions() { # $1: count, rest: options; prints the instruction count
    local n=$1
    shift
    inserts "$n" >"$dir/in.sql"
    valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
        "$PGBIN/postgres" --single -D "$dir/data" -c synchronous_commit=off "$@" postgres \
        <"$dir/in.sql" >/dev/null 2>"$dir/vg.log"
    awk '/Collected :/ { print $NF }' "$dir/vg.log"
}

w1=$(instructions "$N1" "${with[@]}")
w2=$(instructions "$N2" "${with[@]}")
o1=$(instructions "$N1" "${without[@]}")
o2=$(instructions "$N2" "${without[@]}")
awk -v w1="$w1" -v w2="$w2" -v o1="$o1" -v o2="$o2" -v n1="$N1" -v n2="$N2" 'BEGIN {
    w = (w2 - w1) / (n2 - n1); o = (o2 - o1) / (n2 - n1)
    printf "instructions per INSERT without diskquota: %.0f\n", o
    printf "instructions per INSERT with diskquota:    %.0f\n", w
    printf "added by diskquota: %.0f (%.1f %%)\n", w - o, (w - o) / o * 100
}'
