#!/usr/bin/env bash
# The test suite: set up (install packages, build, install the extension),
# check the module order (scripts/check-includes.sh), then, as an
# unprivileged user, run "make installcheck" (pg_regress,
# isolation and TAP tests via PGXS). On failure print the diffs and logs.
# Ends with one line "N passed, N failed"; exits with make's exit status.
#
# (Internally it re-runs itself with --inner inside the tree prepared by
# run-as-pg.sh.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

if [ "${1:-}" != --inner ]; then
    bash "$ROOT/scripts/setup.sh"
    # the module order (diskquota_common.h): fails the test command when broken
    if ! bash "$ROOT/scripts/check-includes.sh" || ! bash "$ROOT/scripts/check-includes.sh" --self-test; then
        echo "0 passed, 1 failed"
        exit 1
    fi
    exec "$ROOT/scripts/run-as-pg.sh" bash scripts/test.sh --inner
fi

# --- inner part: runs in the (copied) tree as the unprivileged user ---
log=installcheck.log

set +e
make installcheck PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

if [ "$rc" -ne 0 ]; then
    echo
    echo "==================== make installcheck failed (exit $rc) ===================="
    # Diffs of pg_regress (./regression.diffs) and isolation (output_iso/).
    while IFS= read -r f; do
        echo "===== $f"
        cat "$f"
    done < <(find . -path ./.git -prune -o -name regression.diffs -print | sort)
    # Server logs of the pg_regress/isolation temp instances, TAP logs.
    while IFS= read -r f; do
        echo "===== tail -n 200 $f"
        tail -n 200 "$f"
    done < <(find . -type f \( -path './log/*' -o -path './output_iso/log/*' \
                 -o -path './tmp_check*/log/*' -o -path './t/tmp_check*/log/*' \) | sort)
fi

# --- summary ---
# pg_regress / pg_isolation_regress, PG <= 15 format:
#   "test name                 ... ok           12 ms"
#   "     name                 ... FAILED       12 ms"   (parallel group member)
#   "test name                 ... failed (ignored)"
# PG >= 16 (TAP-like) format: "ok 1         - name   12 ms", "not ok 2     + name".
# prove is not verbose, so its subtests never appear as "ok N" lines.
count() { grep -Ec "$1" "$log" || true; }
reg_pass=$(( $(count '^(test |     )[^ ].* \.\.\. +ok( |$)') + $(count '^ok [0-9]+ +[-+] ') ))
reg_fail=$(( $(count '^(test |     )[^ ].* \.\.\. +(FAILED|failed)') + $(count '^not ok [0-9]+ +[-+] ') ))

# prove: "Files=N, Tests=M, ..." gives the number of TAP tests run; each
# failing file has a line "t/x.pl (Wstat: ... Tests: M Failed: F)".
# A file that failed without a failed test (died, bad plan) counts as 1 failure.
tap_total=$(awk '/^Files=[0-9]+, Tests=[0-9]+/ { sub(/^Files=[0-9]+, Tests=/, ""); t += $0 + 0 }
                 END { print t + 0 }' "$log")
read -r tap_failed tap_broken < <(awk '
    match($0, /Tests: [0-9]+ Failed: [0-9]+\)/) {
        n = substr($0, RSTART, RLENGTH); sub(/.*Failed: /, "", n); n += 0
        if (n > 0) f += n; else b++
    }
    END { print f + 0, b + 0 }' "$log")

passed=$(( reg_pass + tap_total - tap_failed ))
failed=$(( reg_fail + tap_failed + tap_broken ))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "make failed outside any counted test (build, initdb, server start?): counted as 1 failure"
    failed=1
fi
echo "$passed passed, $failed failed"
exit "$rc"
