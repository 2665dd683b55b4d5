#!/usr/bin/env bash
# Builds the library instrumented by a sanitizer, with the nightly toolchain:
#   build-lib.sh address   -> target/sanitize/address/x86_64-unknown-linux-gnu/release
#   build-lib.sh thread    -> target/sanitize/thread/x86_64-unknown-linux-gnu/release
# and prints that directory (with the liblayer_identity.so.0 link programs load).
#
# address: -Zsanitizer=address on our crate and its Rust dependencies; the standard library
#   stays the toolchain's (uninstrumented) build: ASan reports no false errors from
#   uninstrumented code, and the generic std code our crate uses is compiled (instrumented) into
#   it. The library does not carry the ASan runtime (rustc links it into executables only): the
#   process provides it (gcc -fsanitize=address programs, or LD_PRELOAD=libasan.so.8).
# thread: -Zsanitizer=thread needs -Zbuild-std: ThreadSanitizer must see every atomic and lock,
#   and an uninstrumented std's (Once, Mutex, Arc) would show as races.
# --target keeps build scripts and proc macros uninstrumented (they run in cargo's process).
set -euo pipefail
sanitizer=${1:?usage: build-lib.sh address|thread}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=x86_64-unknown-linux-gnu
dir=$root/target/sanitize/$sanitizer
std=()
[ "$sanitizer" = thread ] && std=(-Zbuild-std)
cd "$root"
RUSTFLAGS="-Zsanitizer=$sanitizer -Cforce-frame-pointers=yes" CARGO_TARGET_DIR=$dir \
  cargo +nightly build --release --quiet --lib --target "$target" "${std[@]}" >&2
out=$dir/$target/release
ln -sf liblayer_identity.so "$out/liblayer_identity.so.0"
echo "$out"
