# shellcheck shell=bash disable=SC2154 # root, here, work, asan_dir, libasan: sanitize.sh's
# Sourced by scripts/sanitize.sh: sanitize_LANGUAGE runs that wrapper's subset against the
# instrumented library (variables of sanitize.sh: root, here, work, asan_dir, libasan,
# asan_options); tool_of names the tool, subset_of reads the test count from its log.

tool_of() { case $1 in ruby | node) echo valgrind ;; *) echo asan ;; esac; }

# Python: CPython is not built with ASan: libasan comes first through LD_PRELOAD, and
# PYTHONMALLOC=malloc makes every object a malloc LeakSanitizer sees. The plugin closes the
# handles still open at exit (see pytest_close_handles.py), so a leak at exit is a lost one.
# exitcode=0: CPython's own leaks at exit must not fail pytest (reports.py judges the leaks);
# abort_on_error=1 keeps an invalid access fatal (SIGABRT).
sanitize_python() (
  local venv
  venv=$("$root/bindings/python/dev-venv.sh")
  cd "$root/bindings/python" || exit
  LAYER_IDENTITY_LIB=$asan_dir/liblayer_identity.so PYTHONPATH=$root/bindings/python/src:$here \
    PYTHONMALLOC=malloc LD_PRELOAD=$libasan ASAN_OPTIONS=$(asan_options python abort_on_error=1:exitcode=0) \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -p pytest_close_handles \
    -m "not integration" tests/test_vectors.py tests/test_errors.py tests/test_handles.py \
    tests/test_api.py tests/test_wsgi.py tests/test_asgi.py
)

# Ruby: valgrind, with the release library. Under ASan (libasan preloaded), Ruby's threads
# end with AddressSanitizer failing to unmap its own per-thread memory ("CHECK failed:
# sanitizer_posix.cpp:61 unable to unmap") and the process aborts: the runtime and the tool do
# not coexist. valgrind needs nothing preloaded and follows no child. Left out: the test that
# runs the conformance driver against WEBrick over HTTP (20 parallel requests time out while
# valgrind runs one thread at a time; the endpoint's other tests, in process, stay).
sanitize_ruby() (
  cd "$root/bindings/ruby" || exit
  LAYER_IDENTITY_LIB=$root/target/release/liblayer_identity.so valgrind --leak-check=full \
    --show-leak-kinds=definite --errors-for-leak-kinds=definite --trace-children=no \
    --fair-sched=yes --log-file="$(logdir ruby)/valgrind.%p" ruby -Ilib -Itest \
    -e 'files, options = ARGV.partition { |argument| argument.end_with?(".rb") }' \
    -e 'ARGV.replace(options)' -e 'files.each { |file| require File.expand_path(file) }' \
    test/vectors_test.rb test/api_test.rb test/lifecycle_test.rb test/handle_safety_test.rb \
    test/endpoint_test.rb --exclude '/gc_stress|valgrind|conformance_suite_over_http/'
)

