# shellcheck shell=bash
# Sourced by .ci/run after the main test suite, before its summary:
#
#     step "packaged app: Linux one-folder build and its smoke test"
#     source packaging/ci-snippet.sh
#     if build_and_smoke_test_frozen; then
#         frozen_result="frozen build: ok"
#     else
#         frozen_result="frozen build: FAILED"
#         failures+=("frozen build")
#     fi
#
# and `echo "$frozen_result"` among the summary lines.
#
# Builds the Linux one-folder app with PyInstaller into dist/MedBookings (the package extra is
# installed into .venv first) and runs tests/frozen against it: --version, demo into a new
# SQLite file, the window offscreen, keyring/TLS/discovery, the Secret Service in a desktop
# session, the size budget, and the frozen vs source start-up.
# Uses .ci/run's apt_install when binutils (strip, objdump, nm, as, ld) is missing, and to add
# GNOME Keyring and a D-Bus session bus (dbus-run-session) for the Secret Service check; that
# check is skipped, with a note, where they cannot be installed.

build_and_smoke_test_frozen() {
    local repo
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    # every step checked by hand: `set -e` does not apply inside `if build_and_smoke_test_frozen`
    (
        cd "$repo" || exit 1
        if ! command -v objdump >/dev/null 2>&1 || ! command -v strip >/dev/null 2>&1; then
            if declare -F apt_install >/dev/null; then
                apt_install binutils || exit 1
            else
                echo "ci: PyInstaller needs binutils (objdump, strip)" >&2
                exit 1
            fi
        fi
        if ! command -v dbus-run-session >/dev/null 2>&1 ||
            ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
            # a subshell: apt_install exits where it cannot install
            if ! { declare -F apt_install >/dev/null && (apt_install gnome-keyring dbus); }; then
                echo "ci: no GNOME Keyring or dbus-run-session: the Secret Service check is skipped" >&2
            fi
        fi
        .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[dev,package]' ||
            exit 1
        packaging/build-linux.sh .venv/bin/python || exit 1
        MEDBOOKINGS_FROZEN_APP="$repo/dist/MedBookings/medbookings" \
            MEDBOOKINGS_TEST_NO_POSTGRES=1 \
            scripts/test -m frozen tests/frozen -p no:cacheprovider
    )
}
