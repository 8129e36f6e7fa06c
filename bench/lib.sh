# Parts of bench/run, sourced by it.  Each bench_<part> function creates its
# own throwaway cluster, prints progress to stderr and its figures as
# "key=value" lines to stdout.  Requires PGBIN and ROOT.

BENCH_CLUSTERS=()

bench_cleanup() {
    local d
    for d in "${BENCH_CLUSTERS[@]}"; do
        "$PGBIN/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1 || true
        if [ -d "$d/data_b" ]; then
            "$PGBIN/pg_ctl" -D "$d/data_b" -m fast -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$d"
    done
    BENCH_CLUSTERS=()
}
trap bench_cleanup EXIT

# cluster_new: initdb a cluster into a new directory; sets CL (its directory)
# and CL_PORT.  Settings on stdin are appended to postgresql.conf.
cluster_new() {
    CL=$(mktemp -d /tmp/diskquota-bench.XXXXXX)
    CL_PORT=$((55000 + RANDOM % 5000))
    BENCH_CLUSTERS+=("$CL")
    "$PGBIN/initdb" -D "$CL/data" -A trust >/dev/null
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$CL'"
        echo "port = $CL_PORT"
        cat
        echo "include 'preload.conf'"
    } >>"$CL/data/postgresql.conf"
    echo "shared_preload_libraries = 'diskquota'" >"$CL/data/preload.conf"
}

# cluster_start [preload]: (re)start the current cluster with
# shared_preload_libraries set to preload (default diskquota).
cluster_start() {
    echo "shared_preload_libraries = '${1-diskquota}'" >"$CL/data/preload.conf"
    "$PGBIN/pg_ctl" -D "$CL/data" -m fast -w stop >/dev/null 2>&1 || true
    "$PGBIN/pg_ctl" -D "$CL/data" -l "$CL/log" -w -t 600 start >/dev/null
}

cluster_drop() {
    "$PGBIN/pg_ctl" -D "$CL/data" -m fast -w stop >/dev/null 2>&1 || true
    if [ -d "$CL/data_b" ]; then
        "$PGBIN/pg_ctl" -D "$CL/data_b" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$CL"
    local keep=() d
    for d in "${BENCH_CLUSTERS[@]}"; do [ "$d" = "$CL" ] || keep+=("$d"); done
    BENCH_CLUSTERS=("${keep[@]}")
}

q() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$CL" -p "$CL_PORT" -d postgres "$@"; }
# the same, going on after an error
q_on() { "$PGBIN/psql" -X -q -At -h "$CL" -p "$CL_PORT" -d postgres "$@"; }

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m }'; }
p95() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    i = int(NR * 0.95 + 0.999); if (i > NR) i = NR; printf "%.1f\n", a[i] }'; }

# create_tables N: N tables t0..t<N-1> (id int, v text: a heap, a TOAST
# table and its index each) spread over schemas s0..s9 owned by roles
# r0..r9 (table t<i> is in s<i % 10>, owned by r<i % 10>), created by two
# sessions at a time in transactions of 500 tables.
create_tables() {
    local n=$1 k
    q <<'SQL'
DO $$
BEGIN
  FOR k IN 0..9 LOOP
    EXECUTE format('CREATE ROLE r%s', k);
    EXECUTE format('CREATE SCHEMA s%s AUTHORIZATION r%s', k, k);
  END LOOP;
END $$;
SQL
    for k in $(seq 0 9); do
        {
            echo "SET ROLE r$k;"
            awk -v n="$n" -v k="$k" 'BEGIN {
                per = int((n - k + 9) / 10)
                for (lo = 0; lo < per; lo += 500) {
                    hi = lo + 499; if (hi > per - 1) hi = per - 1
                    printf "DO $$ BEGIN FOR j IN %d..%d LOOP EXECUTE format(%s, %d, j * 10 + %d); END LOOP; END $$;\n",
                        lo, hi, "'\''CREATE TABLE s%s.t%s (id int, v text)'\''", k, k
                }
            }'
        } >"$CL/create_$k.sql"
    done
    for k in $(seq 0 2 9); do
        q -f "$CL/create_$k.sql" &
        q -f "$CL/create_$((k + 1)).sql" &
        wait
    done
}

# set_quotas: generous quotas (never reached) on s0..s9 and r0..r9
set_quotas() {
    q >/dev/null <<'SQL'
SELECT diskquota.set_schema_quota('s' || k, '1 TB') FROM generate_series(0, 9) k;
SELECT diskquota.set_role_quota('r' || k, '1 TB') FROM generate_series(0, 9) k;
SQL
}

# ---------------------------------------------------------------------------
# Shared memory the extension takes at its default settings: everything the
# server allocates (named and anonymous allocations; the extension's hash
# tables allocate their entries anonymously) with the library preloaded,
# minus the same without it.
bench_shmem() {
    local with without sql="SELECT sum(allocated_size) FROM pg_shmem_allocations WHERE name IS NOT NULL"
    cluster_new </dev/null
    cluster_start diskquota
    with=$(q -c "$sql")
    echo "  named allocations: $(q -c "SELECT string_agg(name || ' ' || allocated_size, ', ' ORDER BY name) FROM pg_shmem_allocations WHERE name LIKE 'diskquota%'")" >&2
    cluster_start ''
    without=$(q -c "$sql")
    echo "  allocated: $with bytes with the library, $without bytes without" >&2
    awk -v a="$with" -v b="$without" 'BEGIN { printf "shmem_mb=%.1f\n", (a - b) / 1048576 }'
    cluster_drop
}

