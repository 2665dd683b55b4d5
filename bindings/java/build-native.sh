#!/usr/bin/env bash
# Builds liblayer_identity_jni.so: the JNI glue (layer-identity/src/main/c/layer_identity_jni.c) statically
# linked with the Rust core (target/release/liblayer_identity.a), so the jar carries one native
# library and depends on no other .so of ours; OpenSSL 3 stays the system's libssl.so.3 and
# libcrypto.so.3.
#
#   build-native.sh OUTPUT_DIR [JAVA_HOME]
#
# The Maven build runs it in generate-resources (exec-maven-plugin) with OUTPUT_DIR =
# layer-identity/target/classes/native/linux-x86_64, so tests and the jar both find the library
# as a resource.
# It first brings the Rust archive up to date with `cargo build --release` (incremental: about
# a second when nothing changed; LAYER_IDENTITY_SKIP_CARGO=1 skips it and uses the archive as
# it is), then relinks only when an input is newer than the library.
#
# Link choices:
# - only JNI_OnLoad and JNI_OnUnload are exported (a version script): the Rust core's symbols,
#   its copy of the Rust standard library included, are local, so they cannot clash with another
#   native library loaded into the same JVM (another Rust library, another OpenSSL binding);
# - -Wl,--gc-sections drops the parts of the archive the glue does not reach, and
#   --strip-debug its debug information (the symbol table stays, for stack traces);
# - -z now, relro: the usual hardening for a library loaded into a long-lived process;
# - no -Wpedantic: JNINativeMethod takes the functions as void *, which ISO C does not define.
#
# For an instrumented build (scripts/sanitize.sh: the glue under AddressSanitizer),
# LAYER_IDENTITY_LIB_DIR links the liblayer_identity.a found there instead of target/release's
# (and cargo is not run), and JNI_CFLAGS adds compiler flags.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out_dir=${1:?usage: build-native.sh OUTPUT_DIR [JAVA_HOME]}
java_home=${2:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *)
    echo "build-native.sh: only linux-x86_64 is supported, not $(uname -s)-$(uname -m)" >&2
    exit 1
    ;;
esac

archive=${LAYER_IDENTITY_LIB_DIR:-$root/target/release}/liblayer_identity.a
if [ -z "${LAYER_IDENTITY_LIB_DIR:-}" ] && [ "${LAYER_IDENTITY_SKIP_CARGO:-0}" != 1 ] &&
  command -v cargo >/dev/null; then
  (cd "$root" && cargo build --release --quiet --lib) >&2
fi
if [ ! -f "$archive" ]; then
  echo "build-native.sh: $archive is missing: run 'make build' at the repository root" >&2
  exit 1
fi
if [ ! -f "$java_home/include/jni.h" ]; then
  echo "build-native.sh: no jni.h under $java_home/include: set JAVA_HOME to a JDK" >&2
  exit 1
fi

source=$here/layer-identity/src/main/c/layer_identity_jni.c
header=$root/include/layer_identity.h
library=$out_dir/liblayer_identity_jni.so
mkdir -p "$out_dir"
if [ -f "$library" ] && [ "$library" -nt "$source" ] && [ "$library" -nt "$header" ] &&
  [ "$library" -nt "$archive" ] && [ "$library" -nt "$0" ]; then
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/exports.map" <<'EOF'
{
  global: JNI_OnLoad; JNI_OnUnload;
  local: *;
};
EOF

read -r -a extra_cflags <<<"${JNI_CFLAGS:-}"
${CC:-gcc} -std=c11 -O2 -fPIC -fvisibility=hidden -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
  -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Werror \
  -isystem "$java_home/include" -isystem "$java_home/include/linux" -I"$root/include" "${extra_cflags[@]}" \
  -shared -o "$work/liblayer_identity_jni.so" "$source" "$archive" \
  -Wl,--version-script="$work/exports.map" -Wl,--exclude-libs,ALL -Wl,--gc-sections \
  -Wl,-z,now -Wl,-z,relro -Wl,--no-undefined -Wl,--strip-debug \
  -lssl -lcrypto -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
mv -f "$work/liblayer_identity_jni.so" "$library"
