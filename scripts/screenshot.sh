#!/usr/bin/env bash
# Takes a PNG of an HTML page (a report from `hpo report`) with Debian's headless Chromium:
#   scripts/screenshot.sh report.html report.png [WIDTH HEIGHT [TOP]]
# WIDTH × HEIGHT pixels (1200 × 1800) of the page from TOP pixels down (0). Nothing is
# fetched: the profile is fresh and background networking is off.
set -euo pipefail
page="$(realpath "$1")" png="$2" width="${3:-1200}" height="${4:-1800}" top="${5:-0}"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# Chromium's --screenshot shows the top of a page; a frame shifted up by TOP shows the rest.
frame="$profile/frame.html"
echo "<html><body style=\"margin:0;overflow:hidden\"><iframe src=\"file://$page\" style=\"position:absolute;top:-${top}px;left:0;width:${width}px;height:$((top + height))px;border:0\"></iframe></body></html>" >"$frame"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile/profile" --hide-scrollbars --window-size="$width,$height" \
  --screenshot="$png" "file://$frame" >/dev/null 2>&1 || true
test -s "$png"
