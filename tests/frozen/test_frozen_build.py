"""Smoke test of the packaged one-folder app (packaging/medbookings.spec).

Runs only where the build exists: MEDBOOKINGS_FROZEN_APP names its executable, e.g.
`MEDBOOKINGS_FROZEN_APP=dist/MedBookings/medbookings pytest -m frozen tests/frozen`
(packaging/ci-snippet.sh does the build and this run). Each test runs the real executable as
a desk would, with its data in a temporary MEDBOOKINGS_HOME and Qt on the offscreen platform.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from medbookings_desktop import __version__
from medbookings_desktop.bench_gui import time_first_paint
from medbookings_desktop.storage import migrate
from medbookings_desktop.sync.engine_process import EngineProcess
from medbookings_desktop.sync.runner import RunnerState

APP_ENV = "MEDBOOKINGS_FROZEN_APP"
APP = os.environ.get(APP_ENV, "")

pytestmark = [
    pytest.mark.frozen,
    pytest.mark.skipif(not APP, reason=f"no packaged app ({APP_ENV} is unset)"),
]

# start-ups timed per build, after one warming start each
STARTS = 3


@pytest.fixture(scope="module")
def app() -> Path:
    path = Path(APP).absolute()
    assert path.is_file(), f"{APP_ENV}={APP} is not a file"
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("frozen-home")


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDBOOKINGS_")}
    env["MEDBOOKINGS_HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / "xdg-config")
    env["QT_QPA_PLATFORM"] = "offscreen"
    # the frozen app must find its own Python parts, never the checkout's
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    env.update(extra)
    return env


def run(app: Path, home: Path, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(app), *argv],
        capture_output=True,
        text=True,
        env=app_env(home, **extra),
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_url(app: Path, home: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("frozen-demo") / "clinic.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    done = run(app, home, "--database", url, "demo")
    assert done.returncode == 0, done.stderr
    return url


def test_version(app: Path, home: Path) -> None:
    done = run(app, home, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"medbookings {__version__}"


def test_demo_fills_a_new_sqlite_file_through_the_bundled_migrations(demo_url: str) -> None:
    engine = create_engine(demo_url)
    try:
        with engine.connect() as conn:
            version = conn.scalar(text("SELECT version_num FROM alembic_version"))
            providers = conn.scalar(text("SELECT count(*) FROM providers"))
            appointments = conn.scalar(text("SELECT count(*) FROM appointments"))
    finally:
        engine.dispose()
    assert version == migrate.head_revision()
    assert providers and providers > 0
    assert appointments and appointments > 0


def test_the_window_opens_offscreen_and_quits_cleanly(app: Path, home: Path, demo_url: str) -> None:
    done = run(app, home, "--database", demo_url, MEDBOOKINGS_REPORT_FIRST_PAINT="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1:] == ["first-paint"]


def test_the_windows_engine_runs_as_a_child_of_the_packaged_app(
    app: Path, home: Path, demo_url: str
) -> None:
    """The window starts its engine as `medbookings sync --forever --supervised` (what
    sync/engine_process.py runs from a frozen build): it reports its state and stops cleanly."""
    told = threading.Event()
    states: list[RunnerState] = []

    def on_state(state: RunnerState, _report: object) -> None:
        states.append(state)
        if state in (RunnerState.NOT_CONFIGURED, RunnerState.IDLE):
            told.set()

    child = EngineProcess(
        demo_url,
        on_state=on_state,
        env=app_env(home),
        command=[str(app), "sync", "--forever", "--supervised", "--interval", "15"],
    )
    child.start()
    try:
        # the demo clinic has no sending service set up: the engine says so and waits
        assert told.wait(120), states
    finally:
        child.stop()
    assert RunnerState.ERROR not in states, states
    assert child.exit_codes == [0]


def diagnostics(app: Path, home: Path, demo_url: str) -> dict[str, Any]:
    done = run(app, home, "--database", demo_url, "diagnostics", "--json")
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def source_keyring_backend() -> str:
    """The backend `keyring` picks from source on this machine: the frozen app must agree."""
    code = "import keyring; k = keyring.get_keyring(); print(type(k).__module__, type(k).__name__)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return ".".join(done.stdout.split())


def test_keyring_tls_and_discovery_load(app: Path, home: Path, demo_url: str) -> None:
    found = diagnostics(app, home, demo_url)
    assert found["frozen"] is True
    assert found["versions"]["medbookings"] == __version__
    assert found["versions"]["SQLAlchemy"], "package metadata is bundled"
    assert found["database"]["kind"] == "sqlite"
    assert found["database"]["schema_version"] == migrate.head_revision()

    keyring = found["keyring"]
    # freezing loses entry points: the frozen app must see the same backends as the source
    assert keyring["backend"] == source_keyring_backend()
    own = {
        "linux": "keyring.backends.SecretService",
        "darwin": "keyring.backends.macOS",
        "win32": "keyring.backends.Windows",
    }.get(sys.platform)
    if own:
        assert own in keyring["loaded_backend_modules"]
    # never a silent plaintext store in place of a password store (keyrings.alt)
    modules = [keyring["backend"], *keyring["loaded_backend_modules"], *keyring["viable_backends"]]
    assert not [m for m in modules if m and m.startswith("keyrings")]
    if not keyring["usable"]:
        assert "password store" in keyring["note"]

    tls = found["tls"]
    assert tls["SSL_CERT_FILE_exists"] is True
    assert tls["certifi_exists"] is True
    assert tls["default_context_ca_certs"] > 0

    try:
        import googleapiclient  # noqa: F401
    except ImportError:
        return
    assert found["google_discovery"] == {"api": "calendar.v3", "installed": True, "loads": True}


SESSION_TOOLS = ("dbus-run-session", "gnome-keyring-daemon")

# a desktop session's password store: a D-Bus session bus with GNOME Keyring's Secret
# Service, its login keyring created and unlocked, then the command
IN_A_DESKTOP_SESSION = """set -e
eval "$(printf 'medbookings\\n' | gnome-keyring-daemon --unlock --components=secrets)"
exec "$@"
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not all(shutil.which(t) for t in SESSION_TOOLS),
    reason="needs dbus-run-session and gnome-keyring-daemon (a Linux desktop's Secret Service)",
)
def test_the_secret_service_is_used_where_a_password_store_runs(
    app: Path, home: Path, demo_url: str, tmp_path: Path
) -> None:
    """On a Linux desk with GNOME Keyring (or KWallet) running, the frozen app stores secrets
    there: the Secret Service backend loads, with secretstorage, jeepney and cryptography."""
    script = tmp_path / "session.sh"
    script.write_text(IN_A_DESKTOP_SESSION)
    (tmp_path / "home").mkdir()
    env = app_env(home, HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    argv = [str(app), "--database", demo_url, "diagnostics", "--json"]
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", str(script), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    keyring = json.loads(done.stdout)["keyring"]
    assert keyring["backend"] == "keyring.backends.SecretService.Keyring", keyring
    assert keyring["usable"] is True


def test_only_the_calendar_discovery_document_is_bundled(app: Path) -> None:
    documents = list(app.parent.rglob("googleapiclient/discovery_cache/documents/*.json"))
    assert [p.name for p in documents] in ([], ["calendar.v3.json"])


def folder_mb(folder: Path) -> float:
    files = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 1e6


# the Linux one-folder build's budget (issue 6), in MB of 10^6 bytes
LINUX_BUDGET_MB = 150


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the budget is the Linux build's")
def test_the_linux_build_keeps_to_its_size_budget(app: Path) -> None:
    assert folder_mb(app.parent) <= LINUX_BUDGET_MB


def test_startup_frozen_against_source(
    app: Path, home: Path, demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both start-ups, to the first painted calendar, in one run; printed, never judged."""
    frozen_env = app_env(home, MEDBOOKINGS_REPORT_FIRST_PAINT="1")
    source_env = dict(frozen_env)
    source_env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    frozen = [str(app), "--database", demo_url]
    source = [sys.executable, "-m", "medbookings_desktop", "--database", demo_url]
    time_first_paint(frozen, frozen_env)
    time_first_paint(source, source_env)
    frozen_s: list[float] = []
    source_s: list[float] = []
    for _ in range(STARTS):
        frozen_s.append(time_first_paint(frozen, frozen_env))
        source_s.append(time_first_paint(source, source_env))
    frozen_ms = statistics.median(frozen_s) * 1000
    source_ms = statistics.median(source_s) * 1000
    with capsys.disabled():
        print(
            f"\nfrozen start-up to first paint: {frozen_ms:.0f} ms (median of {STARTS}); "
            f"from source: {source_ms:.0f} ms; ratio {frozen_ms / source_ms:.2f}; "
            f"one-folder size {folder_mb(app.parent):.1f} MB"
        )
