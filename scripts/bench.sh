#!/usr/bin/env bash
# Throughput benchmark: three deterministic synthetic archives (scripts/bench_archive.py), a
# small-message one, an attachment-heavy one and a bulk-send one (attachment-heavy mail, one
# message in ten to 1,000-5,000 recipients), each checked with the whole built-in pack and a
# config with the account and distribution lists, against the read floor (examples/floor.rs:
# the same walk, every file read to its end, the same number of threads; `cat` through xargs
# beside it), hot cache, with 1 job and with every core; and one template's check.
#
#   scripts/bench.sh [MESSAGES] [ATTACHMENT_MESSAGES] [BULK_MESSAGES]   (5000, 3000, 1000)
#   scripts/bench.sh shapes [N]   each input shape a sender produces (bench_archive.py shapes)
#                                 at N and 4N bytes (default 2000000): time per MB, the ratio
#                                 of 4N's time to N's (about 4 is linear)
#
# Needs python3 and GNU time. The archives are kept in BENCH_DIR when it is set.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"

cargo build --release --quiet --bin nhsmail-lint --example floor
bin=target/release/nhsmail-lint
floor_bin=target/release/examples/floor

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
cat_floor() { find "$1" -name '*.eml' -print0 | xargs -0 -n 256 -P "$2" cat > /dev/null; }
export -f cat_floor

if [ "${1:-}" = shapes ]; then
  n=${2:-2000000}
  shapes="$work/shapes-$n"
  [ -d "$shapes" ] || python3 scripts/bench_archive.py shapes "$shapes" "$n"
  each() { # the median wall seconds of checking one file
    local times=() file=$1
    for _ in $(seq "$runs"); do times+=("$(timed "$bin" check --format json "$file")"); done
    printf '%s\n' "${times[@]}" | median
  }
  base=$(each "$shapes/none.eml")
  printf '%-17s %9s %9s %10s %10s %6s\n' shape "n MB" "4n MB" "n ms/MB" "4n ms/MB" ratio
  for file in "$shapes"/*-n.eml; do
    shape=$(basename "$file" -n.eml)
    one=$(each "$file")
    four=$(each "$shapes/$shape-4n.eml")
    awk -v s="$shape" -v a="$one" -v b="$four" -v base="$base" \
      -v na="$(stat -c %s "$file")" -v nb="$(stat -c %s "$shapes/$shape-4n.eml")" 'BEGIN {
      ma = na / 1048576; mb = nb / 1048576; ta = (a - base) * 1000; tb = (b - base) * 1000
      if (ta < 0.1) ta = 0.1
      printf "%-17s %9.2f %9.2f %10.2f %10.2f %5.2fx\n", s, ma, mb, ta / ma, tb / mb, tb / ta
    }'
  done
  echo "(each: the median of $runs checks of the one message, less a message with no such part ($base s, start-up"
  echo " included); forwarded and nested multiparts: n/10000 levels, capped at 32 by nesting-too-deep;"
  echo " recipients and header fields: n/100; parts: n/500)"
  exit 0
fi

messages=${1:-5000}
attachment_messages=${2:-3000}
bulk_messages=${3:-1000}
count_of() {
  case $1 in small) echo "$messages" ;; attachments) echo "$attachment_messages" ;; bulk) echo "$bulk_messages" ;; esac
}

# The medians of the floor's, cat's and the check's wall seconds, run in turn (floor, cat,
# check, floor, ...) so all see the same machine, and the check's largest peak RSS in KB.
measure() {
  local archive=$1 jobs=$2 format=$3 floor_times=() cat_times=() check_times=() rss peak=0
  cat_floor "$archive" "$jobs" # warm the cache
  for _ in $(seq "$runs"); do
    floor_times+=("$(timed "$floor_bin" "$jobs" "$archive")")
    cat_times+=("$(timed bash -c 'cat_floor "$0" "$1"' "$archive" "$jobs")")
    check_times+=("$(timed "$bin" check --config "$config" --jobs "$jobs" --format "$format" "$archive")")
    read -r rss < "$work/rss"
    peak=$((rss > peak ? rss : peak))
  done
  echo "$(printf '%s\n' "${floor_times[@]}" | median)" "$(printf '%s\n' "${cat_times[@]}" | median)" \
    "$(printf '%s\n' "${check_times[@]}" | median)" "$peak"
}

for profile in small attachments bulk; do
  archive="$work/$profile-$(count_of $profile)"
  if [ ! -d "$archive" ]; then
    python3 scripts/bench_archive.py "$profile" "$archive.tmp" "$(count_of $profile)"
    mv "$archive.tmp" "$archive"
  fi
  echo "$profile: $(find "$archive" -name '*.eml' | wc -l) messages," \
    "$(du -sb "$archive" | awk '{ printf "%.1f", $1 / 1048576 }') MB ($archive)"
done
printf '%-12s %4s %8s %8s %8s %6s %8s %6s %9s %9s\n' profile jobs "floor s" "cat s" "check s" ratio files/s MB/s \
  "RSS json" "RSS jsonl"
for profile in small attachments bulk; do
  archive="$work/$profile-$(count_of $profile)"
  files=$(find "$archive" -name '*.eml' | wc -l)
  mb=$(du -sb "$archive" | awk '{ printf "%.1f", $1 / 1048576 }')
  for jobs in $(printf '%s\n' 1 "$(nproc)" | sort -nu); do
    read -r floor_s cat_s check_s json_rss < <(measure "$archive" "$jobs" json)
    read -r _ _ _ jsonl_rss < <(measure "$archive" "$jobs" jsonl)
    awk -v p="$profile" -v j="$jobs" -v f="$files" -v mb="$mb" -v fs="$floor_s" -v ks="$cat_s" -v cs="$check_s" \
      -v jr="$json_rss" -v lr="$jsonl_rss" 'BEGIN {
      printf "%-12s %4d %8.3f %8.3f %8.3f %5.2fx %8.0f %6.0f %6.1f MB %6.1f MB\n", p, j, fs, ks, cs, cs / fs, f / cs,
        mb / cs, jr / 1024, lr / 1024
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
echo "(times: check --format json, the floor (examples/floor.rs) and cat, medians of $runs runs taken in turn;"
echo " ratio: check over the floor; peak RSS: the largest of the check's runs, --format json and jsonl)"
