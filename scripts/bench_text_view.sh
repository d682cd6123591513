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

python3 - "$work" "$n" <<'PY'
import base64, sys
work, n = sys.argv[1], int(sys.argv[2])
head = ('From: "Results, Pathology" <pathology.results@nhs.net>\r\nTo: a.patient@example.org\r\n'
        'Reply-To: pathology.enquiries@nhs.net\r\nSubject: Results\r\n'
        'Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <b@nhs.net>\r\nMIME-Version: 1.0\r\n')
def fill(unit, size):
    return (unit * (size // len(unit) + 1))[:size]
def shapes(size):
    text = fill("Your results are ready, see 0113 206 5719 &c. ", size)
    html = fill("<tr><td class=\"c\">Result&nbsp;<b>4</b>3&amp;1</td><td><a href=\"/r?x=1\">view</a></td></tr>\r\n", size)
    qp = fill("Your results are re=\r\nady, caf=C3=A9 and 0113 206 5719.\r\n", size)
    unclosed = "<b>" * (size // 7) + "</i>" * (size // 7)
    html_qp = fill("<tr><td class=3D\"c\">Result&nbsp;<b>4</b>3&amp;1</td><td>caf=C3=A9</td></tr>=\r\n", size)
    flowed = fill("Your results are ready, and this line \r\nflows on to the next. \r\n", size)
    calendar = "BEGIN:VEVENT\r\nDESCRIPTION:" + fill("Clinic notes\\, room 4\r\n ", size) + "\r\nEND:VEVENT\r\n"
    b64 = base64.encodebytes(text.encode()).decode().replace("\n", "\r\n")
    levels = size // 10000
    forwarded = "Content-Type: text/plain\r\n\r\nfin\r\n"
    for i in range(levels):
        forwarded = f"Content-Type: message/rfc822\r\n\r\nSubject: level {i}\r\n{forwarded}"
    return {
        "html": "Content-Type: text/html; charset=utf-8\r\n\r\n" + html,
        "html-unclosed": "Content-Type: text/html; charset=utf-8\r\n\r\n" + unclosed,
        "html-qp": "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + html_qp,
        "quoted-printable": "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp,
        "base64": "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64,
        "flowed": "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n" + flowed,
        "calendar": "Content-Type: text/calendar; charset=utf-8\r\n\r\n" + calendar,
        "forwarded": forwarded,
        "recipients": "Content-Type: text/plain\r\n\r\nfin\r\n",
        "header-fields": "".join(f"X-Trace-{i}: value {i}\r\n" for i in range(size // 100))
        + "Content-Type: text/plain\r\n\r\nfin\r\n",
        "parts": "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        + "".join(f"--b\r\nContent-Type: text/plain; name=\"n{i}.txt\"\r\n\r\nnote {i}\r\n" for i in range(size // 500))
        + "--b--\r\n",
        "nested-multiparts": "Content-Type: multipart/mixed; boundary=\"m0\"\r\n\r\n"
        + "".join(f"--m{i}\r\nContent-Type: multipart/mixed; boundary=\"m{i + 1}\"\r\n\r\n" for i in range(levels))
        + f"--m{levels}\r\nContent-Type: text/plain\r\n\r\nleaf\r\n--m{levels}--\r\n"
        + "".join(f"--m{i}--\r\n" for i in reversed(range(levels))),
        "long-line": "Content-Type: text/plain\r\n\r\n" + fill("word 0113 2065719 ", size) + "\r\n",
        # Lines that start like the delimiter and are not it: each is compared with it.
        "dash-lines": "Content-Type: multipart/mixed; boundary=\"----=_Part_1_2.3\"\r\n\r\n"
        + "------=_Part_1_2.3\r\nContent-Type: text/plain\r\n\r\n"
        + fill("------=_Part_1_2.\r\n-- \r\n", size) + "\r\n------=_Part_1_2.3--\r\n",
    }
for label, size in (("n", n), ("4n", 4 * n)):
    for shape, body in shapes(size).items():
        to = ",\r\n ".join(f"p{i}@nhs.net" for i in range(size // 100)) if shape == "recipients" else "a.patient@example.org"
        open(f"{work}/{shape}-{label}.eml", "w", newline="").write(head.replace("a.patient@example.org", to) + body)
open(f"{work}/none.eml", "w", newline="").write(head + "Content-Type: text/plain\r\n\r\nfin\r\n")
PY

# The instructions of one check (its exit code is 1 when it finds something: not a failure).
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" check --format json "$1" \
    > /dev/null 2> "$work/callgrind.log" || true
  awk '/Collected/ { print $4 }' "$work/callgrind.log"
}
base=$(count "$work/none.eml")
printf '%-17s %14s %14s %6s\n' shape "n (instr.)" "4n (instr.)" ratio
for shape in html html-unclosed html-qp quoted-printable base64 flowed calendar forwarded \
  recipients header-fields parts nested-multiparts long-line dash-lines; do
  one=$(( $(count "$work/$shape-n.eml") - base ))
  four=$(( $(count "$work/$shape-4n.eml") - base ))
  awk -v s="$shape" -v a="$one" -v b="$four" 'BEGIN { printf "%-17s %14d %14d %6.2f\n", s, a, b, b / a }'
done
echo "(n = $n bytes a part; forwarded and nested multiparts: n/10000 levels, capped at 32 by nesting-too-deep;"
echo " recipients and header fields: n/100; parts: n/500)"
