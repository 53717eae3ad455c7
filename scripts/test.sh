#!/usr/bin/env bash
# The whole test suite: Rust unit tests (no Python needed), then the Python package's tests.
# pytest must collect and pass at least one test; "no tests ran" fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --lib --quiet
python3 -m pip install --quiet .
python3 -m pytest tests -q -p no:cacheprovider "$@"
