#!/usr/bin/env bash
# Checks the module order of diskquota's sources: each module (x.c, and x.h
# declaring what it offers) includes only the headers of the modules listed
# before it in the header comment of diskquota_common.h, which is the one place the
# order is written.  Also fails when
#   - a .c or .h file of the top directory has no place in that list,
#   - a .c file declares an extern function or variable of its own (which
#     would call another module without including its header),
#   - a header does not include the headers of the types it uses in turn
#     (each header must compile on its own, after postgres.h).
#
#   bash scripts/check-includes.sh              check the tree
#   bash scripts/check-includes.sh --self-test  show that a violation fails
#
# Run by scripts/test.sh before anything is built.  Needs only bash, awk and
# grep (and a C compiler with the server headers for the last check, which
# is skipped without them).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

check() {
    local dir=$1 fail=0
    local -A rank=()
    local n=0 entry

    # The list: the lines " *<tab>NAME<tab>..." between "reads this list"
    # and the data path paragraph of diskquota_common.h's header comment.
    while read -r entry; do
        rank[$entry]=$n
        n=$((n + 1))
    done < <(awk '/reads this list/ { on = 1; next }
                  on && /The data path runs/ { exit }
                  on && /^ \*\t[a-z_.]+\t/ { sub(/^ \*\t/, ""); sub(/\t.*/, ""); print }' \
                 "$dir/diskquota_common.h")
    if [ "$n" -lt 2 ]; then
        echo "check-includes: no module list found in diskquota_common.h" >&2
        return 1
    fi

    # The rank of a file: its own entry (diskquota_common.h, diskquota.c), else
    # its module's (the name without .c/.h).
    file_rank() {
        local f=$1
        if [ -n "${rank[$f]+x}" ]; then
            echo "${rank[$f]}"
        elif [ -n "${rank[${f%.[ch]}]+x}" ]; then
            echo "${rank[${f%.[ch]}]}"
        else
            echo -1
        fi
    }

    local f r inc ir
    for f in "$dir"/*.c "$dir"/*.h; do
        f=${f##*/}
        r=$(file_rank "$f")
        if [ "$r" -lt 0 ]; then
            echo "check-includes: $f has no place in the module list of diskquota_common.h" >&2
            fail=1
            continue
        fi
        while read -r inc; do
            [ -f "$dir/$inc" ] || continue    # a server header
            ir=$(file_rank "$inc")
            if [ "$ir" -lt 0 ]; then
                echo "check-includes: $f includes $inc, which has no place in the module list" >&2
                fail=1
            elif [ "$ir" -gt "$r" ] || { [ "$ir" -eq "$r" ] && [ "${inc%.h}" != "${f%.[ch]}" ]; }; then
                echo "check-includes: $f includes $inc, a module listed after its own in diskquota_common.h" >&2
                fail=1
            fi
        done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$dir/$f")
        if [[ $f == *.c ]] && grep -nE '^extern[[:space:]]' "$dir/$f" >&2; then
            echo "check-includes: $f declares an extern name: declare it in the header of the module that defines it" >&2
            fail=1
        fi
    done

    # Each header compiles on its own (after postgres.h).
    local cc=${CC:-cc} pgc=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config} inc_dir
    if command -v "$cc" >/dev/null 2>&1 && inc_dir=$("$pgc" --includedir-server 2>/dev/null) &&
        [ -f "$inc_dir/postgres.h" ]; then
        local h
        for h in "$dir"/*.h; do
            if ! printf '#include "postgres.h"\n#include "%s"\n' "${h##*/}" |
                "$cc" -fsyntax-only -x c -I"$dir" -isystem "$inc_dir" - 2>/tmp/check-includes.$$; then
                echo "check-includes: ${h##*/} does not compile on its own:" >&2
                head -5 /tmp/check-includes.$$ >&2
                fail=1
            fi
        done
        rm -f /tmp/check-includes.$$
    fi
    return "$fail"
}

if [ "${1:-}" = --self-test ]; then
    # A tree with one call against the data path (the feed including
    # enforcement's header) must fail; the tree as it is must pass.
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp "$ROOT"/*.c "$ROOT"/*.h "$tmp"/
    check "$tmp" 2>/dev/null || { echo "check-includes: self-test: the tree itself fails" >&2; exit 1; }
    sed -i '0,/^#include "filefeed.h"/s//#include "filefeed.h"\n#include "enforcement.h"/' "$tmp/filefeed.c"
    if check "$tmp" 2>/dev/null; then
        echo "check-includes: self-test: a planted include against the order was not found" >&2
        exit 1
    fi
    cp "$ROOT/filefeed.c" "$tmp/filefeed.c"
    printf 'extern void diskquota_enforcement_exempt_process(void);\n' >> "$tmp/filefeed.c"
    if check "$tmp" 2>/dev/null; then
        echo "check-includes: self-test: a planted extern declaration was not found" >&2
        exit 1
    fi
    echo "check-includes: self-test passed"
    exit 0
fi

check "$ROOT" && echo "check-includes: module order holds"
