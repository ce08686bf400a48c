#!/bin/sh
# The project's one test command (see README): installs the package with its
# test extras, builds build/lib/libzova_c.{a,so} for the C, Go and Rust suites,
# then runs every suite through pytest. Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check '.[test]'
python3 build.py lib
python3 -m pytest tests "$@"
