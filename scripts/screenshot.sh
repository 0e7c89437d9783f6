#!/usr/bin/env bash
# Takes a PNG of an HTML page (a report from `hpo report`) with Debian's headless Chromium:
#   scripts/screenshot.sh report.html report.png [WIDTH HEIGHT]
# Nothing is fetched: the profile is fresh and background networking is off.
set -euo pipefail
page="$1" png="$2" width="${3:-1200}" height="${4:-1800}"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size="$width,$height" \
  --screenshot="$png" "file://$(realpath "$page")" 2>/dev/null | grep -v '^$' || true
test -s "$png"