# ---------------------------------------------------------------------------
# With N tables: cold start, idle refresh, refresh after writes to A tables,
# and the poller a DBA would otherwise run.
bench_scale() {
    local n=$1 active=$2 rounds=$3 t0 r ms e
    cluster_new <<'EOF'
autovacuum = off
max_locks_per_transaction = 1024
diskquota.monitor_databases = 'postgres'
EOF
    cluster_start
    t0=$(date +%s)
    create_tables "$n"
    q -c 'CREATE EXTENSION diskquota' >/dev/null
    set_quotas
    q -c 'CHECKPOINT' >/dev/null
    echo "  created $n tables ($(q -c "SELECT count(*) FROM pg_class") relations in pg_class) in $(( $(date +%s) - t0 )) s" >&2

    # cold start: restart, then from the worker's backend_start to the end of
    # its first refresh (a full rescan of the database)
    local cold=()
    for r in 1 2 3; do
        cluster_start
        ms=""
        for _ in $(seq 3000); do
            ms=$(q -c "SELECT CASE WHEN s.epoch = 1 THEN round(extract(epoch FROM s.last_refresh - a.backend_start) * 1000, 1)
                                   WHEN s.epoch > 1 THEN -1 END
                         FROM diskquota.status() s JOIN pg_stat_activity a ON a.pid = s.worker_pid
                        WHERE s.database_name = 'postgres'")
            [ -n "$ms" ] && break
            sleep 0.02
        done
        if [ -n "$ms" ] && [ "$ms" != -1 ]; then
            cold+=("$ms")
            echo "  cold start $r: $ms ms (first refresh $(q -c "SELECT round(last_refresh_ms::numeric, 1) FROM diskquota.status() WHERE database_name = 'postgres'") ms)" >&2
        fi
    done
    echo "coldstart_ms=$(median "${cold[@]}")"

    # idle refreshes: nothing changes
    local idle=()
    for r in $(seq 7); do
        q -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
        idle+=("$(q -c "SELECT round(last_refresh_ms::numeric, 3) FROM diskquota.status() WHERE database_name = 'postgres'")")
    done
    echo "  idle refreshes (ms): ${idle[*]}" >&2
    echo "refresh_idle_ms=$(median "${idle[@]}")"

    # A tables written since the last refresh.  So that exactly one refresh
    # sees all of them, the worker is held in a refresh (before it reads
    # quota_config, after it took what was active) while a session inserts a
    # row into each of A empty tables, so that they all grow; then the
    # worker is released, and the refresh after the held one is measured.
    local act=()
    for r in $(seq "$rounds"); do
        local lo=$(( (r - 1) * active )) holder epoch
        q -c "SET application_name = 'bench_holder'" \
          -c 'BEGIN' -c 'LOCK diskquota.quota_config IN ACCESS EXCLUSIVE MODE' \
          -c 'SELECT pg_sleep(3600)' >/dev/null 2>&1 &
        holder=$!
        for _ in $(seq 1000); do
            [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'diskquota.quota_config'::regclass AND NOT granted")" -gt 0 ] && break
            sleep 0.02
        done
        epoch=$(q -c "SELECT epoch FROM diskquota.status() WHERE database_name = 'postgres'")
        q -c "DO \$\$ BEGIN FOR i IN $lo..$((lo + active - 1)) LOOP
                EXECUTE format('INSERT INTO s%s.t%s VALUES (1, ''x'')', i % 10, i);
              END LOOP; END \$\$" >/dev/null
        q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench_holder'" >/dev/null
        wait "$holder" || true
        ms=""
        for _ in $(seq 5000); do
            ms=$(q -c "SELECT CASE WHEN epoch = $epoch + 2 THEN round(last_refresh_ms::numeric, 3)
                                   WHEN epoch > $epoch + 2 THEN -1 END
                         FROM diskquota.status() WHERE database_name = 'postgres'")
            [ -n "$ms" ] && break
            sleep 0.01
        done
        if [ -n "$ms" ] && [ "$ms" != -1 ]; then
            act+=("$ms")
            echo "  refresh after writes to $active tables, round $r: $ms ms" >&2
        else
            echo "  round $r: the refresh was missed" >&2
        fi
    done
    echo "refresh_active_ms=$(median "${act[@]}")"

    # what a DBA would run instead: every table's size, by schema
    local poll=()
    for r in 1 2 3; do
        ms=$(q -c '\timing on' -c "SELECT n.nspname, sum(pg_total_relation_size(c.oid))
                                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                    WHERE c.relkind IN ('r', 'm', 'p') GROUP BY n.nspname" |
             awk '/^Time: / { print $2 }')
        poll+=("$ms")
    done
    echo "  poller (ms): ${poll[*]}" >&2
    echo "poller_ms=$(median "${poll[@]}")"
    cluster_drop
}

# ---------------------------------------------------------------------------
# Stop latency and overshoot: a load into an empty table of a schema with a
# 1 MB quota (INSERT ... SELECT generate_series) runs until it is stopped,
# after T; it wrote S, and its overshoot is S - 1 MB.  Just before, the same
# session timed the same load into a table of a schema without a quota up
# to the row that starts the 129th page (past 1 MB), three times: the
# median, C, is when the load crossed the quota.  The latency is T - C.
# JIT is off: the load's estimated cost (200M rows) would have it compiled
# before its first row (about 45 ms here), which the bounded loads timed
# for C are not, and which is no part of stopping it.  Until 2026-12-05 JIT
# was on and the latency was T - 1 MB / (S / T), which assumes a steady
# rate from the first row: a load stopped only a few pages past the quota
# then showed nearly no latency whatever its compilation took, a load
# stopped far past it most of that time.  Both ways are printed.
# Each round runs the load twice, in alternating order: in a session with
# diskquota.self_charge off (only the worker stops it; the keys
# stop_latency_ms, stop_latency_median_ms and overshoot_mb, which measured
# this path before the setting existed) and in one with it on (the
# statement charges its own growth; the same keys with _self).
bench_stop() {
    local rounds=$1 r line ms bytes mode l o c cbytes steady
    local lat_off=() over_off=() lat_on=() over_on=()
    cluster_new <<'EOF'
diskquota.monitor_databases = 'postgres'
EOF
    cluster_start
    q -c 'CREATE EXTENSION diskquota' -c 'CREATE SCHEMA bench' \
      -c "SELECT diskquota.set_schema_quota('bench', '1 MB')" >/dev/null
    for r in $(seq "$rounds"); do
        for mode in $(alternate "$r"); do
            line=$(q_on 2>/dev/null <<SQL || true
SET diskquota.self_charge = $mode;
SET client_min_messages = warning;
SET jit = off;
DROP TABLE IF EXISTS bench.t;
CREATE TABLE bench.t(i int);
DROP TABLE IF EXISTS public.cal1, public.cal2, public.cal3;
CREATE TABLE public.cal1(i int);
CREATE TABLE public.cal2(i int);
CREATE TABLE public.cal3(i int);
SELECT diskquota.wait_for_worker_new_epoch() \g /dev/null
SELECT clock_timestamp() AS c0 \gset
INSERT INTO public.cal1 SELECT generate_series(1, 128 * 226 + 1);
SELECT clock_timestamp() AS c1 \gset
INSERT INTO public.cal2 SELECT generate_series(1, 128 * 226 + 1);
SELECT clock_timestamp() AS c2 \gset
INSERT INTO public.cal3 SELECT generate_series(1, 128 * 226 + 1);
SELECT round(percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d) * 1000), 1) AS c
  FROM (VALUES (:'c1'::timestamptz - :'c0'), (:'c2'::timestamptz - :'c1'), (clock_timestamp() - :'c2')) v(d) \gset
SELECT diskquota.wait_for_worker_new_epoch() \g /dev/null
SELECT clock_timestamp() AS t0 \gset
INSERT INTO bench.t SELECT generate_series(1, 200000000);
SELECT round(extract(epoch FROM clock_timestamp() - :'t0') * 1000, 1) || ' ' || pg_total_relation_size('bench.t') || ' ' || :c || ' ' || pg_relation_size('public.cal1');
SQL
)
            read -r ms bytes c cbytes <<<"$line"
            read -r l o steady < <(awk -v ms="$ms" -v b="$bytes" -v c="$c" -v q=1048576 'BEGIN {
                printf "%.1f %.2f %.1f\n", ms - c, (b - q) / 1048576, ms - q / (b / ms) }')
            echo "  round $r, self_charge $mode: statement $ms ms, wrote $bytes bytes; 1 MB ($cbytes bytes) in $c ms" \
                 "without a quota; stop latency $l ms (at a steady rate: $steady ms), overshoot $o MB" >&2
            if [ "$mode" = off ]; then
                lat_off+=("$l")
                over_off+=("$o")
            else
                lat_on+=("$l")
                over_on+=("$o")
            fi
        done
    done
    echo "stop_latency_median_ms=$(median "${lat_off[@]}")"
    echo "stop_latency_ms=$(p95 "${lat_off[@]}")"
    echo "overshoot_mb=$(p95 "${over_off[@]}")"
    echo "stop_latency_self_median_ms=$(median "${lat_on[@]}")"
    echo "stop_latency_self_ms=$(p95 "${lat_on[@]}")"
    echo "overshoot_self_mb=$(p95 "${over_on[@]}")"
    cluster_drop
}

