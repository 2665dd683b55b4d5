#!/usr/bin/env bash
# make sanitize: memory and thread checks across every boundary of the library, then one table
# (printed, and written into bench/RESULTS.md between its sanitize markers).
#
#   canaries  a defect committed on purpose through the library (scripts/sanitize/canary.c,
#             scripts/sanitize/gocanary) must be reported as ours by each tool (ASan overflow,
#             LSan leak, valgrind leak, TSan race, go test -asan leak): a checker that went
#             blind fails the run
#   C         tests/c/run.sh: every C test under valgrind, then built with ASan+UBSan and run
#             against the library built with -Zsanitizer=address
#   TSan      tests/c/test_threads.c (one signer, one verifier, claims and exchanges shared by
#             threads) built with -fsanitize=thread against the library built with
#             -Zsanitizer=thread and -Zbuild-std (its std's locks and atomics instrumented too)
#   go        go test -asan: the Go runtime's own ASan mode (cgo glue and Go code instrumented,
#             LeakSanitizer at exit) against the ASan library
#   ruby, python, node, java
#             the interpreter runs with LD_PRELOAD=libasan (it is not instrumented; the library,
#             the Node addon and the JNI glue are), LeakSanitizer at exit; the JVM without
#             LeakSanitizer (see java below)
# Each wrapper runs a subset: the shared vectors (sign, verify, errors), the handles' lifecycle
# and the endpoint; reports.py sorts what the tools wrote into ours (fatal) and the runtime's
# own (counted). Needs the nightly toolchain with rust-src (scripts/install-deps.sh installs
# it), gcc's libasan and libtsan, valgrind, and what each wrapper's test.sh needs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
here=$root/scripts/sanitize
work=$(mktemp -d "${TMPDIR:-/tmp}/layer-sanitize.XXXXXX")
declare -A running=() # the tasks running: pid -> name
# On the way out (a failure, ^C), the tasks still running and their processes go too.
kill_tree() { local child; for child in $(pgrep -P "$1"); do kill_tree "$child"; done; kill "$1" 2>/dev/null; }
cleanup() {
  local pid
  for pid in "${!running[@]}"; do kill_tree "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT
summary=$work/summary.tsv
: >"$summary"
started=$SECONDS
libasan=$(gcc -print-file-name=libasan.so)
[ -e "$libasan" ] || { echo "sanitize: gcc's libasan is missing (libasan8)" >&2; exit 1; }

# The frame format reports.py reads: the module of every frame, in angle brackets.
frames='stack_trace_format="    #%n %p in %f %S <%m>"'
# asan_options LABEL [OPTIONS]: ASAN_OPTIONS for a run whose reports go to logdir LABEL (one
# file per process, children included).
slug() { printf '%s' "$1" | tr -c 'A-Za-z0-9' '-'; }
logdir() { mkdir -p "$work/logs/$(slug "$1")" && echo "$work/logs/$(slug "$1")"; }
asan_options() {
  echo "log_path=$(logdir "$1")/asan:$frames:detect_leaks=1:leak_check_at_exit=1:abort_on_error=0:fast_unwind_on_malloc=0:malloc_context_size=30:verify_asan_link_order=0${2:+:$2}"
}
logs() { find "$(logdir "$1")" -type f; }

# Every check below is a task: it writes its rows of the table into $work/rows/TASK.tsv and
# fails when the run must fail. SANITIZE_JOBS tasks run at once (default 2: the machine's
# cores are the limit, and valgrind and the sanitizers are CPU-bound).
mkdir -p "$work/rows"
# row TASK LABEL TOOL SUBSET SECONDS: the reports of logdir LABEL, as a row of TASK's.
row() {
  local task=$1 label=$2 tool=$3 subset=$4 seconds=$5
  # shellcheck disable=SC2046 # one argument per log file; the paths are ours, without spaces
  /usr/bin/python3 "$here/reports.py" --tool "$tool" --label "$label" --summary "$work/$task.reports" \
    $(logs "$label") || return
  tail -n 1 "$work/$task.reports" | awk -F'\t' -v subset="$subset" -v s="$seconds" \
    'BEGIN { OFS = "\t" } { print $1, $2, subset, $3, $4, s }' >>"$work/rows/$task.tsv"
}

# -Zsanitizer and -Zbuild-std are nightly-only; rust-src is what -Zbuild-std compiles.
if ! rustup run nightly rustc --version >/dev/null 2>&1 ||
  ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
  echo "sanitize: installing the nightly Rust toolchain with rust-src (rustup)"
  rustup toolchain install nightly --profile minimal --component rust-src
fi
echo "sanitize: building the library (release, ASan, TSan)"
make --no-print-directory build >/dev/null
asan_dir=$("$here/build-lib.sh" address)
tsan_dir=$("$here/build-lib.sh" thread)

# ----------------------------------------------------------------------------- canaries
key=$root/vectors/keys/rsa2048.pkcs8.pem
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -g -O1 -fno-omit-frame-pointer)
# TSan: gcc instruments the C side, but the library's instrumentation (LLVM's, newer than gcc
# 12's libtsan: it calls __tsan_memcpy, which libtsan.so.2 lacks) needs LLVM's runtime, the
# one the nightly toolchain ships: linked whole into the program, as rustc would.
tsan_rt=$(rustc +nightly --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-nightly_rt.tsan.a
tsan_build() { # OUTPUT SOURCE...
  local output=$1 objects=() source
  shift
  for source in "$@"; do
    gcc "${cflags[@]}" -fsanitize=thread -c "$source" -o "$output.$(basename "$source").o"
    objects+=("$output.$(basename "$source").o")
  done
  gcc "${objects[@]}" -Wl,--whole-archive "$tsan_rt" -Wl,--no-whole-archive -rdynamic \
    -L"$tsan_dir" -llayer_identity -lcrypto -pthread -ldl -lm -lstdc++ -o "$output"
}
# canary LABEL TOOL COMMAND...: the tool must report exactly one defect in our code.
canary() {
  local label=$1 tool=$2 t0=$SECONDS
  shift 2
  "$@" >"$(logdir "$label").out" 2>&1 || true
  # shellcheck disable=SC2046 # one argument per log file, as in row
  /usr/bin/python3 "$here/reports.py" --tool "$tool" --label "$label" --expect-ours 1 \
    --summary "$work/canaries.reports" $(logs "$label") || return
  tail -n 1 "$work/canaries.reports" | awk -F'\t' -v s=$((SECONDS - t0)) \
    'BEGIN { OFS = "\t" } { print $1, $2, "1 defect on purpose", $3 " (expected 1)", $4, s }' \
    >>"$work/rows/00-canaries.tsv"
}
task_canaries() {
  gcc "${cflags[@]}" -fsanitize=address "$here/canary.c" -L"$asan_dir" -llayer_identity -pthread \
    -o "$work/canary"
  gcc "${cflags[@]}" "$here/canary.c" -Ltarget/release -llayer_identity -pthread -o "$work/canary.plain"
  tsan_build "$work/canary.tsan" "$here/canary.c"
  local failed=0
  canary "canary: heap overflow" asan env LD_LIBRARY_PATH="$asan_dir" \
    ASAN_OPTIONS="$(asan_options "canary: heap overflow")" "$work/canary" overflow "$key" || failed=1
  canary "canary: leak" asan env LD_LIBRARY_PATH="$asan_dir" \
    ASAN_OPTIONS="$(asan_options "canary: leak")" "$work/canary" leak "$key" || failed=1
  canary "canary: valgrind leak" valgrind env LD_LIBRARY_PATH="$root/target/release" \
    valgrind --leak-check=full --show-leak-kinds=definite \
    --log-file="$(logdir "canary: valgrind leak")/valgrind.%p" "$work/canary.plain" leak "$key" || failed=1
  canary "canary: race" tsan env LD_LIBRARY_PATH="$tsan_dir" \
    TSAN_OPTIONS="log_path=$(logdir "canary: race")/tsan:$frames:halt_on_error=0" \
    "$work/canary.tsan" race || failed=1
  # go test -asan: the Go run's LeakSanitizer (scripts/sanitize/gocanary: an error message the
  # library allocated, never freed); the test itself fails on the leak, as it should.
  canary "canary: go leak" asan env -C "$here/gocanary" LAYER_IDENTITY_LIB_DIR="$asan_dir" \
    ASAN_OPTIONS="$(asan_options "canary: go leak")" GOFLAGS=-count=1 \
    "$root/bindings/go/dev.sh" go test -asan . || failed=1
  return "$failed"
}

# ----------------------------------------------------------------------------- C tests
task_c() {
  local t0=$SECONDS verdict=0 programs
  LAYER_TEST_ASAN_LIB_DIR=$asan_dir tests/c/run.sh >"$work/c.log" 2>&1 &
  wait $! || verdict=failed
  programs=$(grep -c '(valgrind) ' "$work/c.log" || true)
  printf 'C tests\tvalgrind, ASan+UBSan\t%s programs (%s), each under both\t%s\t0\t%d\n' \
    "$programs" "$(grep -Eo '[0-9]+ assertions' "$work/c.log" | tail -n 1)" "$verdict" \
    $((SECONDS - t0)) >>"$work/rows/01-c.tsv"
  [ "$verdict" = 0 ]
}

# ----------------------------------------------------------------------------- TSan
task_tsan() {
  local t0=$SECONDS
  tsan_build "$work/test_threads.tsan" tests/c/test_threads.c tests/c/test_support.c
  LAYER_TEST_KEYS=$root/vectors/keys LD_LIBRARY_PATH=$tsan_dir \
    TSAN_OPTIONS="log_path=$(logdir "C ABI threads")/tsan:$frames:halt_on_error=0:second_deadlock_stack=1" \
    "$work/test_threads.tsan" >"$work/tsan.out" 2>&1 &
  wait $! || { cat "$work/tsan.out"; return 1; }
  row 02-tsan "C ABI threads" tsan "$(tail -n 1 "$work/tsan.out")" $((SECONDS - t0))
}

# ----------------------------------------------------------------------------- wrappers
# shellcheck source=scripts/sanitize/wrappers.sh
. "$here/wrappers.sh"
# task_wrapper LANGUAGE: its subset (wrappers.sh), then its row.
task_wrapper() {
  local t0=$SECONDS verdict=0
  "sanitize_$1" >"$work/$1.log" 2>&1 &
  wait $! || { verdict=1; echo "sanitize: $1: its tests failed under the tool"; tail -n 60 "$work/$1.log"; }
  row "10-$1" "$1" "$(tool_of "$1")" "$(subset_of "$1" "$work/$1.log")" $((SECONDS - t0)) || verdict=1
  return "$verdict"
}

# ----------------------------------------------------------------------------- the run
tasks=(canaries c tsan)
for language in ${SANITIZE_LANGUAGES:-go ruby python node java}; do tasks+=("wrapper $language"); done
# finish: waits for one task and reports it.
finish() {
  local pid task
  wait -n -p pid "${!running[@]}" || true
  task=${running[$pid]}
  unset "running[$pid]"
  if [ -f "$work/$pid.failed" ]; then status=1; fi
  echo "sanitize: $task: $(cat "$work/$pid.verdict") ($((SECONDS - started)) s)"
  sed 's/^/  | /' "$work/$pid.out"
}
for task in "${tasks[@]}"; do
  while [ "${#running[@]}" -ge "${SANITIZE_JOBS:-2}" ]; do finish; done
  echo "sanitize: $task: started"
  # shellcheck disable=SC2086 # "wrapper LANGUAGE": the function and its argument
  # The task in the background too, never as an if condition, so that set -e holds inside it.
  (
    me=$work/$BASHPID
    task_$task >"$me.out" 2>&1 &
    if wait $!; then echo ok >"$me.verdict"; else echo FAILED >"$me.verdict" && touch "$me.failed"; fi
  ) &
  running[$!]=$task
done
while [ "${#running[@]}" -gt 0 ]; do finish; done
cat "$work"/rows/*.tsv >"$summary"

# ----------------------------------------------------------------------------- the table
table=$work/table.md
{
  echo "Memory and thread checks (\`make sanitize\`, $(date -u +%Y-%m-%d), $((SECONDS - started)) s on $(nproc) cores, ${SANITIZE_JOBS:-2} tasks at once; s: each task's wall time)."
  echo "\"ours\": reports in the library, the Node addon, the JNI glue, the Go test binary (cgo"
  echo "glue) or our C programs (fatal); \"runtime\": the interpreter's or JVM's own leaks at"
  echo "exit and the like, counted, never fatal (scripts/sanitize/reports.py)."
  echo
  echo "| boundary | tool | suite | ours | runtime | s |"
  echo "|---|---|---|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$summary"
} >"$table"
echo
cat "$table"
/usr/bin/python3 "$here/results.py" bench/RESULTS.md "$table"
if [ "${status:-0}" -ne 0 ]; then # finish sets it when a task failed
  echo "make sanitize: FAILED (see above)" >&2
  exit 1
fi
echo "make sanitize: no report in our code; every canary caught"
