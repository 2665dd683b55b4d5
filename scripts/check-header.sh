#!/usr/bin/env bash
# Fails when include/layer_identity.h is not what cbindgen generates from src/ffi.rs now, and
# checks that the header compiles cleanly as C99, C++17 and Objective-C.
set -euo pipefail
cd "$(dirname "$0")/.."

before=$(sha256sum include/layer_identity.h)
cargo build --quiet --lib
if [ "$before" != "$(sha256sum include/layer_identity.h)" ] || ! git diff --quiet -- include/layer_identity.h; then
  echo "include/layer_identity.h is out of date with src/ffi.rs; commit the regenerated header:" >&2
  git --no-pager diff -- include/layer_identity.h >&2
  exit 1
fi

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include "layer_identity.h"\nint main(void) { return layer_version() == 0; }\n' >"$probe/probe.c"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c "$probe/probe.c" -o "$probe/c.o"
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -x c++ -c "$probe/probe.c" -o "$probe/cpp.o"
gcc -x objective-c -Wall -Wextra -Werror -Iinclude -c "$probe/probe.c" -o "$probe/objc.o"
echo "header: up to date; compiles as C99, C++17 and Objective-C"
