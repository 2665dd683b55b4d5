#!/usr/bin/env bash
# Builds the fuzz targets (cargo fuzz, nightly, ASan, debug assertions) and runs them.
#
#   fuzz/run.sh [--seconds N | --runs N] [--parallel N] [--cmin] [--results FILE] [TARGET...]
#
# Every run starts by executing the committed corpus (fuzz/corpus/<target>) and the seeds that
# fuzz/seeds.py writes from vectors/ and tests/endpoint/cases.json: that is the regression check,
# then libFuzzer mutates for N seconds (or N executions). New inputs go to a temporary
# directory; --cmin merges them into fuzz/corpus/<target> and minimizes it (as cargo fuzz cmin
# does: libFuzzer -merge=1).
# Each target prints its executions, exec/s, coverage (libFuzzer's cov and ft) and corpus size;
# --results writes them into FILE between <!-- fuzz:begin --> and <!-- fuzz:end -->. Any crash,
# panic, leak, timeout (FUZZ_TIMEOUT seconds for one input, default 20) or out-of-memory fails
# the run: the input is kept in fuzz/artifacts/<target>/ and the command to replay it printed.
# TARGET defaults to every target; --parallel runs up to N of them at a time, one process each.
set -euo pipefail

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
all_targets=(verify resigned keys env endpoint)
seconds=60
runs=""
parallel=1
cmin=0
results=""
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --cmin) cmin=1; shift ;;
    --results) results=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *)
      [[ " ${all_targets[*]} " == *" $1 "* ]] || { echo "fuzz/run.sh: no target $1 (${all_targets[*]})" >&2; exit 2; }
      targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")
timeout=${FUZZ_TIMEOUT:-20}
[ -z "$results" ] || results=$(realpath -m "$results") # relative to where it was called from

cd "$fuzz_dir"
# --debug-assertions: integer overflow and the core's debug_assert! fail the run too.
build_flags=(--release --debug-assertions)
build_log=$(mktemp "${TMPDIR:-/tmp}/layer-identity-fuzz-build.XXXXXX")
if ! cargo +nightly fuzz build "${build_flags[@]}" >"$build_log" 2>&1; then
  cat "$build_log" >&2
  rm -f "$build_log"
  exit 1
fi
rm -f "$build_log"
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir=$fuzz_dir/target/$triple/release
work=$(mktemp -d "${TMPDIR:-/tmp}/layer-identity-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Copies: a rebuild while a long run is under way does not change what it runs.
mkdir "$work/bin"
for target in "${targets[@]}"; do
  cp "$bin_dir/$target" "$work/bin/"
done
/usr/bin/python3 "$fuzz_dir/seeds.py" "$work/seeds" 2>/dev/null

# One target: the corpus and seeds, then fuzzing; its figures to $work/<target>.figures.
run_target() {
  local target=$1
  local new=$work/$target.new log=$work/$target.log corpus=$fuzz_dir/corpus/$target
  mkdir -p "$new" "$corpus" "$fuzz_dir/artifacts/$target" "$work/$target.tmp"
  local limit=(-max_total_time="$seconds")
  [ -z "$runs" ] || limit=(-runs="$runs")
  local dict=()
  [ ! -f "$fuzz_dir/dicts/$target.dict" ] || dict=(-dict="$fuzz_dir/dicts/$target.dict")
  [[ $target != verify && $target != resigned ]] || dict=(-dict="$fuzz_dir/dicts/token.dict")
  local status=0
  # TMPDIR: what a target writes (env's key files) goes away with $work.
  TMPDIR=$work/$target.tmp "$work/bin/$target" "$new" "$corpus" "$work/seeds/$target" \
    "${limit[@]}" "${dict[@]}" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$fuzz_dir/artifacts/$target/" >"$log" 2>&1 || status=$?
  if ((status)); then
    grep -E '^(==|SUMMARY|thread|panicked|ERROR|artifact_prefix|Test unit written|Base64)' "$log" | head -40 >&2 || true
    tail -5 "$log" >&2
    echo "$target: FAILED (exit $status); replay: cd fuzz && cargo +nightly fuzz run ${build_flags[*]} $target fuzz/artifacts/$target/<file>" >&2
    return 1
  fi
  if ((cmin)); then
    # What cargo fuzz cmin does: merge everything into an empty directory, keeping the
    # smallest inputs that together cover every feature; that becomes the committed corpus.
    local merged=$work/$target.merged
    mkdir "$merged"
    TMPDIR=$work/$target.tmp "$work/bin/$target" -merge=1 "$merged" "$corpus" "$new" "$work/seeds/$target" \
      -timeout="$timeout" -rss_limit_mb=2048 >"$work/$target.cmin.log" 2>&1 ||
      { tail -20 "$work/$target.cmin.log" >&2; return 1; }
    rm -rf "$corpus"
    mv "$merged" "$corpus"
  fi
  # libFuzzer's last status line ("#N DONE cov: C ft: F corp: K/S ...") and its final stats.
  local done_line executions per_second
  done_line=$(grep -E '^#[0-9]+\s+DONE' "$log" | tail -1)
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  local inited corpus_files
  inited=$(sed -nE 's/^INFO: seed corpus: files: ([0-9]+).*/\1/p' "$log" | head -1)
  corpus_files=$(find "$corpus" -type f | wc -l)
  local cov ft corp
  cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$done_line")
  ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$done_line")
  corp=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$done_line")
  local duration=$seconds
  [ -z "$runs" ] || duration=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || echo 0)
  printf '%s %s %s %s %s %s %s %s\n' "$target" "$duration" "$executions" "$per_second" "$cov" "$ft" "$corp" \
    "$corpus_files" >"$work/$target.figures"
  printf '%-9s ok: %s s, %s executions (%s/s), cov %s, ft %s, corpus %s in the run (%s inputs replayed first), %s committed\n' \
    "$target" "$duration" "$executions" "$per_second" "$cov" "$ft" "$corp" "${inited:-?}" "$corpus_files"
}

failed=()
running=0
declare -A pids=()
for target in "${targets[@]}"; do
  if ((running >= parallel)); then
    wait -n || true
    running=$((running - 1))
  fi
  echo "fuzzing $target (${runs:+$runs runs}${runs:-$seconds s})" >&2
  run_target "$target" &
  pids[$target]=$!
  running=$((running + 1))
done
for target in "${targets[@]}"; do
  wait "${pids[$target]}" || failed+=("$target")
done

if [ -n "$results" ]; then
  figures=()
  for target in "${targets[@]}"; do
    [ ! -f "$work/$target.figures" ] || figures+=("$(cat "$work/$target.figures")")
  done
  /usr/bin/python3 "$fuzz_dir/results.py" "$results" "${figures[@]}"
fi
if ((${#failed[@]})); then
  echo "fuzz/run.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz/run.sh: ${targets[*]}: no crash, leak or timeout" >&2
