#!/usr/bin/env bash
# Where the OLTP overhead goes, from a system-wide CPU profile rather than
# from throughput: on a shared 2-core machine one pair of pgbench runs swings
# by up to +-20 %, far more than the 1 % to be shown, whereas a profile
# attributes every CPU sample to a process and a function.
#
# One OLTP cell of bench/run (single-row INSERTs into random tables of
# s0..s9, quotas on every schema and owner, never reached) runs on one
# cluster restarted without and with the library preloaded (twice each, in
# the order without, with, with, without, after one run that is not
# counted), each run after the same 2-second warm-up (and, with the
# library, two completed worker refreshes), under `perf record -a -g`.
# For each side it counts the samples of the server's processes (the
# postmaster and what it forks: other clusters on the machine are left
# out) and, among them:
#   - dq_so:   in the hooks: samples whose call chain reaches diskquota.so
#              before any chained call into the executor or ProcessUtility
#              (so what the hooks call in the server counts as theirs);
#   - bg:      in the diskquota launcher and worker (user and kernel time);
#   - notify:  in the kernel's fsnotify/inotify functions, in the other
#              server processes (what the inotify watches cost each write;
#              the side without the library shows the baseline);
# and prints them as shares of the server's samples.  The overhead the
# library adds to the server's CPU is
#   (dq_so + bg + notify_with - notify_without) / (100 - that)
# with each figure a share of its side's samples.  Costs that no
# function carries (caches the hooks cool) are not seen here; the callgrind
# count of bench/hook_instructions.sh and the throughput runs of bench/run
# cover those from other sides.
#
# Usage: bash bench/oltp_profile.sh [tables] [clients] [seconds]
#        (defaults 10000 10 20).
# Started as root, it installs what is missing (scripts/setup.sh), lets
# unprivileged users profile the whole system for the duration of the run
# (kernel.perf_event_paranoid = -1, kernel.kptr_restrict = 0; both restored
# afterwards) and runs the measurement as postgres.  Last line:
# "RESULT profile_tables=.. profile_clients=.. dq_so_pct=.. bg_pct=..
#  notify_pct=.. notify_base_pct=.. attributed_overhead_pct=.."
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

