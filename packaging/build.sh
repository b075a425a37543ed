#!/usr/bin/env bash
# Build the release artifacts: bash packaging/build.sh [bundle|deb|all|icons]   (default: all)
# Sets up the virtual environment (with PyInstaller) through setup.sh, then runs packaging/build.py.
# Results: dist/writer-companion/ (the one-folder bundle) and dist/writer-companion_VERSION_amd64.deb
set -euo pipefail
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/setup.sh" build "$@"
