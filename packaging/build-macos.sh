#!/usr/bin/env bash
# Build the macOS app and its archive:  packaging/build-macos.sh [PYTHON]
#
#   dist/MedBookings.app                    the app (bundle id org.medbookings.desktop)
#   dist/MedBookings/medbookings            the same program as a one-folder command line
#   dist/MedBookings-<version>-macos-<arch>.zip   (the .app, made with ditto so it keeps
#                                                  its symlinks and extended attributes)
#
# The app is not signed or notarised here: a clinic's IT opens it the first time with
# right-click → Open, or signs it with their own Developer ID (codesign --deep, notarytool).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PY="${1:-${PYTHON:-}}"
if [[ -z "$PY" ]]; then
    if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
version="$("$PY" -c 'import medbookings_desktop as m; print(m.__version__)')"
arch="$(uname -m)"

rm -rf build/pyinstaller dist/MedBookings dist/MedBookings.app
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath build/pyinstaller --distpath dist packaging/medbookings.spec

archive="dist/MedBookings-${version}-macos-${arch}.zip"
rm -f "$archive"
ditto -c -k --sequesterRsrc --keepParent dist/MedBookings.app "$archive"
echo "built dist/MedBookings.app ($(du -sh dist/MedBookings.app | cut -f1)), $archive"
