"""My day over a real SQLite clinic: one provider's day on screen, the day sheet as HTML and
as a real PDF, and a sheet on the day London's clocks go forward."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.clinic import ExtraHours, Location, Room, TimeOff
from medbookings_desktop.services import booking, patients, setup
from medbookings_desktop.ui.my_day import (
    DaySheet,
    MyDayModel,
    MyDayView,
    load_day_sheet,
    render_day_sheet,
)
from medbookings_desktop.ui.tasks import TaskRunner
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

MONDAY = date(2026, 6, 1)
SPRING_FORWARD = date(2026, 3, 29)  # a Sunday: London goes from GMT to BST at 01:00 UTC

try:
    import pypdf
except ImportError:  # pragma: no cover - the test extra installs it
    pypdf = None


def _london_june(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 1, hour - 1, minute, tzinfo=UTC)  # BST is UTC+1


@dataclass
class Day:
    clinic: SmallClinic
    tasks: TaskRunner
    view: MyDayView
    ids: dict[str, int]


def _book(clinic: SmallClinic, patient: int, service: int, start: datetime, **kw: object) -> int:
    done = booking.book(
        clinic.ctx,
        patient_id=patient,
        provider_id=clinic.dr_a.id or 0,
        service_id=service,
        start=start,
        **kw,  # type: ignore[arg-type]
    )
    assert done.appointment.id is not None
    return done.appointment.id


@pytest.fixture
def day(sqlite_url: str, clock: Clock, qtbot: QtBot) -> Iterator[Day]:
    clinic = build_small_clinic(sqlite_url, clock)
    ada, ben = clinic.ada.id or 0, clinic.ben.id or 0
    patients.edit(clinic.ctx, ada, date_of_birth=date(1984, 2, 29))
    ids = {
        # booked out of order: the screen and the sheet put them in order
        "ben_14": _book(
            clinic, ben, clinic.checkup.id or 0, _london_june(14), notes="Bring <X-ray>"
        ),
        "ada_9": _book(clinic, ada, clinic.consultation.id or 0, _london_june(9)),
        "ada_video": _book(clinic, ada, clinic.video.id or 0, _london_june(11)),
        "ben_10": _book(clinic, ben, clinic.checkup.id or 0, _london_june(10)),
    }
    booking.cancel(clinic.ctx, ids["ben_10"], reason="Rang to cancel")
    with clinic.ctx.write() as uow:  # what calendar sync leaves on an online appointment
        video = uow.appointments.get(ids["ada_video"])
        uow.appointments.update(
            replace(
                video, meet_url="https://meet.example.org/abc-defg-hij", revision=video.revision + 1
            ),
            clinic.clock(),
        )
        uow.commit()
    tasks = TaskRunner()
    clinic_settings = setup.clinic_settings(clinic.ctx)
    view = MyDayView(clinic.ctx, tasks, clinic_settings)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    yield Day(clinic, tasks, view, ids)
    tasks.shutdown()
    clinic.engine.dispose()


def _show(qtbot: QtBot, view: MyDayView, provider_id: int, on: date) -> None:
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.show_day(provider_id, on)


def _column(model: MyDayModel, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_my_day_lists_the_day_in_order_with_breaks(day: Day, qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    view = day.view
    _show(qtbot, view, day.clinic.dr_a.id or 0, MONDAY)
    model = view.model
    qtmodeltester.check(model)

    assert _column(model, 0) == [
        "09:00–09:30",
        "10:00–10:15",  # cancelled: faded on screen, in its place
        "11:00–11:20",
        "12:30–13:00",
        "14:00–14:15",
    ]
    assert _column(model, 1) == ["Ada Okafor", "Ben Adams", "Ada Okafor", "Lunch", "Ben Adams"]
    assert _column(model, 2)[0] == "29/02/1984"
    assert _column(model, 4)[:3] == ["Riverside", "Riverside", "Online"]
    assert _column(model, 5)[:2] == ["Booked", "Cancelled"]
    assert model.index(2, 4).data(0x03) == "https://meet.example.org/abc-defg-hij"  # tooltip
    assert model.index(1, 0).data(0x09) is not None  # a faded foreground for the cancelled row
    assert "3 appointments" in view.title.text()
    assert view.provider_box.currentText() == "Dr Thandi Mokoena"
    assert view.print_action.isEnabled() and view.pdf_action.isEnabled()


def test_date_navigation_moves_a_day_at_a_time(day: Day, qtbot: QtBot) -> None:
    view = day.view
    _show(qtbot, view, day.clinic.dr_a.id or 0, MONDAY)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.next_action.trigger()
    assert view.day == date(2026, 6, 2)
    assert view.date_edit.date().toPython() == date(2026, 6, 2)
    assert view.model.sheet is not None and view.model.sheet.booked == ()
    assert _column(view.model, 1) == ["Lunch"]
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.previous_action.trigger()
    assert view.model.rowCount() == 5
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.step(5)  # Saturday: no hours, so no lunch either
    assert view.model.rowCount() == 0
    assert view.empty.isVisible() and not view.table.isVisible()


def test_day_sheet_html(day: Day) -> None:
    sheet = load_day_sheet(day.clinic.ctx, day.clinic.dr_a.id or 0, MONDAY)
    page = render_day_sheet(sheet)

    assert "<h1>Riverside Clinic</h1>" in page
    assert "Dr Thandi Mokoena — Monday, 1 June 2026" in page  # the clinic's locale, en_GB
    assert "Times in Europe/London (BST) · 3 appointments" in page
    # in time order, lunch in its place, cancelled after the day's table
    order = [page.index(s) for s in ("09:00–09:30", "11:00–11:20", "Lunch", "14:00–14:15")]
    assert order == sorted(order)
    main, cancelled = page.split('<h3 class="cancelled">')
    assert "Ben Adams" in main and "10:00–10:15" not in main
    assert "10:00–10:15" in cancelled
    assert "29/02/1984" in main
    assert 'href="https://meet.example.org/abc-defg-hij"' in main
    assert "Bring &lt;X-ray&gt;" in main  # notes escaped, never markup
    assert "Total: 3 appointments" in page


def test_sheet_follows_the_clinic_locale(day: Day) -> None:
    sheet = replace(load_day_sheet(day.clinic.ctx, day.clinic.dr_a.id or 0, MONDAY), locale="en_US")
    page = render_day_sheet(sheet)
    assert "Monday, June 1, 2026" in page
    assert "9:00\u202fAM" in page or "9:00 AM" in page
    assert "2/29/84" in page


def test_empty_day_sheet_says_so(day: Day) -> None:
    sheet = load_day_sheet(day.clinic.ctx, day.clinic.dr_b.id or 0, MONDAY)
    page = render_day_sheet(sheet)
    assert "No appointments." in page and "Total: 0 appointments" in page


def test_time_off_on_the_sheet(day: Day) -> None:
    pid = day.clinic.dr_b.id or 0
    # Dr Berg away all Wednesday (London midnight to midnight)
    setup.add_time_off(
        day.clinic.ctx,
        TimeOff(
            pid,
            datetime(2026, 6, 2, 23, tzinfo=UTC),
            datetime(2026, 6, 3, 23, tzinfo=UTC),
            "Training",
        ),
    )
    sheet = load_day_sheet(day.clinic.ctx, pid, date(2026, 6, 3))
    assert [(b.label, b.all_day) for b in sheet.blocks] == [("Training", True)]
    assert "All day" in render_day_sheet(sheet)


def test_save_as_pdf_writes_a_real_pdf(day: Day, qtbot: QtBot, tmp_path: Path) -> None:
    view = day.view
    _show(qtbot, view, day.clinic.dr_a.id or 0, MONDAY)
    assert view.suggested_file_name() == "Dr-Thandi-Mokoena-2026-06-01.pdf"
    target = tmp_path / view.suggested_file_name()

    view.save_pdf(target)

    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 5_000
    if pypdf is not None:
        text = "".join(page.extract_text() for page in pypdf.PdfReader(target).pages)
        flat = re.sub(r"\s+", " ", text)
        for expected in ("Riverside Clinic", "Ada Okafor", "Ben Adams", "09:00", "14:00"):
            assert expected in flat
        assert flat.index("09:00") < flat.index("14:00")


def test_sheet_on_a_clock_change_day_shows_local_times(
    sqlite_url: str, qtbot: QtBot, tmp_path: Path
) -> None:
    clinic = build_small_clinic(sqlite_url, Clock(datetime(2026, 3, 20, 9, tzinfo=UTC)))
    pid = clinic.dr_a.id or 0
    setup.add_extra_hours(
        clinic.ctx,
        ExtraHours(pid, clinic.london.id or 0, SPRING_FORWARD, time(0), time(12)),
    )
    ada, checkup = clinic.ada.id or 0, clinic.checkup.id or 0
    # 00:30 GMT (before the jump) and 09:00 BST (08:00 UTC, after it)
    _book(clinic, ada, checkup, datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    _book(clinic, clinic.ben.id or 0, checkup, datetime(2026, 3, 29, 8, 0, tzinfo=UTC))

    sheet = load_day_sheet(clinic.ctx, pid, SPRING_FORWARD)
    assert isinstance(sheet, DaySheet)
    page = render_day_sheet(sheet)
    assert "00:30–00:45" in page and "09:00–09:15" in page
    assert "08:00–08:15" not in page
    assert "Clocks go forward today (GMT → BST)." in page

    tasks = TaskRunner()
    view = MyDayView(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx))
    qtbot.addWidget(view)
    _show(qtbot, view, pid, SPRING_FORWARD)
    assert _column(view.model, 0) == ["00:30–00:45", "09:00–09:15"]
    assert "Clocks go forward today" in view.title.text()
    target = tmp_path / "spring.pdf"
    view.save_pdf(target)
    assert target.read_bytes().startswith(b"%PDF-")
    if pypdf is not None:
        text = "".join(p.extract_text() for p in pypdf.PdfReader(target).pages)
        assert "09:00" in text and "08:00" not in text
    tasks.shutdown()
    clinic.engine.dispose()


def test_keys_move_the_day_and_print_goes_to_the_printer(
    day: Day, qtbot: QtBot, tmp_path: Path
) -> None:
    view = day.view
    _show(qtbot, view, day.clinic.dr_a.id or 0, MONDAY)
    view.table.setFocus()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        qtbot.keyClick(view.table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert view.day == date(2026, 6, 2)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        qtbot.keyClick(view.table, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert view.day == MONDAY  # the clinic's today by the test clock
    # what the print dialog hands back: a printer set up by the user (here, to a file)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert view.print_to(printer)
    assert (tmp_path / "printed.pdf").read_bytes().startswith(b"%PDF-")
    assert view.print_action.shortcut().toString() == "Ctrl+P"


def test_room_and_another_zone_named_on_the_sheet(day: Day) -> None:
    clinic = day.clinic
    ctx, pid = clinic.ctx, clinic.dr_a.id or 0
    room = setup.save_room(ctx, Room(name="Room 2", location_id=clinic.london.id or 0))
    _book(clinic, clinic.ben.id or 0, clinic.checkup.id or 0, _london_june(15), room_id=room.id)
    # Dr Mokoena also sees patients in New York on Monday evening (London time)
    ny = setup.save_location(ctx, Location(name="Hudson", zone="America/New_York"))
    assert ny.id is not None
    setup.set_works_at(ctx, pid, ny.id, True)
    setup.add_extra_hours_at(ctx, ExtraHours(pid, ny.id, MONDAY, time(14), time(16)))
    _book(
        clinic,
        clinic.ada.id or 0,
        clinic.checkup.id or 0,
        datetime(2026, 6, 1, 18, 0, tzinfo=UTC),
        location_id=ny.id,
    )

    sheet = load_day_sheet(ctx, pid, MONDAY)
    page = render_day_sheet(sheet)

    assert sheet.zone == "Europe/London"  # her first location's
    assert "Riverside · Room 2" in page
    assert "14:00–14:15 (America/New_York)" in page and "Hudson" in page


def test_without_shortcuts_the_window_keeps_the_keys(day: Day, qtbot: QtBot) -> None:
    view = MyDayView(
        day.clinic.ctx, day.tasks, setup.clinic_settings(day.clinic.ctx), shortcuts=False
    )
    qtbot.addWidget(view)
    assert view.next_action.shortcut().isEmpty() and view.print_action.shortcut().isEmpty()
    assert view.print_action.toolTip() == "Print the day (Ctrl+P)"
    _show(qtbot, view, day.clinic.dr_a.id or 0, MONDAY)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        view.step(1)  # what the window's own Alt+Right calls
    assert view.day == date(2026, 6, 2)
