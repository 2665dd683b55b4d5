#!/usr/bin/env bash
# The Ruby wrapper's quick check (`make check-ruby`): lint (ruby -wc, RuboCop, rbs validate)
# and the unit tests that start no server and install nothing: the shared vectors, the API,
# handles (without the GC.stress and valgrind runs), threads, loading, the status tables, the
# READMEs' scripts. test.sh is the whole run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
export LAYER_IDENTITY_LIB="${LAYER_IDENTITY_LIB:-$root/target/release/liblayer_identity.so}"
rake lint
ruby -W -Ilib -Itest \
  -e 'files, options = ARGV.partition { |argument| argument.end_with?(".rb") }' \
  -e 'ARGV.replace(options)' -e 'files.each { |file| require File.expand_path(file) }' \
  test/api_test.rb test/vectors_test.rb test/lifecycle_test.rb test/concurrency_test.rb test/gvl_test.rb \
  test/loading_test.rb test/status_table_test.rb test/readme_test.rb test/handle_safety_test.rb \
  --exclude '/gc_stress|valgrind/'
