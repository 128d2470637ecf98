#!/usr/bin/env bash
# Regenerate the sample weekly summary in docs/summary/ from the demo company (as of 2026-11-25, seed 7):
# markdown with its PNG charts, the self-contained HTML, and a screenshot of the HTML in headless Chromium.
# Run from anywhere with finops installed:  docs/summary/regenerate.sh   — then look at the PNGs before committing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
week=2026-W47
as_of=2026-11-25

finops demo --db "$work/demo.duckdb" --as-of "$as_of" --seed 7 >/dev/null
finops summary --db "$work/demo.duckdb" --week "$week" --as-of "$as_of" --out "$here/summary-$week.md"
finops summary --db "$work/demo.duckdb" --week "$week" --as-of "$as_of" --format html --out "$here/summary-$week.html"

browser="${FINOPS_CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
if [ -z "$browser" ]; then
  echo "no chromium on PATH (set FINOPS_CHROMIUM): the HTML screenshot was not regenerated" >&2
  exit 0
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
  --screenshot="$here/summary-$week.png" --window-size=1000,1400 "file://$here/summary-$week.html" >/dev/null 2>&1
echo "wrote $here/summary-$week.{md,html,png} and the charts beside the markdown"
