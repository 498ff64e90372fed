#!/usr/bin/env bash
# Installs Debian's PostgreSQL 15 server, which the integration tests start privately, when it is
# missing. Quiet and quick when it is there. As root (CI) it runs apt-get; otherwise it says what
# to install and leaves the tests that need the server to fail with the same reason.
set -euo pipefail
BINDIR=${CANBAO_PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ -x "$BINDIR/initdb" ] && [ -x "$BINDIR/pg_ctl" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL 15 server not found in $BINDIR: the integration tests need it;" \
        "install Debian's postgresql-15 (sudo apt-get install postgresql-15)," \
        "or set CANBAO_PG_BINDIR to the folder of another PostgreSQL's initdb and pg_ctl" >&2
    exit 0
fi
echo "Installing Debian's postgresql-15 for the integration tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
