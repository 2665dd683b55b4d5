#!/usr/bin/env bash
# Installs what `make test` needs beyond the machine's Rust, gcc and Python: Debian packages
# for OpenSSL headers, valgrind, Objective-C, pkg-config and the independent checkers (PyJWT,
# Python cryptography), those each wrapper lists in bindings/<language>/deps.apt, and the
# command's (cli/deps.apt: the browser for the validation page's test), and make sanitize's
# (scripts/sanitize/deps.apt).
# Idempotent: installs only what is missing.
set -euo pipefail

packages=(libssl-dev pkg-config valgrind gobjc g++ openssl python3 python3-jwt python3-cryptography)
# Each wrapper lists the Debian packages its build and tests need, one per line.
for list in "$(dirname "$0")"/../bindings/*/deps.apt "$(dirname "$0")"/../cli/deps.apt \
  "$(dirname "$0")"/sanitize/deps.apt; do
  [ -f "$list" ] || continue
  while read -r package _; do
    case $package in "" | "#"*) continue ;; esac
    packages+=("$package")
  done <"$list"
done
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The fuzz targets (fuzz/, make test-fuzz) build with cargo fuzz on the nightly toolchain.
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "installing the nightly Rust toolchain (for cargo fuzz)"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
