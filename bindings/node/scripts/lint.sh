#!/usr/bin/env bash
# Lints the Node package: `node --check` on every JavaScript file, ESLint (eslint.config.mjs),
# `tsc --strict --noEmit` on the type definitions and test/types (files that use the public
# types), `bash -n` on the shell scripts. (The C source is compiled with -Wall -Wextra
# -Werror by build-addon.sh.) tsc skips checking the .d.ts files themselves here, for speed
# (@types/node is large); test/package.test.js compiles against the installed package's
# .d.ts files with every check on.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(find . -path ./node_modules -prune -o -path ./build -prune -o \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' \) -type f -print | sort)
count=$(printf '%s\n' $files | wc -l)
printf '%s\n' $files | xargs -P 2 -n 1 node --check
for script in scripts/*.sh test.sh check.sh run-backend.sh; do bash -n "$script"; done
node node_modules/eslint/bin/eslint.js --max-warnings 0 .
node node_modules/typescript/bin/tsc -p tsconfig.json
echo "lint: node --check on $count files, eslint, tsc --strict --noEmit on the types, bash -n on the scripts"
