"""The build's size savings (packaging/slim.py) change nothing the app does.

These run without a build: they slim the installed Babel and ICU data the way the spec does
and compare what the app (and Qt) get from the slimmed data with what they get from the
original.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_slim() -> ModuleType:
    spec = importlib.util.spec_from_file_location("medbookings_slim", ROOT / "packaging/slim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slim = load_slim()

# -- Babel ----------------------------------------------------------------------------------------

# what the app may call; each is compared below on the slimmed data
BABEL_CHECKED = {
    # localedata: only exists(), which looks for a locale's file; every locale's file is kept
    "babel": {"Locale", "UnknownLocaleError", "localedata"},
    "babel.dates": {
        "format_date",
        "format_time",
        "format_datetime",
        "format_timedelta",
        "get_timezone_name",
    },
    "babel.numbers": {"format_decimal", "format_currency", "format_percent"},
}

# languages in every script family the locale combo offers, with territory variants
LOCALES = [
    "en_GB", "en_US", "en_IN", "fr_FR", "fr_CA", "de_DE", "de_CH", "es_ES", "es_MX", "pt_BR",
    "it_IT", "nl_NL", "sv_SE", "pl_PL", "cs_CZ", "tr_TR", "el_GR", "ru_RU", "uk_UA", "sr_RS",
    "ar_EG", "ar_SA", "he_IL", "fa_IR", "hi_IN", "bn_BD", "ta_IN", "th_TH", "zh_CN", "zh_TW",
    "ja_JP", "ko_KR", "vi_VN", "id_ID", "sw_KE", "am_ET", "cy_GB", "ga_IE", "mt_MT", "ur_PK",
]  # fmt: skip

FORMAT_SCRIPT = r"""
import json, sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from babel import Locale, localedata
from babel.dates import (format_date, format_datetime, format_time, format_timedelta,
                         get_timezone_name)
from babel.numbers import format_currency, format_decimal, format_percent
if sys.argv[1] != "-":
    localedata._dirname = sys.argv[1]
out = {}
when = datetime(2026, 3, 29, 9, 5, tzinfo=ZoneInfo("Europe/London"))
for name in sys.argv[2:]:
    loc = Locale.parse(name)
    row = [str(loc)]
    for width in ("full", "long", "medium", "short"):
        row += [format_date(when, width, locale=loc), format_time(when, width, locale=loc),
                format_datetime(when, width, locale=loc)]
    row += [format_timedelta(timedelta(hours=-3), add_direction=True, locale=loc),
            get_timezone_name(when, locale=loc), format_decimal(1234567.891, locale=loc),
            format_currency(1234.5, "EUR", locale=loc), format_percent(0.256, locale=loc),
            format_date(when, "EEEE d MMMM y G QQQQ", locale=loc)]
    out[name] = row
