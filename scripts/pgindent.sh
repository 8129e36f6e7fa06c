#!/usr/bin/env bash
# Format diskquota's C sources the way PostgreSQL formats its own: with
# pg_bsd_indent (Debian package pg-bsd-indent) and pgindent's options, using
# the typedef names listed in scripts/typedefs.list.
#
# Usage: scripts/pgindent.sh              format every *.c and *.h in place
#        scripts/pgindent.sh --check      list the files that would change (exit 1 if any)
#        scripts/pgindent.sh --typedefs   regenerate scripts/typedefs.list from the
#                                         server headers and our sources (needs ctags)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
TYPEDEFS="$ROOT/scripts/typedefs.list"
# the options of PostgreSQL 15's src/tools/pgindent/pgindent
OPTS=(-bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79
      -lp -lpl -nip -npro -sac -tpg -ts4)

cd "$ROOT"
if [ "${1:-}" = --typedefs ]; then
    ctags -x --c-kinds=t --language-force=C -R "$("$PG_CONFIG" --includedir-server)" \
        ./*.c ./*.h | awk '{ print $1 }' | LC_ALL=C sort -u >"$TYPEDEFS"
    echo "pgindent: $(wc -l <"$TYPEDEFS") typedef names in scripts/typedefs.list"
    exit 0
fi

if ! command -v pg_bsd_indent >/dev/null 2>&1; then
    echo "pgindent: pg_bsd_indent is missing (apt-get install pg-bsd-indent)" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
changed=0
for f in ./*.c ./*.h; do
    pg_bsd_indent "${OPTS[@]}" "-U$TYPEDEFS" "$f" "$tmp/out" 2>"$tmp/err" || {
        echo "pgindent: pg_bsd_indent failed on $f:" >&2
        cat "$tmp/err" >&2
        exit 2
    }
    if ! cmp -s "$f" "$tmp/out"; then
        changed=1
        if [ "${1:-}" = --check ]; then
            echo "${f#./}"
        else
            cp "$tmp/out" "$f"
        fi
    fi
done
[ "${1:-}" = --check ] && exit "$changed"
exit 0
