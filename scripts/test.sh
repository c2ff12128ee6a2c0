#!/usr/bin/env bash
# The test suite: about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
TF_CPP_MIN_LOG_LEVEL=2 python -m pytest -q -p no:cacheprovider tests "$@"
