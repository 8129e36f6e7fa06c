#!/usr/bin/env bash
# Usage: scripts/run-as-pg.sh COMMAND [ARGS...]
#
# Run COMMAND in the repository tree as an unprivileged user, because the
# PostgreSQL server (and so pg_regress, TAP tests, initdb) refuses to run
# as root.
#  - Not root: run COMMAND in place, in the repository root.
#  - Root: copy the tree (without .git and old test output) into a fresh
#    temporary directory owned by user "postgres", run COMMAND there as
#    postgres, then copy the test artifacts (regression.diffs, results/,
#    output_iso/, pg_regress and TAP logs, installcheck.log) into
#    $ROOT/test-output/ so a failing run can be inspected, and remove the
#    temporary directory.
# The exit status is COMMAND's.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGUSER_NAME=postgres
# PG_CONFIG chooses the PostgreSQL installation (default: Debian's 15)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir)

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
    cd "$ROOT"
    exec "$@"
fi

if ! id -u "$PGUSER_NAME" >/dev/null 2>&1; then
    useradd --system --create-home "$PGUSER_NAME"
fi

# /tmp explicitly: the directory must be reachable by postgres.
tmp=$(mktemp -d /tmp/diskquota-run.XXXXXX)
tree="$tmp/diskquota"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tree"

# Copy the tree, leaving out .git and artifacts of earlier runs.
tar -C "$ROOT" \
    --exclude=./.git --exclude=./test-output --exclude=./results \
    --exclude=./output_iso --exclude='./tmp_check*' --exclude=./log \
    --exclude='./regression.*' --exclude=./installcheck.log \
    -cf - . | tar -C "$tree" -xf -
chown -R "$PGUSER_NAME": "$tmp"

echo "run-as-pg: running as $PGUSER_NAME in $tree" >&2

# Clean environment, so that root's PG* variables etc. do not leak in.
envvars=(HOME="$tmp" USER="$PGUSER_NAME" LOGNAME="$PGUSER_NAME"
         PATH="$PGBIN:/usr/local/bin:/usr/bin:/bin" PG_CONFIG="$PG_CONFIG")
for v in LANG LC_ALL TERM; do
    if [ -n "${!v:-}" ]; then envvars+=("$v=${!v}"); fi
done

set +e
# shellcheck disable=SC2016  # $1/$@ are expanded by the inner bash
runuser -u "$PGUSER_NAME" -- env -i "${envvars[@]}" \
    bash -c 'cd "$1" && shift && exec "$@"' run-as-pg "$tree" "$@"
rc=$?
set -e

# Copy the test artifacts back (only if there are any: the demo has none,
# and must not wipe the output of an earlier test run).
cd "$tree"
mapfile -t artifacts < <(find . -maxdepth 3 \( -path ./.git -o -path ./test-output \) -prune -o \
    \( -name regression.diffs -o -name regression.out -o -name installcheck.log \
       -o -path ./results -o -path ./output_iso -o -path ./log \
       -o -path './tmp_check*/log' -o -path './t/tmp_check*/log' \) -prune -print)
if [ "${#artifacts[@]}" -gt 0 ]; then
    rm -rf "$ROOT/test-output"
    mkdir -p "$ROOT/test-output"
    tar -cf - "${artifacts[@]}" | tar -C "$ROOT/test-output" -xf -
fi

exit "$rc"