# alternate round: "off on" in odd rounds, "on off" in even ones
alternate() { if [ $(($1 % 2)) -eq 1 ]; then echo off on; else echo on off; fi; }

# ---------------------------------------------------------------------------
# Overshoot by the shape of the load, and concurrent loads into one target,
# each with diskquota.self_charge off and on (alternating which goes first).
# One cluster; schema bench has a quota of SHAPE_QUOTA_MB, and so has role
# bench_r (for the temporary table).  Each load would write about 1 GB if
# nothing stopped it (statement_timeout 60 s as a guard).  Its overshoot is
# the target's usage when it ended minus the quota: the usage diskquota
# showed before the load (after a refresh) plus what the load wrote.  A
# negative overshoot is a quota error before the usage reached the quota
# (counted as "early").
SHAPE_QUOTA_MB=4
SHAPES="narrow wide toast copy ctas indexed temp"

# shape_sql shape: the SQL of one load, from the table's creation to a last
# line "<sqlstate> <ms> <usage before> <bytes written>" (sqlstate 53100:
# stopped by the quota error; 00000: ran to its end); generate_series()
# is called in a select list, where it streams its rows (in FROM it would
# store them all before the first)
shape_sql() {
    local setup load written="pg_total_relation_size('bench.t')"
    local view="SELECT nspsize_in_bytes FROM diskquota.show_schema_quota_view WHERE schema_name = 'bench'"
    case $1 in
    narrow)
        setup="CREATE TABLE bench.t(i int);"
        load="INSERT INTO bench.t SELECT generate_series(1, 30000000);" ;;
    wide)   # 1.9 kB values stored inline, uncompressed: 4 rows a page
        setup="CREATE TABLE bench.t(i int, v text); ALTER TABLE bench.t ALTER v SET STORAGE EXTERNAL;"
        load="INSERT INTO bench.t SELECT i, repeat('x', 1900) FROM (SELECT generate_series(1, 500000) i) s;" ;;
    toast)  # 8 kB values moved uncompressed to the TOAST table (5 chunks each)
        setup="CREATE TABLE bench.t(i int, v text); ALTER TABLE bench.t ALTER v SET STORAGE EXTERNAL;"
        load="INSERT INTO bench.t SELECT i, repeat('x', 8000) FROM (SELECT generate_series(1, 100000) i) s;" ;;
    copy)
        setup="CREATE TABLE bench.t(i int);"
        load="COPY bench.t FROM PROGRAM 'seq 1 30000000';" ;;
    ctas)   # the table is gone after the failure: what it wrote is the rows
            # it got (from a sequence, which no rollback undoes) times the
            # bytes per row of the same table created in full (CTAS_ROW_BYTES)
        setup="DROP SEQUENCE IF EXISTS public.cs; CREATE SEQUENCE public.cs;"
        load="CREATE TABLE bench.t AS SELECT nextval('public.cs') AS i FROM (SELECT generate_series(1, 30000000)) s;"
        written="(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.cs) * $CTAS_ROW_BYTES" ;;
    indexed)
        setup="CREATE TABLE bench.t(i int PRIMARY KEY);"
        load="INSERT INTO bench.t SELECT generate_series(1, 30000000);" ;;
    temp)   # a temporary table of role bench_r: charged to the role
        view="SELECT rolsize_in_bytes FROM diskquota.show_role_quota_view WHERE role_name = 'bench_r'"
        setup="SET ROLE bench_r; CREATE TEMP TABLE tt(i int); RESET ROLE;"
        load="SET ROLE bench_r; INSERT INTO tt SELECT generate_series(1, 30000000);"
        written="pg_total_relation_size('tt')" ;;
    esac
    # the worker must see the last load's table gone before the setup, which
    # is refused while the target is over its quota (CREATE INDEX writes)
    cat <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.t;
