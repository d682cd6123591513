#!/usr/bin/env bash
# The cost of each input shape a sender produces, at n and 4n: one message whose one large
# part is HTML (tags and entities; also quoted-printable, and tags left open),
# quoted-printable text (soft line breaks), base64 text, format=flowed text, a calendar with
# folded lines, or a forwarded message nested in forwarded messages; and one message with
# many recipients, many header fields, many parts, nested multiparts, one long line or
# lines of dashes that start like the multipart's delimiter;
# each checked with the whole pack. Counted in instructions (valgrind's
# callgrind: the same on a busy machine), less a run over a message with no such part, so the
# ratio at 4n is the view's own: about 4 is linear.
#
#   scripts/bench_text_view.sh [N]   (default 200000: bytes of the part, or levels x 10000)
#
# Needs python3 and valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/nhsmail-lint

python3 scripts/bench_archive.py shapes "$work" "$n"

# The instructions of one check (its exit code is 1 when it finds something: not a failure).
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" check --format json "$1" \
    > /dev/null 2> "$work/callgrind.log" || true
  awk '/Collected/ { print $4 }' "$work/callgrind.log"
}
base=$(count "$work/none.eml")
printf '%-17s %14s %14s %6s\n' shape "n (instr.)" "4n (instr.)" ratio
for shape in html html-unclosed html-qp quoted-printable base64 flowed calendar forwarded \
  recipients recipients-named header-fields folded-header parts nested-multiparts long-line digits dash-lines; do
  one=$(( $(count "$work/$shape-n.eml") - base ))
  four=$(( $(count "$work/$shape-4n.eml") - base ))
  awk -v s="$shape" -v a="$one" -v b="$four" 'BEGIN { printf "%-17s %14d %14d %6.2f\n", s, a, b, b / a }'
done
echo "(n = $n bytes a part; forwarded and nested multiparts: n/10000 levels, capped at 32 by nesting-too-deep;"
echo " recipients and header fields: n/100; parts: n/500)"