# Node: valgrind, with the addon linked with the release library (kept unstripped, for the
# report's function names). Not ASan: the bindings load the addon with RTLD_DEEPBIND (so that
# its OpenSSL calls reach the system's libcrypto, not the copy node exports), and the ASan
# runtime refuses any dlopen with RTLD_DEEPBIND and kills the process. Each test file runs in
# the valgrind'ed process itself (node FILE, not the test runner's child processes); of the
# vectors, errors.json and verify.json (sign.json's RSA work, three ways per case, and env.json
# take most of an hour under valgrind; the other wrappers sign every vector under their tool).
sanitize_node() (
  cd "$root/bindings/node" || exit
  [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
  LAYER_IDENTITY_LIB_DIR=$root/target/release ADDON_OUT=$work/node/layer_identity.node \
    scripts/build-addon.sh
  # FILE [PATTERN]: one test file in a valgrind'ed node, the tests whose names match PATTERN.
  local file pattern
  while read -r file pattern; do
    LAYER_IDENTITY_ADDON=$work/node/layer_identity.node valgrind --leak-check=full \
      --show-leak-kinds=definite --errors-for-leak-kinds=definite --trace-children=no \
      --log-file="$(logdir node)/valgrind.%p" node --test-reporter=tap \
      ${pattern:+--test-name-pattern="$pattern"} "$file"
  done <<'EOF'
test/vectors.test.js ^(errors|verify)\.json
test/api.test.js
test/endpoint.test.js
EOF
)

# Go: go test -asan instruments the Go code and the cgo glue and links the ASan runtime
# (LeakSanitizer at exit, Go 1.25 and later); dev.sh points cgo at the ASan library.
sanitize_go() (
  cd "$root/bindings/go" || exit
  LAYER_IDENTITY_LIB_DIR=$asan_dir ASAN_OPTIONS=$(asan_options go) \
    ./dev.sh go test -asan -count=1 -v -run \
    'Vectors|Endpoint|Close|Handles|Finalizers|Copies|UseAfter|Concurrent|Arguments|Sign|KeyBytes|Demo|Body' \
    ./layeridentity/
)

# Java: the forked test JVM (surefire's jvm= names a script that preloads libasan) loads the JNI
# glue built with -fsanitize=address and linked with the ASan library's archive. Invalid
# accesses only, no LeakSanitizer: the handles live in the Java heap as long fields (memory the
# JVM maps itself, which LeakSanitizer does not scan), so every live handle would look lost,
# and the JVM's threads still run when it exits. handle_segv=0: the JVM catches its own SIGSEGVs
# (implicit null checks, safepoints). The suites that start child JVMs are left out.
sanitize_java() (
  cd "$root/bindings/java" || exit
  local flags=(-B -ntp -q -Dstyle.color=never) java_home options
  mvn "${flags[@]}" -o test-compile || mvn "${flags[@]}" test-compile
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  mkdir -p "$work/java/bin" # surefire takes a jvm whose path ends in bin/java
  LAYER_IDENTITY_LIB_DIR=$asan_dir JNI_CFLAGS="-fsanitize=address -fno-omit-frame-pointer -g" \
    ./build-native.sh "$work/java" "$java_home"
  options=$(asan_options java "detect_leaks=0:handle_segv=0:allow_user_segv_handler=1")
  printf '#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS=%s LAYER_IDENTITY_JNI_LIB=%s exec %s "$@"\n' \
    "$libasan" "'$options'" "$work/java/liblayer_identity_jni.so" "$java_home/bin/java" \
    >"$work/java/bin/java"
  chmod +x "$work/java/bin/java"
  rm -rf layer-identity/target/surefire-reports
  mvn "${flags[@]}" -o -pl layer-identity surefire:test -Djvm="$work/java/bin/java" \
    -Dtest=SignVectorsTest,VerifyVectorsTest,ErrorVectorsTest,HandlesTest,LayerExchangeTest,Utf8BoundaryTest,ConcurrencyTest \
    -Dsurefire.failIfNoSpecifiedTests=false
  /usr/bin/python3 -c '
import glob, xml.etree.ElementTree as ET
t = f = 0
for path in glob.glob("layer-identity/target/surefire-reports/TEST-*.xml"):
    r = ET.parse(path).getroot()
    t += int(r.get("tests")); f += int(r.get("failures")) + int(r.get("errors"))
print(f"java: {t} tests, {f} failed")'
)

subset_of() { # LANGUAGE LOG
  case $1 in
    python) grep -Eo '[0-9]+ passed' "$2" | tail -n 1 | sed 's/$/ (pytest: vectors, errors, handles, api, WSGI, ASGI)/' ;;
    ruby) grep -E '^[0-9]+ runs' "$2" | tail -n 1 | cut -d, -f1-2 | sed 's/$/ (minitest: vectors, api, lifecycle, handle safety, endpoint)/' ;;
    node) echo "$(grep -E '^# pass ' "$2" | awk '{ n += $3 } END { print n }') tests (node:test: errors.json, verify.json, api, endpoint)" ;;
    go) echo "$(grep -c -- '--- PASS' "$2") tests and subtests (go test: vectors, endpoint, handles, signing)" ;;
    java) grep -Eo 'java: [0-9]+ tests' "$2" | tail -n 1 | sed 's/java: //; s/$/ (JUnit: sign, verify, error vectors, handles, exchange, UTF-8, concurrency)/' ;;
    *) echo "?" ;;
  esac
}
