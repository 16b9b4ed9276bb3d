#!/usr/bin/env bash
# Install everything the tests need (system packages included), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --full
exec .venv/bin/python -m pytest "$@"
