#!/usr/bin/env bash
# The screenshots docs/reports.md shows: the top of the HTML report, as a manager opening
# it in a browser first sees it, for the sample corpus (`check corpus/`) and for a
# 5,000-message archive (scripts/bench_archive.py findings: 90 weeks of reminders, about
# a third with findings). Re-run it whenever the page changes.
#
#   scripts/screenshots.sh
#
# Needs python3 and Debian's chromium (`apt-get install chromium`).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin nhsmail-lint
bin=$(realpath "${CARGO_TARGET_DIR:-target}")/release/nhsmail-lint

python3 scripts/bench_archive.py findings "$work/archive" 5000
"$bin" check corpus/ --format html --output "$work/corpus.html" || [ $? -eq 1 ]
(cd "$work" && "$bin" check archive --format html --output "$work/archive.html") || [ $? -eq 1 ]

# A desktop window, 1280 by 1600 CSS pixels; a fresh profile, nothing fetched.
shot() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size=1280,1600 --screenshot="$2" "file://$1" 2> /dev/null
}
mkdir -p docs/images
shot "$work/corpus.html" "$PWD/docs/images/report-corpus.png"
shot "$work/archive.html" "$PWD/docs/images/report-5000-messages.png"
ls -l docs/images/report-corpus.png docs/images/report-5000-messages.png
