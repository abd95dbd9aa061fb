#!/bin/sh
# Usage: sh scripts/lint.sh
#
# The static checks: eslint (eslint.config.js: typescript-eslint's recommended rules, type-aware),
# prettier --check (.prettierrc, .prettierignore) over the TypeScript, JavaScript and JSON, and
# clang-format --dry-run (.clang-format) over native/. Exit status 0 only when all three pass.
# To apply the formatting: prettier --write . && clang-format -i $(sh scripts/lint.sh --c-files)
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PATH="$ROOT/node_modules/.bin:$PATH"
export PATH

# native/'s C sources, without the generated protocol.h (scripts/protocol.mjs writes it).
c_files() { ls native/*.c native/*.h | grep -v '^native/protocol\.h$'; }
if [ "${1:-}" = --c-files ]; then c_files; exit 0; fi

command -v clang-format >/dev/null 2>&1 || { echo "lint: clang-format is not installed (Debian package clang-format; sh scripts/setup.sh installs it)" >&2; exit 1; }

failed=""
echo "lint: eslint" >&2
eslint --max-warnings 0 . || failed="$failed eslint"
echo "lint: prettier --check" >&2
prettier --check --log-level warn . || failed="$failed prettier"
echo "lint: clang-format --dry-run" >&2
# shellcheck disable=SC2046
clang-format --dry-run -Werror $(c_files) || failed="$failed clang-format"

if [ -n "$failed" ]; then
  echo "lint: failed:$failed" >&2
  exit 1
fi
echo "lint: passed" >&2