print(json.dumps(out, ensure_ascii=False))
"""


def babel_formats(data_dir: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", FORMAT_SCRIPT, data_dir, *LOCALES],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: dict[str, list[str]] = json.loads(done.stdout)
    return found


def test_slimmed_babel_data_formats_every_checked_locale_the_same(tmp_path: Path) -> None:
    import babel

    source = Path(babel.__file__).parent / "locale-data"
    slimmed = tmp_path / "locale-data"
    for dat in source.glob("*.dat"):
        slim.repickle(dat, slimmed / dat.name, slim.BABEL_UNUSED_KEYS)
    size = sum(p.stat().st_size for p in slimmed.iterdir())
    assert size < sum(p.stat().st_size for p in source.iterdir()) / 2
    assert babel_formats(str(slimmed)) == babel_formats("-")


def babel_imports(tree: ast.AST) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("babel"):
            found |= {(node.module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {(a.name, "*") for a in node.names if a.name.startswith("babel")}
    return found


def test_the_app_calls_only_babel_functions_checked_on_the_slimmed_data() -> None:
    """A new Babel call (display names, units ...) must be checked above, and the spec's
    slim.BABEL_UNUSED_KEYS revisited, before it ships."""
    used = set()
    for path in (ROOT / "medbookings_desktop").rglob("*.py"):
        used |= babel_imports(ast.parse(path.read_text(encoding="utf-8")))
    unchecked = {(m, n) for m, n in used if n not in BABEL_CHECKED.get(m, set())}
    assert used, "the app formats message dates with Babel"
    assert not unchecked


# -- ICU ------------------------------------------------------------------------------------------

linux_with_binutils = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not all(shutil.which(t) for t in ("nm", "as", "ld")),
    reason="ICU data is slimmed on Linux, with binutils",
)


def icu_library() -> Path:
    import PySide6

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 has no ICU data library")
    return found[0]


@linux_with_binutils
def test_icu_common_data_is_written_back_item_for_item() -> None:
    _symbol, blob = slim._data_symbol(icu_library())
    header, items = slim.read_common_data(blob)
    again_header, again = slim.read_common_data(slim.write_common_data(header, items))
    assert again_header == header
    assert [n for n, _ in again] == [n for n, _ in items]
    # an item keeps its bytes (the trailing alignment may differ)
    for (_name, data), (_same, original) in zip(again, items, strict=True):
        assert data.rstrip(b"\0\xaa") == original.rstrip(b"\0\xaa")
    names = {n.split("/", 1)[1] for n, _ in items}
    assert {"coll/root.res", "zoneinfo64.res", "cnvalias.icu", "root.res"} <= names
    unused = {n for n in names if slim.icu_item_unused(n)}
    assert "brkitr/cjdict.dict" in unused and "lang/fr.res" in unused
    assert not any("/" not in n or n.startswith(("coll/", "zone/")) for n in unused)


QT_ICU_PROBE = r"""
from PySide6.QtCore import (QCollator, QCoreApplication, QDateTime, QLocale, QStringConverter,
                            QStringDecoder, QTimeZone)
app = QCoreApplication([])
out = [[line for line in open("/proc/self/maps") if "libicudata" in line][0].split()[-1]]
words = ["zebra", "äpple", "apple", "Örebro", "ole", "Ångström", "ch", "cz", "hotel", "ĉ"]
for name in ["sv_SE", "de_DE", "cs_CZ", "en_GB", "ja_JP", "tr_TR", "eo", "zh_CN"]:
    out.append(sorted(words, key=QCollator(QLocale(name)).sortKey))
when = QDateTime.fromSecsSinceEpoch(1774774800)
types = [QTimeZone.NameType.LongName, QTimeZone.NameType.ShortName, QTimeZone.NameType.OffsetName]
for zone in [b"Europe/London", b"America/New_York", b"Asia/Kolkata", b"Australia/Lord_Howe"]:
    for name in ["en_GB", "fr_FR", "de_DE", "ja_JP", "pt_BR", "ar_EG"]:
        out.append([QTimeZone(zone).displayName(when, t, QLocale(name)) for t in types])
for codec in ["windows-1252", "Shift_JIS", "ISO-8859-15", "GB18030", "KOI8-R", "EUC-KR"]:
    out.append([codec, QStringDecoder(codec).isValid()])
out.append(len(QStringConverter.availableCodecs()))
for name in ["tr_TR", "lt_LT", "el_GR", "en_US"]:
    out.append([QLocale(name).toUpper("istanbul ίδρυμα"), QLocale(name).toLower("İSTANBUL ΌΣΟΣ")])
print("\n".join(map(str, out)))
"""


@linux_with_binutils
def test_qt_gets_the_same_from_the_slimmed_icu_data(tmp_path: Path) -> None:
    """Collation, time-zone names, codecs and case mapping: all Qt asks ICU for."""
    library = icu_library()
    slimmed = tmp_path / library.name
    before, after = slim.slim_icu_data(library, slimmed)
    assert after < before * 0.6

    def probe(**env: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", QT_ICU_PROBE],
            capture_output=True,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
            check=True,
            timeout=120,
        )
        return done.stdout.splitlines()

    original = probe()
    with_slimmed = probe(LD_PRELOAD=str(slimmed))
    assert with_slimmed[0] == str(slimmed), "the slimmed library was loaded"
    assert original[0] == str(library)
    assert with_slimmed[1:] == original[1:]
