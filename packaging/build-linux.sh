#!/usr/bin/env bash
# Build the Linux one-folder app and its archive:  packaging/build-linux.sh [PYTHON]
#
#   dist/MedBookings/medbookings            the app (double-click or run from a terminal)
#   dist/MedBookings-<version>-linux-<arch>.tar.gz
#
# PYTHON (default .venv/bin/python, else python3) must have the project installed with the
# package extra:  pip install -e '.[package]'.  Needs binutils (strip, objdump).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PY="${1:-${PYTHON:-}}"
if [[ -z "$PY" ]]; then
    if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
version="$("$PY" -c 'import medbookings_desktop as m; print(m.__version__)')"
arch="$(uname -m)"

rm -rf build/pyinstaller dist/MedBookings
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath build/pyinstaller --distpath dist packaging/medbookings.spec

archive="dist/MedBookings-${version}-linux-${arch}.tar.gz"
tar -C dist -czf "$archive" MedBookings
echo "built dist/MedBookings ($(du -sh --apparent-size dist/MedBookings | cut -f1)), $archive ($(du -h "$archive" | cut -f1))"