SELECT diskquota.wait_for_worker_new_epoch() \\g /dev/null
$setup
SELECT diskquota.wait_for_worker_new_epoch() \\g /dev/null
SELECT coalesce(($view), 0) AS before \\gset
SELECT clock_timestamp() AS t0 \\gset
$load
\\set st :SQLSTATE
SELECT :'st' || ' ' || round(extract(epoch FROM clock_timestamp() - :'t0') * 1000) || ' ' || :before || ' ' || $written;
SQL
}

bench_shapes() {
    local rounds=$1 r s mode line st ms before bytes o k qb=$((SHAPE_QUOTA_MB * 1048576))
    local -A over=() early=() stopped=() failed=()
    cluster_new <<'EOF'
diskquota.monitor_databases = 'postgres'
EOF
    cluster_start
    q -c 'CREATE EXTENSION diskquota' -c 'CREATE SCHEMA bench' -c 'CREATE ROLE bench_r' \
      -c "SELECT diskquota.set_schema_quota('bench', '$SHAPE_QUOTA_MB MB')" \
      -c "SELECT diskquota.set_role_quota('bench_r', '$SHAPE_QUOTA_MB MB')" >/dev/null
    q -c 'CREATE TABLE public.calib AS SELECT i::bigint AS i FROM generate_series(1, 100000) i' >/dev/null
    CTAS_ROW_BYTES=$(q -c "SELECT round(pg_total_relation_size('public.calib') / 100000.0, 3)")
    q -c 'DROP TABLE public.calib' >/dev/null
    for r in $(seq "$rounds"); do
        for s in $SHAPES; do
            for mode in $(alternate "$r"); do
                line=$({ echo "SET diskquota.self_charge = $mode;"
                         echo "SET statement_timeout = '60s';"
                         shape_sql "$s"; } | q_on 2>"$CL/shape.err" | tail -1 || true)
                if ! [[ $line =~ ^[0-9A-Z]{5}\ [0-9]+\ [0-9]+\ [0-9.]+$ ]]; then
                    echo "  round $r, $s, self_charge $mode: no result: $(tr '\n' ' ' <"$CL/shape.err")" >&2
                    failed[$s.$mode]=$(( ${failed[$s.$mode]:-0} + 1 ))
                    continue
                fi
                read -r st ms before bytes <<<"$line"
                o=$(awk -v a="$before" -v b="$bytes" -v q="$qb" 'BEGIN { printf "%.2f", (a + b - q) / 1048576 }')
                echo "  round $r, $s, self_charge $mode: $ms ms, sqlstate $st, usage before $before, wrote $bytes bytes, overshoot $o MB" >&2
                over[$s.$mode]+=" $o"
                [ "$st" = 53100 ] && stopped[$s.$mode]=$(( ${stopped[$s.$mode]:-0} + 1 ))
                if [ "$st" = 53100 ] && awk -v o="$o" 'BEGIN { exit !(o < 0) }'; then
                    early[$s.$mode]=$(( ${early[$s.$mode]:-0} + 1 ))
                fi
            done
        done
    done
    for s in $SHAPES; do
        for mode in off on; do
            k=$s
            [ $mode = on ] && k=${s}_self
            # shellcheck disable=SC2086
            echo "overshoot_${k}_mb=$(p95 ${over[$s.$mode]})"
            echo "stopped_${k}=${stopped[$s.$mode]:-0}/$rounds"
            echo "early_${k}=${early[$s.$mode]:-0}"
            echo "failed_${k}=${failed[$s.$mode]:-0}"
            # shellcheck disable=SC2086
            echo "least_overshoot_${k}_mb=$(printf '%s\n' ${over[$s.$mode]} | sort -g | head -1)"
        done
    done

    # Concurrent loads: N sessions load N tables of schema bench at once
    # (they wait on an advisory lock, released when all of them wait), each
    # bounded to 3/4 of the quota (narrow rows, 226 a page): alone, none
    # would reach it; together they cross it, and all should be stopped.
    # The overshoot is the schema's usage at the end minus the quota.
    local n i holder rows pids
    rows=$(( SHAPE_QUOTA_MB * 1048576 * 3 / 4 / 8192 * 226 ))
    for r in $(seq "$rounds"); do
        for n in 2 8; do
            for mode in $(alternate "$r"); do
                {
                    echo "SET client_min_messages = warning; DROP TABLE IF EXISTS bench.t;"
                    for i in $(seq 8); do echo "DROP TABLE IF EXISTS bench.l$i;"; done
                    for i in $(seq "$n"); do echo "CREATE TABLE bench.l$i(i int);"; done
                } | q >/dev/null
                q -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
                before=$(q -c "SELECT nspsize_in_bytes FROM diskquota.show_schema_quota_view WHERE schema_name = 'bench'")
                q -c "SET application_name = 'bench_barrier'" -c 'BEGIN' -c 'SELECT pg_advisory_xact_lock(4242)' \
                  -c 'SELECT pg_sleep(3600)' >/dev/null 2>&1 &
                holder=$!
                for _ in $(seq 500); do
                    [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted")" -gt 0 ] && break
                    sleep 0.01
                done
                pids=()
                for i in $(seq "$n"); do
                    q_on -c "SET diskquota.self_charge = $mode" -c "SET statement_timeout = '60s'" \
                         -c 'SELECT pg_advisory_lock_shared(4242)' \
                         -c "INSERT INTO bench.l$i SELECT generate_series(1, $rows)" \
                         >/dev/null 2>"$CL/load_$i.err" &
                    pids+=($!)
                done
                for _ in $(seq 1000); do
                    [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted")" -ge "$n" ] && break
                    sleep 0.01
                done
                q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'bench_barrier'" >/dev/null
                wait "$holder" || true
                for i in "${pids[@]}"; do wait "$i" || true; done
                st=$(cat "$CL"/load_*.err | grep -c 'quota exceeded' || true)
                bytes=$(q -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
                               WHERE c.relnamespace = 'bench'::regnamespace AND c.relkind = 'r'")
                rm -f "$CL"/load_*.err
                o=$(awk -v a="$before" -v b="$bytes" -v q="$qb" 'BEGIN { printf "%.2f", (a + b - q) / 1048576 }')
                echo "  round $r, $n loads, self_charge $mode: $st of $n stopped, usage before $before, wrote $bytes bytes, overshoot $o MB" >&2
                over[c$n.$mode]+=" $o"
                stopped[c$n.$mode]=$(( ${stopped[c$n.$mode]:-0} + st ))
            done
        done
    done
    for n in 2 8; do
        for mode in off on; do
            k=concurrent$n
            [ $mode = on ] && k=${k}_self
            # shellcheck disable=SC2086
            echo "${k}_overshoot_mb=$(p95 ${over[c$n.$mode]})"
            echo "${k}_stopped=${stopped[c$n.$mode]:-0}/$((n * rounds))"
            # shellcheck disable=SC2086
            echo "${k}_least_overshoot_mb=$(printf '%s\n' ${over[c$n.$mode]} | sort -g | head -1)"
        done
    done
    cluster_drop
}

# ---------------------------------------------------------------------------
# CPU time used so far by the current cluster's server processes, in clock
# ticks: "<all> <diskquota>", where all counts the postmaster, the children
# it has reaped (backends that exited) and its live children, and diskquota
# the live launcher and workers.  The live children are read from
# /proc/<pid>/schedstat (nanoseconds on the CPU, converted to ticks): the
# tick-sampled times of /proc/<pid>/stat overstate processes that wake up
# briefly and often, like the launcher, about twentyfold here.  Reaped
# children are only known in ticks; they are the backends, which ran
# continuously.
server_ticks() {
    local pm pid all dq t hz
    hz=$(getconf CLK_TCK)
    pm=$(head -1 "$CL/data/postmaster.pid")
    all=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$pm/stat")
    dq=0
    for pid in $(pgrep -P "$pm"); do
        t=$(awk -v hz="$hz" '{ printf "%.3f", $1 * hz / 1e9 }' "/proc/$pid/schedstat" 2>/dev/null || echo 0)
        all=$(awk -v a="$all" -v t="$t" 'BEGIN { printf "%.3f", a + t }')
        if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q diskquota; then
            dq=$(awk -v a="$dq" -v t="$t" 'BEGIN { printf "%.3f", a + t }')
        fi
    done
    echo "$all $dq"
}

# Wait until the postmaster has no child left but its auxiliary processes,
# the launcher and the workers: every backend exited and was reaped.
wait_backends_gone() {
    local pm i
    pm=$(head -1 "$CL/data/postmaster.pid")
    for i in $(seq 100); do
        if ! pgrep -P "$pm" | while read -r pid; do
                { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null; echo; done |
                grep -qE '^postgres: [^ ]+ [^ ]+ \[local\]'; then
            sleep 0.2               # the last exits reach the postmaster
            return 0
        fi
        sleep 0.1
    done
}

# oltp_cluster N: a new cluster for the OLTP measurements, with N tables
# (create_tables), the extension and quotas on every schema and owner.
# Autovacuum is off: its runs, which dirty and extend every table, would
# land in one side or the other at random.
oltp_cluster() {
    cluster_new <<'CONF'
synchronous_commit = off
autovacuum = off
max_locks_per_transaction = 1024
diskquota.monitor_databases = 'postgres'
CONF
    cluster_start
    create_tables "$1"
    q -c 'CREATE EXTENSION diskquota' >/dev/null
    set_quotas
}

# insert_script N FILE: the pgbench script of the OLTP cells, a single-row
# INSERT into one of the N tables at random
insert_script() {
    {
        echo "\\set t random(0, $(($1 - 1)))"
        echo "\\set s :t % 10"
        echo "INSERT INTO s:s.t:t VALUES (:t, 'x');"
    } >"$2"
}

# OLTP overhead: for each cell (tables x clients), pgbench runs single-row
# INSERTs into random tables of s0..s9 (quotas set on every schema and owner,
# never reached), on the same cluster restarted without and with the library
# preloaded, in pairs run back to back (without/with, then with/without).
# Each run follows a 2-second warm-up of the same workload (and, with the
# library, two completed refreshes), which is not measured.  Then the same
# cells again with both sides running at the same time on two copies of the
# cluster (one preloading the library, one not, alternately), which cancels
# most of what other load on the machine does to the ratio.
# A cell's overhead is the median over its pairs of 1 - tps with / tps
# without; its CPU overhead likewise, from the server's CPU time per
# transaction (backends, launcher, workers and all other server processes),
# which other load on the machine disturbs less than the throughput.  Then
# pgbench's built-in TPC-B-like run, the same way.  Autovacuum is off, and
# everything is vacuumed before the pairs.
bench_oltp() {
    local rounds=$1 secs=$2 tables=($3) clients=($4) maxt=0 t c
    for t in "${tables[@]}"; do [ "$t" -gt "$maxt" ] && maxt=$t; done
    oltp_cluster "$maxt"
    "$PGBIN/pgbench" -i -q -s 10 -h "$CL" -p "$CL_PORT" postgres >/dev/null 2>&1
    q -c "SELECT diskquota.set_schema_quota('public', '1 TB')" \
      -c "SELECT diskquota.set_role_quota(current_user, '1 TB')" \
      -c 'VACUUM' -c 'CHECKPOINT' >/dev/null

    local ovs=() cpus=() bgs=()
    for t in "${tables[@]}"; do
        insert_script "$t" "$CL/insert_$t.sql"
        for c in "${clients[@]}"; do
            oltp_cell "${t}x${c}" "$rounds" "$secs" "$c" -f "$CL/insert_$t.sql"
            ovs+=("$CELL_OVERHEAD")
            cpus+=("$CELL_CPU_OVERHEAD")
            bgs+=("$CELL_BG_SHARE")
        done
    done
    echo "oltp_overhead_pct=$(median "${ovs[@]}")"
    echo "oltp_overhead_max_pct=$(printf '%s\n' "${ovs[@]}" | sort -g | tail -1)"
    echo "oltp_cpu_overhead_pct=$(median "${cpus[@]}")"
    echo "oltp_cpu_overhead_max_pct=$(printf '%s\n' "${cpus[@]}" | sort -g | tail -1)"
    echo "oltp_bg_cpu_pct=$(median "${bgs[@]}")"
    oltp_cell "tpcb-like x5" "$rounds" "$secs" 5 -b tpcb-like
    echo "tpcb_overhead_pct=$CELL_OVERHEAD"
    echo "tpcb_cpu_overhead_pct=$CELL_CPU_OVERHEAD"

    # The same cells with both sides running at the same time, on two copies
    # of the cluster: whatever else the machine does slows both alike.
    "$PGBIN/pg_ctl" -D "$CL/data" -m fast -w stop >/dev/null
    cp -a "$CL/data" "$CL/data_b"
    rm -f "$CL/data_b/postmaster.pid"
    echo "port = $((CL_PORT + 1))" >>"$CL/data_b/postgresql.conf"
    local cos=()
    for t in "${tables[@]}"; do
        for c in "${clients[@]}"; do
            concurrent_cell "${t}x${c}" "$rounds" "$secs" "$c" -f "$CL/insert_$t.sql"
            cos+=("$CELL_OVERHEAD")
        done
    done
    echo "oltp_concurrent_overhead_pct=$(median "${cos[@]}")"
    echo "oltp_concurrent_overhead_max_pct=$(printf '%s\n' "${cos[@]}" | sort -g | tail -1)"
    concurrent_cell "tpcb-like x5" "$rounds" "$secs" 5 -b tpcb-like
    echo "tpcb_concurrent_overhead_pct=$CELL_OVERHEAD"
    # what self-charging costs a short UPDATE: both sides with the library,
    # self_charge on against off (pgbench's accounts, branches and tellers
    # are in a schema and of a role with a quota)
    CELL_WITH_CONF=$'shared_preload_libraries = \'diskquota\'\ndiskquota.self_charge = on' \
    CELL_WITHOUT_CONF=$'shared_preload_libraries = \'diskquota\'\ndiskquota.self_charge = off' \
        concurrent_cell "tpcb-like x5, self_charge on vs off" "$rounds" "$secs" 5 -b tpcb-like
    echo "tpcb_self_charge_overhead_pct=$CELL_OVERHEAD"
    cluster_drop
}

# concurrent_cell label rounds secs clients pgbench-options...: pgbench on
# the two copies of the cluster (ports CL_PORT and CL_PORT + 1) at the same
# time, one preloading the library and the other not; the copy with the
# library alternates from round to round, so that a difference between the
# copies themselves cancels out.  Each round restarts both, warms them up
# together for 2 seconds and waits for the worker's refresh.  Sets
# CELL_OVERHEAD to the median over the rounds of 1 - tps with / tps without.
# CELL_WITH_CONF and CELL_WITHOUT_CONF, when set, are the settings of the two
# sides instead (both may preload the library and differ in a setting).
concurrent_cell() {
    local label=$1 rounds=$2 secs=$3 nc=$4 r ov=() a b j with without
    local with_conf=${CELL_WITH_CONF:-"shared_preload_libraries = 'diskquota'"}
    local without_conf=${CELL_WITHOUT_CONF:-"shared_preload_libraries = ''"}
    shift 4
    j=$(( nc < 2 ? 1 : 2 ))
    for r in $(seq "$rounds"); do
        if [ $((r % 2)) -eq 1 ]; then with=data; without=data_b; else with=data_b; without=data; fi
        "$PGBIN/pg_ctl" -D "$CL/data" -m fast -w stop >/dev/null 2>&1 || true
        "$PGBIN/pg_ctl" -D "$CL/data_b" -m fast -w stop >/dev/null 2>&1 || true
        echo "$with_conf" >"$CL/$with/preload.conf"
        echo "$without_conf" >"$CL/$without/preload.conf"
        "$PGBIN/pg_ctl" -D "$CL/data" -l "$CL/log" -w -t 600 start >/dev/null
        "$PGBIN/pg_ctl" -D "$CL/data_b" -l "$CL/log_b" -w -t 600 start >/dev/null
        local pw=$CL_PORT po=$((CL_PORT + 1))
        [ "$with" = data_b ] && { pw=$((CL_PORT + 1)); po=$CL_PORT; }
        "$PGBIN/pgbench" -n -h "$CL" -p "$pw" -c "$nc" -j "$j" -T 2 "$@" postgres >/dev/null 2>&1 &
        "$PGBIN/pgbench" -n -h "$CL" -p "$po" -c "$nc" -j "$j" -T 2 "$@" postgres >/dev/null 2>&1 &
        wait
        "$PGBIN/psql" -X -q -At -h "$CL" -p "$pw" -d postgres \
            -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
        "$PGBIN/pgbench" -n -h "$CL" -p "$pw" -c "$nc" -j "$j" -T "$secs" "$@" \
            postgres >"$CL/with.out" 2>/dev/null &
        "$PGBIN/pgbench" -n -h "$CL" -p "$po" -c "$nc" -j "$j" -T "$secs" "$@" \
            postgres >"$CL/without.out" 2>/dev/null &
        wait
        a=$(awk '/^tps = / { print $3 }' "$CL/with.out")
        b=$(awk '/^tps = / { print $3 }' "$CL/without.out")
        ov+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (1 - a / b) * 100 }')")
        echo "  $label concurrent round $r (library in $with): without $b tps, with $a tps (${ov[-1]} %)" >&2
    done
    CELL_OVERHEAD=$(median "${ov[@]}")
    echo "concurrent cell $label: overhead $CELL_OVERHEAD % (median over $rounds rounds)"
}

# oltp_run preload clients secs pgbench-options...: restart the cluster with
# that preload, run pgbench, print
# "<tps> <server CPU microseconds per transaction> <diskquota share %>"
oltp_run() {
    local preload=$1 nc=$2 secs=$3 out before after
    shift 3
    cluster_start "$preload"
    # the same warm-up on both sides (shared buffers, and with the library
    # the worker's first full rescans), so that the measurement sees the
    # steady state
    "$PGBIN/pgbench" -n -h "$CL" -p "$CL_PORT" -c "$nc" -j "$(( nc < 2 ? 1 : 2 ))" \
        -T 2 "$@" postgres >/dev/null 2>&1 || true
    if [ -n "$preload" ]; then
        q -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
        q -c 'SELECT diskquota.wait_for_worker_new_epoch()' >/dev/null
    fi
    # the warm-up's backends must be reaped before the first reading: the
    # postmaster's children time counts them once they are
    wait_backends_gone
    before=$(server_ticks)
    out=$("$PGBIN/pgbench" -n -h "$CL" -p "$CL_PORT" -c "$nc" -j "$(( nc < 2 ? 1 : 2 ))" \
          -T "$secs" "$@" postgres 2>/dev/null)
    wait_backends_gone
    after=$(server_ticks)
    awk -v out="$out" -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        n = split(out, l, "\n")
        for (i = 1; i <= n; i++) {
            if (l[i] ~ /^tps = /) { split(l[i], f, " "); tps = f[3] }
            if (l[i] ~ /^number of transactions actually processed: /) { split(l[i], f, ": "); tx = f[2] + 0 }
        }
        split(b, x, " "); split(a, y, " ")
        cpu = (y[1] - x[1]) / hz; dq = (y[2] - x[2]) / hz
        printf "%.1f %.2f %.2f\n", tps, (tx > 0 ? cpu * 1e6 / tx : 0), (cpu > 0 ? dq / cpu * 100 : 0)
    }'
}

