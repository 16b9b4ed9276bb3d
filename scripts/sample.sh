#!/usr/bin/env bash
# Build the bundled sample batch (examples/) into out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/assembler build examples/rules.yaml --checklist examples/checklist.md \
  --people examples/people.xlsx --vars examples/vars.yaml -o out --force "$@"
