#!/usr/bin/env bash
# The library's dependency tree is exactly scripts/lib-deps.txt: the CLI's HTTP stack (tokio,
# hyper, clap, ...) lives in cli/ and must never reach what other languages link.
set -euo pipefail
cd "$(dirname "$0")/.."
allowed=$(grep -v '^#' scripts/lib-deps.txt | sed '/^$/d' | sort -u)
actual=$(cargo tree --locked -e normal -p layer-identity --prefix none --format '{p}' |
  awk '{ print $1 }' | sort -u)
if [ "$allowed" != "$actual" ]; then
  echo "check-lib-deps: the library's dependencies are not those of scripts/lib-deps.txt" >&2
  diff <(echo "$allowed") <(echo "$actual") | sed -n "s/^> /  in the tree, not listed: /p; s/^< /  listed, not in the tree: /p" >&2
  echo "(a dependency of the command or the server belongs in cli/Cargo.toml; a new one of the" >&2
  echo " library is added to scripts/lib-deps.txt on purpose)" >&2
  exit 1
fi
echo "check-lib-deps: the library depends on $(echo "$actual" | wc -l) crates, as listed"