# oltp_cell label rounds secs clients pgbench-options...: the pairs of one
# cell; sets CELL_OVERHEAD and CELL_CPU_OVERHEAD, prints the cell's line
oltp_cell() {
    local label=$1 rounds=$2 secs=$3 nc=$4 r wo wi a b ov=() cpu=() tw=() ti=() bg=()
    shift 4
    for r in $(seq "$rounds"); do
        if [ $((r % 2)) -eq 1 ]; then
            wo=$(oltp_run '' "$nc" "$secs" "$@")
            wi=$(oltp_run diskquota "$nc" "$secs" "$@")
        else
            wi=$(oltp_run diskquota "$nc" "$secs" "$@")
            wo=$(oltp_run '' "$nc" "$secs" "$@")
        fi
        read -r a b < <(awk -v o="$wo" -v w="$wi" 'BEGIN {
            split(o, x, " "); split(w, y, " ")
            printf "%.2f %.2f\n", (1 - y[1] / x[1]) * 100, (y[2] / x[2] - 1) * 100 }')
        ov+=("$a")
        cpu+=("$b")
        tw+=("${wo%% *}")
        ti+=("${wi%% *}")
        bg+=("$(cut -d' ' -f3 <<<"$wi")")
        echo "  $label pair $r: without ${wo%% *} tps, with ${wi%% *} tps ($a %);" \
             "server CPU per transaction $(cut -d' ' -f2 <<<"$wo") us without," \
             "$(cut -d' ' -f2 <<<"$wi") us with ($b %), launcher and worker" \
             "$(cut -d' ' -f3 <<<"$wi") % of it" >&2
    done
    CELL_OVERHEAD=$(median "${ov[@]}")
    CELL_CPU_OVERHEAD=$(median "${cpu[@]}")
    CELL_BG_SHARE=$(median "${bg[@]}")
    echo "cell $label: $(median "${tw[@]}") tps without, $(median "${ti[@]}") tps with;" \
         "overhead $CELL_OVERHEAD % in throughput, $CELL_CPU_OVERHEAD % in server CPU" \
         "per transaction, launcher and worker $CELL_BG_SHARE % of the server CPU" \
         "(medians over $rounds pairs)"
}

# ---------------------------------------------------------------------------
# Instructions per single-row INSERT, by callgrind (bench/hook_instructions.sh);
# then per single-row UPDATE with self_charge off and on (hook_update_*)
bench_hooks() {
    local out sc
    out=$(bash "$ROOT/bench/hook_instructions.sh" 2>&1 || true)
    printf '%s\n' "$out" | grep -v '^RESULT' | sed 's/^/  /' >&2
    printf '%s\n' "$out" | awk '/^RESULT/ { for (i = 2; i <= NF; i++) print $i }'
    for sc in off on; do
        out=$(STATEMENT=update SELF_CHARGE=$sc bash "$ROOT/bench/hook_instructions.sh" 2>&1 || true)
        printf '%s\n' "$out" | grep -v '^RESULT' | sed "s/^/  update, self_charge $sc: /" >&2
        printf '%s\n' "$out" | awk -v sc="$sc" '/^RESULT/ {
            for (i = 2; i <= NF; i++) { sub(/^hook_/, "hook_update_" sc "_", $i); print $i } }'
    done
}
