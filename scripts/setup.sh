#!/usr/bin/env bash
# Idempotent set-up on Debian 12: install the build/test dependencies if any
# is missing, then build and install the diskquota extension.
# Run it (bash scripts/setup.sh); it exports nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PACKAGES=(postgresql-15 postgresql-server-dev-15 make gcc libc6-dev libipc-run-perl perl
          python3 python3-psycopg)

# Run a command as root: directly if we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "setup.sh: root privileges (or sudo) needed to run: $*" >&2
        return 1
    fi
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        echo "setup.sh: missing Debian packages: ${missing[*]}" >&2
        echo "setup.sh: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "setup.sh: installing ${missing[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"

    # Installing postgresql-15 creates and may start Debian's default
    # cluster 15/main on port 5432. We just installed it, so stop it.
    if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
        as_root pg_ctlcluster 15 main stop 2>/dev/null || true
    fi
fi

echo "setup.sh: building diskquota"
make -C "$ROOT" PG_CONFIG="$PG_CONFIG"

# Install into the PostgreSQL tree; that needs root unless it is writable.
pkglibdir=$("$PG_CONFIG" --pkglibdir)
extdir="$("$PG_CONFIG" --sharedir)/extension"
if [ -w "$pkglibdir" ] && [ -w "$extdir" ]; then
    make -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
else
    as_root make -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
fi
