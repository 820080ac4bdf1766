"""Build-time helpers of packaging/medbookings.spec that make the one-folder build smaller
without changing what the app does.

- `repickle`: Babel ships its locale data as protocol-2 pickles; pickled with protocol 5
  they take a third less room. The display names the app never looks up (languages,
  territories, currencies, units: `BABEL_UNUSED_KEYS`) are emptied; every locale stays, with
  its date, time, time-zone and number formats whole (32 MB to 10 MB).
- `slim_icu_data`: on Linux, PySide6's Qt links ICU 73, whose data library (libicudata,
  32 MB) holds every ICU service. Qt calls only collation (QCollator), converters
  (QStringConverter), time zones (QTimeZone names) and case mapping; this rebuilds the
  library with the same symbol and without the data only other ICU services read: break
  iteration, transliteration, spelled-out numbers, and the names of units, currencies,
  languages and territories (32 MB to 18 MB). Needs binutils (`nm`, `as`, `ld`), like the
  rest of the Linux build.

Loaded by the spec from its path (this folder is not a package: `packaging` is a PyPI name).
"""

from __future__ import annotations

import pickle
import re
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

# -- Babel ----------------------------------------------------------------------------------------


# What a locale's data holds that the app never reads: the display names of languages,
# territories, scripts, variants, currencies and units (Locale.languages, get_display_name,
# get_currency_name, format_unit). They are most of each locale's size; emptied, not removed,
# so a lookup finds nothing instead of failing. Dates, times, time-zone names, numbers and
# currency formats stay whole. tests/frozen/test_slim.py checks what the app formats is
# unchanged and that the app uses no Babel API these feed.
BABEL_UNUSED_KEYS = frozenset(
    {
        "languages",
        "territories",
        "scripts",
        "variants",
        "currency_names",
        "currency_names_plural",
        "unit_patterns",
        "unit_display_names",
        "compound_unit_patterns",
    }
)


def repickle(src: Path, dst: Path, emptied: frozenset[str] = frozenset()) -> None:
    """Write `src`'s pickled object to `dst` with protocol 5 (and the `emptied` keys of a
    dict emptied); refuse if the result does not load back the same."""
    original = src.read_bytes()
    data = pickle.loads(original)
    if emptied and isinstance(data, dict):
        data = {key: ({} if key in emptied else value) for key, value in data.items()}
    smaller = pickle.dumps(data, protocol=5)
    if pickle.dumps(pickle.loads(smaller), protocol=5) != smaller:
        raise ValueError(f"{src}: does not load back the same after re-pickling")
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(smaller if emptied or len(smaller) < len(original) else original)


# -- ICU common data ------------------------------------------------------------------------------

# ICU's package ("common data") format: a data header (uint16 size, magic 0xda 0x27, then a
# UDataInfo whose dataFormat is "CmnD"), a table of contents (uint32 count, then per item a
# uint32 name offset and a uint32 data offset, both from the table's start, sorted by name),
# the NUL-terminated names, and the items, each 16-byte aligned and self-contained.
ALIGN = 16

# what no part of Qt reads (see the module docstring); names are relative to the package's
# prefix, e.g. "icudt73l/". The main tree's per-locale bundles ("fr.res") stay: time-zone
# names take their digits from them (GMT+١ in Arabic).
ICU_UNUSED_TREES = ("brkitr/", "translit/", "rbnf/", "unit/", "curr/", "lang/", "region/")


def icu_item_unused(name: str) -> bool:
    """True for an item of libicudata that Qt never reads (`name` without the prefix)."""
    return name.startswith(ICU_UNUSED_TREES)


def _endian(blob: bytes) -> str:
    info_is_big_endian = blob[8]
    return ">" if info_is_big_endian else "<"