if [ "${1:-}" != --inner ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "oltp_profile.sh: run as root (perf must see every process)" >&2
        exit 1
    fi
    bash "$ROOT/scripts/setup.sh"
    command -v perf >/dev/null 2>&1 ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends linux-perf >/dev/null
    paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
    kptr=$(cat /proc/sys/kernel/kptr_restrict)
    trap 'echo "$paranoid" >/proc/sys/kernel/perf_event_paranoid || true
          echo "$kptr" >/proc/sys/kernel/kptr_restrict || true' EXIT
    echo -1 >/proc/sys/kernel/perf_event_paranoid
    echo 0 >/proc/sys/kernel/kptr_restrict
    "$ROOT/scripts/run-as-pg.sh" bash bench/oltp_profile.sh --inner "$@"
    exit
fi
shift

TABLES=${1:-10000}
CLIENTS=${2:-10}
SECS=${3:-20}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PGBIN
. "$ROOT/bench/lib.sh"

# the same cluster and workload as the OLTP part of bench/run
echo "creating $TABLES tables" >&2
oltp_cluster "$TABLES"
q -c 'VACUUM' -c 'CHECKPOINT' >/dev/null
insert_script "$TABLES" "$CL/insert.sql"

# the cell's pgbench, but for its duration and the database
PGBENCH=("$PGBIN/pgbench" -n -h "$CL" -p "$CL_PORT" -c "$CLIENTS"
         -j "$(( CLIENTS < 2 ? 1 : 2 ))" -f "$CL/insert.sql")

# Attribute the samples of one run (perf script with call chains, leaf
# first, and the task events): the server's processes are the postmaster
# and what it forks.  A sample of the launcher or a worker is "bg"; in
# another server process, the first frame from the leaf that is in
# diskquota.so makes it "dq" (the hooks and what they call; a chained call
# into the executor or ProcessUtility is not theirs), a kernel
# fsnotify/inotify frame makes it "notify".  Prints "server dq bg notify".
attribute() { # $1: perf data file, $2: postmaster pid, $3: " pid pid ... " of launcher and workers
    perf script -i "$1" --show-task-events -F comm,pid,ip,sym,dso 2>"$CL/perf-script.err" |
        awk -v pm="$2" -v bg="$3" '
        function flush() {
            if (pid != "" && (pid in server_pids)) {
                server++
                if (index(bg, " " pid " ")) dqbg++
                else if (what == "dq") so++
                else if (what == "notify") notify++
            }
            pid = ""; what = ""; done = 0
        }
        BEGIN { server_pids[pm] = 1 }
        /PERF_RECORD_FORK\(/ {
            flush()
            # ... PERF_RECORD_FORK(child:tid):(parent:ptid)
            split(substr($0, index($0, "PERF_RECORD_FORK(") + 17), f, /[^0-9]+/)
            if (f[3] in server_pids) server_pids[f[1]] = 1
            next
        }
        /PERF_RECORD_/ { flush(); next }
        /^$/ { flush(); next }
        !/^\t/ { flush(); pid = $NF; next }     # "comm pid": comm may have spaces
        done { next }
        {
            sym = $2; dso = $NF
            if (sym ~ /^standard_(Executor(Start|Run|Finish|End)|ProcessUtility)$/) done = 1
            else if (dso ~ /diskquota\.so/) { what = "dq"; done = 1 }
            else if (sym ~ /fsnotify|inotify/) { what = "notify"; done = 1 }
        }
        END { flush(); printf "%d %d %d %d\n", server, so, dqbg, notify }'
}

# run preload: restart with that preload, warm up, and run the cell under
# perf; prints "tps server dq bg notify"
run() {
    local preload=$1 pm bgpids out counts
    cluster_start "$preload"
    "${PGBENCH[@]}" -T 2 postgres >/dev/null 2>&1 || true
    if [ -n "$preload" ]; then
        q -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
        q -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
    fi
    wait_backends_gone
    pm=$(head -1 "$CL/data/postmaster.pid")
    bgpids=" $(for pid in $(pgrep -P "$pm"); do
        if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q diskquota; then echo "$pid"; fi
    done | tr '\n' ' ')"
    if ! out=$(perf record -a -g -q -o "$CL/perf.data" -- "${PGBENCH[@]}" -T "$SECS" postgres \
            2>"$CL/perf-record.err"); then
        echo "oltp_profile.sh: perf record or pgbench failed:" >&2
        cat "$CL/perf-record.err" >&2
        return 1
    fi
    if ! counts=$(attribute "$CL/perf.data" "$pm" "$bgpids") || [ "${counts%% *}" -eq 0 ]; then
        echo "oltp_profile.sh: no sample of the server's processes; perf script said:" >&2
        cat "$CL/perf-script.err" >&2
        return 1
    fi
    rm -f "$CL/perf.data"
    echo "$(awk '/^tps = / { print $3 }' <<<"$out") $counts"
}

# The first run after the tables are created is faster than all later ones
# (smaller tables, emptier buffers), so it is not counted; then the two
# sides in the order without, with, with, without, summed per side.
echo "profiling $TABLES tables x $CLIENTS clients, 2 x $SECS s per side" >&2
run '' >/dev/null
declare -A sum
for side in without with with without; do
    preload=; [ "$side" = with ] && preload=diskquota
    line=$(run "$preload")
    read -r tps server dq bg notify <<<"$line"
    echo "  $side: $tps tps, $server server samples: diskquota.so $dq, launcher and worker $bg, fsnotify $notify" >&2
    sum[$side.tps]=$(awk -v a="${sum[$side.tps]:-0}" -v b="$tps" 'BEGIN { print a + b / 2 }')
    for k in server dq bg notify; do
        sum[$side.$k]=$(( ${sum[$side.$k]:-0} + ${!k} ))
    done
done
tps0=${sum[without.tps]} server0=${sum[without.server]} notify0=${sum[without.notify]}
tps1=${sum[with.tps]} server1=${sum[with.server]} so1=${sum[with.dq]} bg1=${sum[with.bg]} notify1=${sum[with.notify]}
cluster_drop

awk -v t0="$tps0" -v s0="$server0" -v n0="$notify0" \
    -v t1="$tps1" -v s1="$server1" -v so="$so1" -v bg="$bg1" -v n1="$notify1" \
    -v tables="$TABLES" -v clients="$CLIENTS" 'BEGIN {
    pso = so / s1 * 100; pbg = bg / s1 * 100; pn = n1 / s1 * 100; pn0 = n0 / s0 * 100
    added = pso + pbg + pn - pn0
    over = added / (100 - added) * 100
    printf "without the library: %.0f tps (mean), %d server samples, fsnotify/inotify %.2f %%\n", t0, s0, pn0
    printf "with the library:    %.0f tps (mean), %d server samples\n", t1, s1
    printf "  hooks (diskquota.so and its callees): %4.2f %%\n", pso
    printf "  launcher and worker:                  %4.2f %%\n", pbg
    printf "  fsnotify/inotify (other processes):   %4.2f %% (%.2f %% without)\n", pn, pn0
    printf "attributed overhead: %.2f %% of the server CPU without it\n", over
    printf "RESULT profile_tables=%d profile_clients=%d dq_so_pct=%.2f bg_pct=%.2f notify_pct=%.2f notify_base_pct=%.2f attributed_overhead_pct=%.2f\n",
        tables, clients, pso, pbg, pn, pn0, over
}'
