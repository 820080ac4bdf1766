"""Retake the README's screenshots from the real window on a fresh small demo clinic.

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py [FOLDER]

Builds the demo clinic in a temporary SQLite file (the demo's "today" is the next weekday),
queues two walk-ins and one Needs attention item, then opens each main view and saves it
as PNG into FOLDER (default docs/screenshots).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from medbookings_desktop.bootstrap import open_app
from medbookings_desktop.demo import Size, build_demo
from medbookings_desktop.services import patients, setup, walk_ins
from medbookings_desktop.ui.main_window import MainWindow


def pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def settle(window: MainWindow, ms: int = 600) -> None:
    pump(100)
    while window.tasks.busy():
        pump(50)
    pump(ms)


def save(widget: QWidget, folder: Path, name: str) -> None:
    widget.grab().save(str(folder / f"{name}.png"))
    print(f"saved {name}.png")


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="medbookings-shots-"))
    app = QApplication(sys.argv[:1])
    desk = open_app(f"sqlite:///{work / 'clinic.sqlite3'}", backup_dir=None, actor="Front desk")
    ctx = desk.ctx
    build_demo(ctx, desk.engine, size=Size.SMALL, seed=7)
    services = setup.all_services(ctx)
    for name in ("Okafor", "Patel"):
        found = patients.search(ctx, name, limit=1)
        if found and found[0].id is not None:
            walk_ins.add_to_queue(ctx, patient_id=found[0].id, service_id=services[0].id or 0)
    with ctx.write() as uow:
        uow.attention.add(
            "reply",
            "A patient replied to a reminder with a question: call them back",
            datetime.now(UTC) - timedelta(minutes=12),
            service="twilio",
        )
        uow.commit()

    settings = QSettings(str(work / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        ctx, database="SQLite: clinic.sqlite3", settings=settings, database_url=str(desk.engine.url)
    )
    window.resize(1400, 900)
    window.show()
    settle(window)
    window.start_desk()
    settle(window)
    window.walk_in_dock.hide()
    settle(window)
    save(window, folder, "day-view")

    window.walk_in_dock.show()
    settle(window)
    save(window, folder, "walk-in-queue")
    window.walk_in_dock.hide()

    window.show_week_view()
    settle(window)
    save(window, folder, "week-view")

    window.show_day_view()
    dialog = window.new_booking()
    settle(window)
    dialog.picker.edit.setFocus()
    for letter in "Oka":
        dialog.picker.edit.insert(letter)
    settle(window)
    save(dialog, folder, "booking-dialog")
    dialog.close()

    window.show_patients()
    settle(window)
    view = window.patients_view()
    view.table.selectRow(2) if hasattr(view, "table") else None
    settle(window)
    save(window, folder, "patients-view")

    window.show_providers()
    settle(window, 1000)
    save(window, folder, "providers-view")

    busiest = max(
        window.model.columns(),
        key=lambda c: len(window.model.lines_in(window.model.columns().index(c))),
    )
    window.show_my_day(busiest.provider_id)
    settle(window, 1000)
    save(window, folder, "my-day")

    window.show_day_view()
    window.show_attention()
    settle(window)
    save(window, folder, "needs-attention")

    dialog = window.open_settings()
    settle(window)
    save(dialog, folder, "settings")
    dialog.show_page("Messaging")
    settle(window)
    page = dialog.current_page()
    if page is not None:  # the whole page, not only what the dialog shows of it
        save(page, folder, "settings-messaging")
    dialog.close()
    window.close()
    desk.engine.dispose()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
