#!/usr/bin/env bash
# Build the Linux one-folder app and its archive:  packaging/build-linux.sh [PYTHON]
#
#   dist/MedBookings/medbookings            the app (double-click or run from a terminal)
#   dist/MedBookings-<version>-linux-<arch>.tar.gz
#
# PYTHON (default .venv/bin/python, else python3) must have the project installed with the
# package extra:  pip install -e '.[package]'.  Needs binutils (strip, objdump, nm, as, ld).
# MEDBOOKINGS_DIST_DIR and MEDBOOKINGS_BUILD_DIR put the results and PyInstaller's work
# elsewhere (defaults: dist and build/pyinstaller in the checkout).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PY="${1:-${PYTHON:-}}"
if [[ -z "$PY" ]]; then
    if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
version="$("$PY" -c 'import medbookings_desktop as m; print(m.__version__)')"
arch="$(uname -m)"

dist="${MEDBOOKINGS_DIST_DIR:-dist}"
work="${MEDBOOKINGS_BUILD_DIR:-build/pyinstaller}"
rm -rf "$work" "$dist/MedBookings"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath "$work" --distpath "$dist" packaging/medbookings.spec

archive="$dist/MedBookings-${version}-linux-${arch}.tar.gz"
tar -C "$dist" -czf "$archive" MedBookings
size_mb="$(du -sb "$dist/MedBookings" | awk '{printf "%.1f", $1 / 1e6}')"
echo "built $dist/MedBookings (${size_mb} MB), $archive ($(du -h "$archive" | cut -f1))"
