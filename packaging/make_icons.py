"""Draw the app icon with Qt and write it as PNG, ICO (Windows) and ICNS (macOS).

    QT_QPA_PLATFORM=offscreen python packaging/make_icons.py

The generated files are committed (packaging/icons/); run this again only to change the icon.
ICO and ICNS are written by hand (PNG entries in both), so no image plugin is needed.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

OUT = Path(__file__).resolve().parent / "icons"
TEAL = QColor("#127a8a")
WHITE = QColor("#ffffff")
RED = QColor("#d64545")


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    s = size / 64  # drawn on a 64-unit grid
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    # background tile
    tile = QPainterPath()
    tile.addRoundedRect(QRectF(2 * s, 2 * s, 60 * s, 60 * s), 13 * s, 13 * s)
    p.fillPath(tile, TEAL)
    # a calendar sheet with its header band and two rings
    sheet = QPainterPath()
    sheet.addRoundedRect(QRectF(13 * s, 16 * s, 38 * s, 34 * s), 4 * s, 4 * s)
    p.fillPath(sheet, WHITE)
    p.fillRect(QRectF(13 * s, 16 * s, 38 * s, 8 * s), QColor("#dff1f3"))
    pen = QPen(WHITE, 3.2 * s, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.drawLine(QPointF(22 * s, 11 * s), QPointF(22 * s, 20 * s))
    p.drawLine(QPointF(42 * s, 11 * s), QPointF(42 * s, 20 * s))
    # a medical cross on the sheet
    p.setPen(Qt.PenStyle.NoPen)
    p.fillRect(QRectF(28.5 * s, 28 * s, 7 * s, 18 * s), RED)
    p.fillRect(QRectF(23 * s, 33.5 * s, 18 * s, 7 * s), RED)
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def write_ico(path: Path, sizes: list[int]) -> None:
    """ICONDIR + one ICONDIRENTRY per size, each image stored as PNG (Vista and later)."""
    images = [png_bytes(draw(n)) for n in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries = b""
    for n, data in zip(sizes, images, strict=True):
        dim = 0 if n >= 256 else n  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    path.write_bytes(header + entries + b"".join(images))


# ICNS element types that hold PNG data, by pixel size
ICNS_TYPES = [
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
]


def write_icns(path: Path) -> None:
    body = b""
    for kind, n in ICNS_TYPES:
        data = png_bytes(draw(n))
        body += kind + struct.pack(">I", 8 + len(data)) + data
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(OUT / "medbookings.png"))
    write_ico(OUT / "medbookings.ico", [16, 24, 32, 48, 64, 128, 256])
    write_icns(OUT / "medbookings.icns")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
