#!/usr/bin/env bash
# Opt-in: regression tests against a server run under valgrind (memcheck),
# which follows every forked process: backends, the launcher and the
# workers.  Not part of the test command (several minutes).
#
#   bash scripts/valgrind.sh [test ...]    (default: the tests listed below)
#
# The server is Debian's, not built for valgrind: memory handed out by
# palloc() is checked per block of a memory context, not per chunk.
# PostgreSQL itself reports a few known errors under valgrind (it writes
# padding bytes to files); only reports with a frame in diskquota.so count.
# Exits non-zero if there is one, or if a test fails.
#
# (AddressSanitizer is not used: preloading libasan into Debian's postgres
# deadlocks in bindtextdomain() before main() gets going.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGBIN=/usr/lib/postgresql/15/bin
TESTS_DEFAULT="init schema_quota role_quota tablespace_quota database_quota operations
    partition running_load uncommitted failed_statement privileges bad_input drop_extension"

if [ "${1:-}" != --inner ]; then
    if ! command -v valgrind >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "valgrind.sh: valgrind is not installed" >&2
            exit 1
        fi
        apt-get install -y --no-install-recommends valgrind
    fi
    bash "$ROOT/scripts/setup.sh"
    exec "$ROOT/scripts/run-as-pg.sh" bash scripts/valgrind.sh --inner "$@"
fi
shift
tests=${*:-$TESTS_DEFAULT}

dir=$(mktemp -d /tmp/diskquota-valgrind.XXXXXX)
data="$dir/data"
port=54329
"$PGBIN/initdb" -D "$data" -A trust --no-sync >/dev/null
cat "$ROOT/diskquota_test.conf" >> "$data/postgresql.conf"
cat >> "$data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
CONF

# PGHOST and PGPORT: dblink connections made by the tests reach this server
PGHOST="$dir" PGPORT=$port valgrind --quiet --trace-children=yes --num-callers=40 --error-limit=no \
    --log-file="$dir/valgrind.%p.log" \
    "$PGBIN/postgres" -D "$data" > "$dir/server.log" 2>&1 &
vg_pid=$!
stop_server() {
    "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 300 stop >/dev/null 2>&1 || kill "$vg_pid" 2>/dev/null || true
    wait "$vg_pid" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 1 300); do
    "$PGBIN/pg_isready" -q -h "$dir" -p "$port" && break
    sleep 1
done

set +e
# shellcheck disable=SC2086
/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress \
    --inputdir="$ROOT" --outputdir="$dir/out" --bindir="$PGBIN" \
    --host="$dir" --port="$port" --dbname=contrib_regression $tests
rc=$?
set -e
stop_server
trap - EXIT

# A report is diskquota's when one of its first four frames is in
# diskquota's code (the library has line information, the server does
# not); PostgreSQL's own reports may pass through diskquota's hooks further
# down the stack.
ours='\((activetable|backendslot|diskquota|diskquota_utility|enforcement|filefeed|quotamodel)\.c:[0-9]+\)'
found=0
total=0
for f in "$dir"/valgrind.*.log; do
    out=$(awk -v re="$ours" '
        /^==[0-9]+== [A-Z]/ { if (n) flush(); head = $0; body = $0 "\n"; frames = 0; mine = 0; n = 1; next }
        n && /^==[0-9]+==    (at|by) / { frames++; if (frames <= 4 && $0 ~ re) mine = 1; body = body $0 "\n"; next }
        n && /^==[0-9]+== *$/ { flush(); next }
        n { body = body $0 "\n" }
        function flush() { total++; if (mine) printf "%s", body; n = 0 }
        END { if (n) flush(); printf "TOTAL %d\n", total }' "$f")
    total=$((total + $(tail -1 <<<"$out" | awk '{ print $2 }')))
    if [ -n "$(sed '$d' <<<"$out")" ]; then
        echo "===== $f"
        sed '$d' <<<"$out"
        found=1
    fi
done
echo "valgrind.sh: $(ls "$dir"/valgrind.*.log | wc -l) processes traced, $total reports in all (logs in $dir)"
if [ -f "$dir/out/regression.diffs" ]; then
    cat "$dir/out/regression.diffs"
fi
if [ "$found" -ne 0 ]; then
    echo "valgrind.sh: valgrind reported errors in diskquota"
    exit 1
fi
echo "valgrind.sh: no valgrind error in diskquota"
exit "$rc"