def read_common_data(blob: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(header, [(name, item bytes)]) of an ICU common-data package."""
    if blob[2:4] != b"\xda\x27" or blob[12:16] != b"CmnD":
        raise ValueError("not an ICU common-data package")
    end = _endian(blob)
    (header_size,) = struct.unpack_from(end + "H", blob, 0)
    toc = header_size
    (count,) = struct.unpack_from(end + "I", blob, toc)
    entries = [struct.unpack_from(end + "II", blob, toc + 4 + 8 * i) for i in range(count)]
    items = []
    for i, (name_offset, data_offset) in enumerate(entries):
        name_end = blob.index(b"\0", toc + name_offset)
        name = blob[toc + name_offset : name_end].decode("ascii")
        stop = toc + entries[i + 1][1] if i + 1 < count else len(blob)
        items.append((name, blob[toc + data_offset : stop]))
    return blob[:header_size], items


def write_common_data(header: bytes, items: Iterable[tuple[str, bytes]]) -> bytes:
    """The package holding `items` (name, bytes) with `header`, as ICU's icupkg lays it out."""
    items = sorted(items, key=lambda item: item[0].encode("ascii"))
    end = _endian(header)
    count = len(items)
    names = b""
    name_offsets = []
    toc_size = 4 + 8 * count
    for name, _data in items:
        name_offsets.append(toc_size + len(names))
        names += name.encode("ascii") + b"\0"
    body_start = toc_size + len(names)
    body_start += -(len(header) + body_start) % ALIGN
    body = b""
    data_offsets = []
    for _name, data in items:
        data_offsets.append(body_start + len(body))
        body += data + b"\0" * (-len(data) % ALIGN)
    toc = struct.pack(end + "I", count) + b"".join(
        struct.pack(end + "II", n, d) for n, d in zip(name_offsets, data_offsets, strict=True)
    )
    padding = b"\0" * (body_start - toc_size - len(names))
    return header + toc + names + padding + body


def filter_common_data(blob: bytes, unused: Callable[[str], bool]) -> bytes:
    """`blob` without the items for which `unused(name without its "icudtNNl/" prefix)`."""
    header, items = read_common_data(blob)
    kept = [(name, data) for name, data in items if not unused(name.split("/", 1)[-1])]
    return write_common_data(header, kept)


def _data_symbol(library: Path) -> tuple[str, bytes]:
    """(name, bytes) of the one data symbol (icudtNN_dat) a libicudata exports."""
    symbols = subprocess.run(
        ["nm", "-D", "-S", "--defined-only", str(library)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^([0-9a-f]+) ([0-9a-f]+) [RrDd] (icudt\d+_dat)$", symbols, re.MULTILINE)
    if not found:
        raise ValueError(f"{library}: no icudtNN_dat symbol")
    address, size, symbol = int(found.group(1), 16), int(found.group(2), 16), found.group(3)
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(library)], capture_output=True, text=True, check=True
    ).stdout
    for line in sections.splitlines():
        cols = re.findall(r"\S+", line.replace("[ ", "["))
        if len(cols) >= 6 and cols[2] == "PROGBITS":
            section_address, offset = int(cols[3], 16), int(cols[4], 16)
            section_size = int(cols[5], 16)
            if section_address <= address < section_address + section_size:
                raw = library.read_bytes()
                start = offset + address - section_address
                return symbol, raw[start : start + size]
    raise ValueError(f"{library}: {symbol} is in no section")


def slim_icu_data(library: Path, out: Path) -> tuple[int, int]:
    """Write `library` (a libicudata.so.NN) to `out` without the items Qt does not read.

    Returns (bytes before, bytes after) of the data. The new library has the same soname and
    exports the same symbol, 16-byte aligned.
    """
    symbol, blob = _data_symbol(library)
    slim = filter_common_data(blob, icu_item_unused)
    soname = library.name
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "icudata.bin"
        data.write_bytes(slim)
        source = Path(tmp) / "icudata.s"
        # `%` forms work on every ELF target (`@` starts a comment on some)
        source.write_text(
            "\t.section .rodata\n"
            f"\t.globl {symbol}\n"
            f"\t.type {symbol}, %object\n"
            f"\t.size {symbol}, {len(slim)}\n"
            "\t.balign 16\n"
            f"{symbol}:\n"
            f'\t.incbin "{data}"\n'
            '\t.section .note.GNU-stack,"",%progbits\n'
        )
        obj = Path(tmp) / "icudata.o"
        subprocess.run(["as", "-o", str(obj), str(source)], check=True)
        subprocess.run(["ld", "-shared", "-soname", soname, "-o", str(out), str(obj)], check=True)
    return len(blob), len(slim)
