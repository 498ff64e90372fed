#!/usr/bin/env bash
# Installs the Debian packages the test tiers need, where missing: postgresql-15 (the integration
# tests start a private server), a Java 17 runtime (the Spark tier), and Chromium with its driver
# and a CJK font (the browser tier: Playwright drives Debian's /usr/bin/chromium). Quiet and quick when they
# are there. As root (CI) it runs apt-get; otherwise it says what to install and leaves the tests
# that need them to fail with the same reason.
set -euo pipefail
BINDIR=${CANBAO_PG_BINDIR:-/usr/lib/postgresql/15/bin}
missing=()
if ! { [ -x "$BINDIR/initdb" ] && [ -x "$BINDIR/pg_ctl" ]; }; then
    missing+=(postgresql-15)
fi
if ! command -v java >/dev/null && [ -z "${JAVA_HOME:-}" ]; then
    missing+=(openjdk-17-jre-headless)
fi
if [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
fi
if [ ! -x /usr/bin/chromedriver ]; then
    missing+=(chromium-driver)
fi
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    missing+=(fonts-noto-cjk)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "Missing Debian packages for the test tiers: ${missing[*]}" \
        "(sudo apt-get install ${missing[*]}); CANBAO_PG_BINDIR may name another" \
        "PostgreSQL's initdb and pg_ctl folder, JAVA_HOME another Java 17," \
        "CANBAO_CHROMIUM another Chromium" >&2
    exit 0
fi
echo "Installing Debian's ${missing[*]} for the test tiers" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
