#!/usr/bin/env bash
# Throughput benchmark: two deterministic synthetic archives (scripts/bench_archive.py), a
# small-message one and an attachment-heavy one, each checked with the whole built-in pack
# and a config with the account and distribution lists, against a read-only floor (the same
# files read with `cat` at the same parallelism), hot cache, with 1 job and with every core;
# and one template's check.
#
#   scripts/bench.sh [MESSAGES] [ATTACHMENT_MESSAGES]   (defaults 5000 and 3000)
#
# Needs python3 and GNU time. The archives are kept in BENCH_DIR when it is set.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-5000}
attachment_messages=${2:-3000}
runs=5
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"

cargo build --release --quiet
bin=target/release/nhsmail-lint

config="$work/nhsmail-lint.yaml"
cat > "$config" <<'YAML'
account: pathology.results@nhs.net
distribution_lists:
  - results-team-dl@nhs.net
  - pathology-dl@nhs.net
YAML

# Wall seconds of one run of "$@" (bash's clock, to the microsecond); its peak RSS (KB) is
# left in $work/rss.
timed() {
  local start=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$work/rss" "$@" > /dev/null 2>&1 || true
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", b - a }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The medians of the floor's and the check's wall seconds, run in turn (floor, check,
# floor, ...) so both see the same machine, and the check's largest peak RSS in KB.
measure() {
  local archive=$1 jobs=$2 format=$3 floor_times=() check_times=() rss peak=0
  floor "$archive" "$jobs" # warm the cache
  for _ in $(seq "$runs"); do
    floor_times+=("$(timed bash -c 'floor "$0" "$1"' "$archive" "$jobs")")
    check_times+=("$(timed "$bin" check --config "$config" --jobs "$jobs" --format "$format" "$archive")")
    read -r rss < "$work/rss"
    peak=$((rss > peak ? rss : peak))
  done
  echo "$(printf '%s\n' "${floor_times[@]}" | median)" "$(printf '%s\n' "${check_times[@]}" | median)" "$peak"
}
floor() { find "$1" -name '*.eml' -print0 | xargs -0 -n 256 -P "$2" cat > /dev/null; }
export -f floor

for profile in small attachments; do
  count=$messages
  [ "$profile" = attachments ] && count=$attachment_messages
  archive="$work/$profile-$count"
  if [ ! -d "$archive" ]; then
    python3 scripts/bench_archive.py "$profile" "$archive.tmp" "$count"
    mv "$archive.tmp" "$archive"
  fi
  echo "$profile: $(find "$archive" -name '*.eml' | wc -l) messages," \
    "$(du -sb "$archive" | awk '{ printf "%.1f", $1 / 1048576 }') MB ($archive)"
done
printf '%-12s %4s %8s %8s %6s %8s %6s %9s %9s\n' profile jobs "floor s" "check s" ratio files/s MB/s \
  "RSS json" "RSS jsonl"
for profile in small attachments; do
  count=$messages
  [ "$profile" = attachments ] && count=$attachment_messages
  archive="$work/$profile-$count"
  files=$(find "$archive" -name '*.eml' | wc -l)
  mb=$(du -sb "$archive" | awk '{ printf "%.1f", $1 / 1048576 }')
  for jobs in $(printf '%s\n' 1 "$(nproc)" | sort -nu); do
    read -r floor_s check_s json_rss < <(measure "$archive" "$jobs" json)
    read -r _ _ jsonl_rss < <(measure "$archive" "$jobs" jsonl)
    awk -v p="$profile" -v j="$jobs" -v f="$files" -v mb="$mb" -v fs="$floor_s" -v cs="$check_s" \
      -v jr="$json_rss" -v lr="$jsonl_rss" 'BEGIN {
      printf "%-12s %4d %8.3f %8.3f %5.2fx %8.0f %6.0f %6.1f MB %6.1f MB\n", p, j, fs, cs, cs / fs, f / cs, mb / cs,
        jr / 1024, lr / 1024
    }'
  done
done

template=corpus/clean/appointment-reminder.eml
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
echo "one template: $one_ms ms wall (median of 30, process start included)"
echo "(times: check --format json and the floor, medians of $runs runs taken in turn; peak RSS: the"
echo " largest of the check's runs, --format json and jsonl)"
