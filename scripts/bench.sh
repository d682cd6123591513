#!/usr/bin/env bash
# Throughput benchmark: generates a deterministic synthetic archive, then measures
# `nhsmail-lint check` (whole built-in pack) against a read-only floor (the same files
# read with `cat` at the same parallelism), on a hot cache; and one template's check.
#
#   scripts/bench.sh [MESSAGES]      (default 5000; needs python3 and GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-5000}
jobs=$(nproc)
work=${BENCH_DIR:-$(mktemp -d)}
archive="$work/archive"

cargo build --release --quiet
bin=target/release/nhsmail-lint

if [ ! -d "$archive" ]; then
python3 - "$archive" "$messages" <<'PY'
import base64, os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261123)
clinics = ["Phlebotomy", "Cardiology", "Diabetes", "Orthopaedics", "Dermatology", "Audiology"]
first = ["Asha", "Sam", "Niamh", "Tom", "Priya", "Owen", "Grace", "Kwame"]
last = ["Patel", "Jones", "O'Brien", "Smith", "Khan", "Evans", "Taylor", "Mensah"]
for i in range(count):
    folder = os.path.join(root, f"{2026 - i % 3}-{1 + i % 12:02d}", f"d{i % 50:02d}")
    os.makedirs(folder, exist_ok=True)
    name = f"{rng.choice(first)} {rng.choice(last)}"
    clinic = rng.choice(clinics)
    text = (f"Dear {name},\r\n\r\nThis is a reminder of your {clinic} appointment on "
            f"Tuesday {1 + i % 28} December at {8 + i % 9}:{i % 6}0.\r\n"
            "If you cannot attend, reply to this email or call 0113 000 0000.\r\n\r\n"
            "Pathology Results Service\r\n") * rng.randint(2, 8)
    headers = (f'From: "Results, Pathology" <pathology.results@nhs.net>\r\n'
               f'To: "{name}" <patient{i}@nhs.net>\r\nReply-To: pathology.enquiries@nhs.net\r\n'
               f"Subject: {clinic} appointment reminder\r\nDate: Mon, 23 Nov 2026 09:{i % 60:02d}:00 +0000\r\n"
               f"Message-ID: <reminder-{i}@pathology.example.nhs.uk>\r\nMIME-Version: 1.0\r\n")
    if i % 100 == 7:
        size = rng.randint(1, 5) * 1024 * 1024
        blob = base64.encodebytes(rng.randbytes(size)).decode().replace("\n", "\r\n")
        body = (f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'
                f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b{i}\r\n"
                f'Content-Type: application/pdf; name="letter-{i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
                f"{blob}--b{i}--\r\n")
    elif i % 3 == 0:
        html = "<p>" + text.replace("\r\n\r\n", "</p><p>") + "</p>"
        body = (f'Content-Type: multipart/alternative; boundary="a{i}"\r\n\r\n--a{i}\r\n'
                f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--a{i}\r\n"
                f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--a{i}--\r\n")
    else:
        body = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"
    with open(os.path.join(folder, f"m{i:06d}.eml"), "w", newline="") as f:
        f.write(headers + body)
PY
fi

files=$(find "$archive" -name '*.eml' | wc -l)
bytes=$(du -sb "$archive" | cut -f1)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')

# Median wall seconds of three runs of "$@" (GNU time), and the peak RSS of the last, in KB.
measure() {
  local times=() rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1 || true
    read -r t rss < "$work/time"
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p | tr '\n' ' '
  echo "$rss"
}

floor() { find "$archive" -name '*.eml' -print0 | xargs -0 -n 256 -P "$jobs" cat > /dev/null; }
export -f floor; export archive jobs
floor # warm the cache
read -r floor_s floor_rss < <(measure bash -c floor)
read -r lint_s lint_rss < <(measure "$bin" check --jobs "$jobs" --account pathology.results@nhs.net --format json "$archive")
read -r _ stream_rss < <(measure "$bin" check --jobs "$jobs" --account pathology.results@nhs.net --format jsonl "$archive")

template=corpus/clean/appointment-reminder.eml
read -r one_s _ < <(measure "$bin" check --template "$template")
one_ms=$(python3 - "$bin" "$template" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(30):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], "check", "--template", sys.argv[2]], capture_output=True)
    runs.append(time.perf_counter() - t)
runs.sort()
print(f"{runs[len(runs) // 2] * 1000:.1f}")
PY
)

awk -v f="$files" -v mb="$mb" -v fs="$floor_s" -v ls="$lint_s" -v lr="$lint_rss" -v sr="$stream_rss" -v one="$one_ms" -v j="$jobs" 'BEGIN {
  printf "archive:      %d messages, %s MB, %d jobs\n", f, mb, j
  printf "read floor:   %6.2f s  %8.0f files/s  %7.1f MB/s\n", fs, f / fs, mb / fs
  printf "check:        %6.2f s  %8.0f files/s  %7.1f MB/s  peak RSS %.1f MB\n", ls, f / ls, mb / ls, lr / 1024
  printf "ratio:        %.2fx the read floor\n", ls / fs
  printf "jsonl:        peak RSS %.1f MB (streamed: flat however many files)\n", sr / 1024
  printf "one template: %s ms wall (median of 30, process start included)\n", one
}'
