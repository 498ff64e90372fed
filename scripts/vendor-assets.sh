#!/usr/bin/env bash
# Refreshes the web UI's vendored front-end packages (src/canbao/web/static/vendor) from the npm
# registry at the pinned versions below, with their licences. The files are committed, so a
# checkout serves them without npm; run this only to change a version (and say so in CHANGELOG).
set -euo pipefail
ECHARTS=5.6.0
HTMX=2.0.11
cd "$(dirname "$0")/.."
out=src/canbao/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --silent --ignore-scripts --no-audit --no-fund \
    "echarts@$ECHARTS" "htmx.org@$HTMX" >/dev/null)
m="$work/node_modules"
cp "$m/echarts/dist/echarts.min.js" "$m/htmx.org/dist/htmx.min.js" "$out/"
cp "$m/echarts/LICENSE" "$out/echarts.LICENSE"
cp "$m/echarts/NOTICE" "$out/echarts.NOTICE"
cp "$m/zrender/LICENSE" "$out/zrender.LICENSE"
cp "$m/htmx.org/LICENSE" "$out/htmx.LICENSE"
echo "echarts $ECHARTS (Apache-2.0, bundles zrender: BSD-3-Clause), htmx.org $HTMX (0BSD)" > "$out/VERSIONS"
