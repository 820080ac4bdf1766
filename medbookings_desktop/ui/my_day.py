"""My day: one provider's day on screen, and the same day as a printed (or PDF) day sheet.

The sheet is loaded on the task helper into a plain `DaySheet`; the screen's model and the
printed page are both made from it, so what is printed is what was on screen. Cancelled
appointments are faded on screen and listed apart, faded, under the printed day's table: a
provider sees the freed time without mistaking it for a patient to expect.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeySequence, QPalette, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.wall_clock import resolve_wall_time
from medbookings_desktop.services import agenda, clinic_admin, patients, setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.day_model import status_word
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex


def _tr(text: str) -> str:
    return QCoreApplication.translate("MyDay", text)


# -- what a day sheet holds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetEntry:
    """One appointment, its times already in `zone`."""

    appointment_id: int
    start: datetime
    end: datetime
    zone: str
    patient_name: str
    date_of_birth: date | None
    service: str
    online: bool
    location: str | None
    room: str | None
    meet_url: str | None
    status: Status
    notes: str

    @property
    def cancelled(self) -> bool:
        return self.status is Status.CANCELLED


@dataclass(frozen=True, slots=True)
class SheetBlock:
    """A break or time off, clipped to the day, in the sheet's zone."""

    start: datetime
    end: datetime
    label: str
    all_day: bool = False


@dataclass(frozen=True, slots=True)
class DaySheet:
    clinic_name: str
    locale: str
    provider_id: int
    provider_name: str
    on: date
    zone: str
    entries: tuple[SheetEntry, ...]  # by start, cancelled ones too
    blocks: tuple[SheetBlock, ...]  # by start

    @property
    def booked(self) -> tuple[SheetEntry, ...]:
        return tuple(e for e in self.entries if not e.cancelled)

    @property
    def cancelled(self) -> tuple[SheetEntry, ...]:
        return tuple(e for e in self.entries if e.cancelled)


def _day_bounds(on: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        resolve_wall_time(on, time(0), tz),
        resolve_wall_time(on + timedelta(days=1), time(0), tz, is_end=True),
    )


def load_day_sheet(ctx: Context, provider_id: int, on: date) -> DaySheet:
    """Runs on a pool thread: the provider's appointments, breaks and time off on `on`."""
    clinic = setup.clinic_settings(ctx)
    schedule = setup.provider_schedule(ctx, provider_id, since=on)
    lines = agenda.day(ctx, on, provider_id=provider_id, include_cancelled=True)
    births = {pid: patients.get(ctx, pid).date_of_birth for pid in _patient_ids(lines)}
    room_names = (
        {r.id: r.name for r in setup.rooms(ctx)}
        if any(ln.appointment.room_id for ln in lines)
        else {}
    )
    entries = []
    for line in sorted(lines, key=lambda ln: (ln.appointment.start, ln.appointment.id or 0)):
        a = line.appointment
        entries.append(
            SheetEntry(
                appointment_id=a.id or 0,
                start=line.local_start,
                end=line.local_end,
                zone=line.zone,
                patient_name=line.patient_name,
                date_of_birth=births.get(a.patient_id),
                service=line.service_name,
                online=a.online,
                location=line.location_name,
                room=room_names.get(a.room_id) if a.room_id is not None else None,
                meet_url=a.meet_url,
                status=a.status,
                notes=a.notes,
            )
        )
    tz = ZoneInfo(schedule.zone)
    day_start, day_end = _day_bounds(on, tz)
    blocks: list[SheetBlock] = []
    zones = {loc.id: loc.zone for loc in clinic_admin.locations(ctx)}
    works_at = {h.location_id for h in schedule.hours if h.applies_on(on)} | {
        e.location_id for e in schedule.extra_hours if e.day == on
    }
    for b in schedule.breaks:
        if b.weekday != on.weekday() or b.location_id not in works_at:
            continue
        btz = ZoneInfo(zones.get(b.location_id, schedule.zone))
        start = resolve_wall_time(on, b.start, btz)
        end = (
            resolve_wall_time(on + timedelta(days=1), time(0), btz, is_end=True)
            if b.end == time(0)
            else resolve_wall_time(on, b.end, btz, is_end=True)
        )
        blocks.append(SheetBlock(start.astimezone(tz), end.astimezone(tz), b.label))
    for off in schedule.time_off:
        if off.end <= day_start or off.start >= day_end:
            continue
        start, end = max(off.start, day_start), min(off.end, day_end)
        label = off.reason or _tr("Time off")
        whole = start == day_start and end == day_end
        blocks.append(SheetBlock(start.astimezone(tz), end.astimezone(tz), label, whole))
    return DaySheet(
        clinic_name=clinic.name,
        locale=clinic.locale,
        provider_id=provider_id,
        provider_name=schedule.provider.display_name,
        on=on,
        zone=schedule.zone,
        entries=tuple(entries),
        blocks=tuple(sorted(blocks, key=lambda b: b.start)),
    )


def _patient_ids(lines: Sequence[agenda.AgendaLine]) -> list[int]:
    return sorted({ln.appointment.patient_id for ln in lines})


# -- formatting shared by the screen and the sheet -------------------------------------------


def _time(locale: QLocale, at: datetime) -> str:
    return locale.toString(QTime(at.hour, at.minute), QLocale.FormatType.ShortFormat)


def time_span(locale: QLocale, entry_or_block: SheetEntry | SheetBlock, zone: str) -> str:
    """ "09:00–09:30", naming the zone when it is not the sheet's own."""
    text = f"{_time(locale, entry_or_block.start)}–{_time(locale, entry_or_block.end)}"
    if isinstance(entry_or_block, SheetEntry) and entry_or_block.zone != zone:
        text += f" ({entry_or_block.zone})"
    return text


def long_date(locale: QLocale, on: date) -> str:
    return locale.toString(QDate(on.year, on.month, on.day), QLocale.FormatType.LongFormat)


def short_date(locale: QLocale, on: date | None) -> str:
    if on is None:
        return "—"
    return locale.toString(QDate(on.year, on.month, on.day), QLocale.FormatType.ShortFormat)


def place(entry: SheetEntry) -> str:
    """Where the patient is seen: location and room, or online (and the link once made)."""
    if entry.online:
        return _tr("Online")
    return " · ".join(p for p in (entry.location, entry.room) if p) or _tr("In person")


def count_text(count: int) -> str:
    if count == 1:
        return _tr("1 appointment")
    return _tr("{count} appointments").format(count=count)


def clock_change(on: date, zone: str) -> str | None:
    """A line for a day the clocks change on, else None."""
    tz = ZoneInfo(zone)
    start, end = _day_bounds(on, tz)
    before, after = start.astimezone(tz), (end - timedelta(microseconds=1)).astimezone(tz)
    if before.utcoffset() == after.utcoffset():
        return None
    forward = (after.utcoffset() or timedelta(0)) > (before.utcoffset() or timedelta(0))
    text = (
        _tr("Clocks go forward today ({before} → {after}).")
        if forward
        else _tr("Clocks go back today ({before} → {after}).")
    )
    return text.format(before=before.tzname(), after=after.tzname())


# -- the printed sheet -------------------------------------------------------------------------

_STYLE = """
body { font-family: sans-serif; font-size: 10pt; color: #000000; }
h1 { font-size: 16pt; margin-bottom: 0px; }
h2 { font-size: 13pt; margin-top: 4px; }
p.meta { color: #333333; }
th { text-align: left; background-color: #e8e8e8; font-weight: bold; }
td.time { white-space: nowrap; font-weight: bold; }
tr.block td { color: #555555; font-style: italic; background-color: #f4f4f4; }
table.cancelled td { color: #999999; }
h3.cancelled { color: #777777; font-size: 11pt; }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _entry_row(locale: QLocale, sheet: DaySheet, entry: SheetEntry) -> str:
    if entry.online:
        where = _e(place(entry))
        if entry.meet_url:
            where += f'<br/><a href="{_e(entry.meet_url)}">{_e(entry.meet_url)}</a>'
    else:
        where = _e(place(entry))
    notes = "<br/>".join(_e(part) for part in entry.notes.splitlines())
    status = _e(status_word(entry.status))
    if entry.status is Status.NO_SHOW:
        status = f"<s>{status}</s>"
    return (
        "<tr>"
        f'<td class="time">{_e(time_span(locale, entry, sheet.zone))}</td>'
        f"<td><b>{_e(entry.patient_name)}</b></td>"
        f"<td>{_e(short_date(locale, entry.date_of_birth))}</td>"
        f"<td>{_e(entry.service)}</td>"
        f"<td>{where}</td>"
        f"<td>{status}</td>"
        f"<td>{notes}</td>"
        "</tr>"
    )


def _block_row(locale: QLocale, sheet: DaySheet, block: SheetBlock) -> str:
    when = _tr("All day") if block.all_day else time_span(locale, block, sheet.zone)
    return (
        f'<tr class="block"><td class="time">{_e(when)}</td>'
        f'<td colspan="6">{_e(block.label)}</td></tr>'
    )


def _header_row() -> str:
    names = (
        _tr("Time"),
        _tr("Patient"),
        _tr("Date of birth"),
        _tr("Service"),
        _tr("Where"),
        _tr("Status"),
        _tr("Notes"),
    )
    return "<tr>" + "".join(f"<th>{_e(n)}</th>" for n in names) + "</tr>"


def render_day_sheet(sheet: DaySheet) -> str:
    """The day sheet as HTML for a QTextDocument: header, the day in time order, the count."""
    locale = QLocale(sheet.locale)
    tz = ZoneInfo(sheet.zone)
    noon = datetime.combine(sheet.on, time(12), tz)
    parts = [
        '<html><head><meta charset="utf-8"/>',
        f"<title>{_e(sheet.provider_name)} — {_e(long_date(locale, sheet.on))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_e(sheet.clinic_name)}</h1>",
        f"<h2>{_e(sheet.provider_name)} — {_e(long_date(locale, sheet.on))}</h2>",
        '<p class="meta">'
        + _e(
            _tr("Times in {zone} ({abbreviation})").format(
                zone=sheet.zone, abbreviation=noon.tzname()
            )
        )
        + " · "
        + _e(count_text(len(sheet.booked)))
        + "</p>",
    ]
    change = clock_change(sheet.on, sheet.zone)
    if change:
        parts.append(f'<p class="meta"><b>{_e(change)}</b></p>')
    rows: list[tuple[datetime, int, str]] = [
        (e.start, 1, _entry_row(locale, sheet, e)) for e in sheet.booked
    ]
    rows += [(b.start, 0, _block_row(locale, sheet, b)) for b in sheet.blocks]
    if rows:
        parts.append('<table width="100%" cellspacing="0" cellpadding="4" border="0.5">')
        parts.append(_header_row())
        parts += [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]
        parts.append("</table>")
    if not sheet.booked:
        parts.append(f"<p>{_e(_tr('No appointments.'))}</p>")
    if sheet.cancelled:
        parts.append(f'<h3 class="cancelled">{_e(_tr("Cancelled"))}</h3>')
        parts.append(
            '<table class="cancelled" width="100%" cellspacing="0" cellpadding="3" border="0">'
        )
        for e in sheet.cancelled:
            parts.append(
                "<tr>"
                f'<td class="time">{_e(time_span(locale, e, sheet.zone))}</td>'
                f"<td>{_e(e.patient_name)}</td><td>{_e(e.service)}</td>"
                "</tr>"
            )
        parts.append("</table>")
    parts.append(
        f"<p><b>{_e(_tr('Total: {count}').format(count=count_text(len(sheet.booked))))}</b></p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def sheet_document(sheet: DaySheet) -> QTextDocument:
    doc = QTextDocument()
    doc.setHtml(render_day_sheet(sheet))
    doc.setMetaInformation(
        QTextDocument.MetaInformation.DocumentTitle,
        f"{sheet.provider_name} — {sheet.on.isoformat()}",
    )
    return doc


def write_pdf(sheet: DaySheet, path: str | Path) -> None:
    """The day sheet as a PDF file (no dialog)."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setDocName(f"{sheet.provider_name} {sheet.on.isoformat()}")
    sheet_document(sheet).print_(printer)


# -- the screen ------------------------------------------------------------------------------


class Column(IntEnum):
    TIME = 0
    PATIENT = 1
    BORN = 2
    SERVICE = 3
    WHERE = 4
    STATUS = 5
    NOTES = 6


class MyDayModel(QAbstractTableModel):
    """The day's appointments and breaks in time order; read-only."""

    ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # the SheetEntry, or None on a break row

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._sheet: DaySheet | None = None
        self._rows: list[SheetEntry | SheetBlock] = []
        self._locale = QLocale()

    @property
    def sheet(self) -> DaySheet | None:
        return self._sheet

    def set_sheet(self, sheet: DaySheet | None) -> None:
        self.beginResetModel()
        self._sheet = sheet
        self._locale = QLocale(sheet.locale) if sheet else QLocale()
        rows: list[tuple[datetime, int, SheetEntry | SheetBlock]] = []
        if sheet is not None:
            rows = [(e.start, 1, e) for e in sheet.entries]
            rows += [(b.start, 0, b) for b in sheet.blocks]
        self._rows = [r for _, _, r in sorted(rows, key=lambda r: (r[0], r[1]))]
        self.endResetModel()

    def row_item(self, row: int) -> SheetEntry | SheetBlock:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: one row per appointment or break."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.columnCount: time, patient ... notes."""
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Overrides QAbstractItemModel.headerData: the column names."""
        if (
            role != Qt.ItemDataRole.DisplayRole
            or orientation != Qt.Orientation.Horizontal
            or not 0 <= section < len(Column)
        ):
            return None
        return (
            self.tr("Time"),
            self.tr("Patient"),
            self.tr("Date of birth"),
            self.tr("Service"),
            self.tr("Where"),
            self.tr("Status"),
            self.tr("Notes"),
        )[section]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: text, faded cancelled rows, italic breaks."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        zone = self._sheet.zone if self._sheet else "UTC"
        if role == self.ENTRY_ROLE:
            return item if isinstance(item, SheetEntry) else None
        if isinstance(item, SheetBlock):
            return self._block_data(item, index.column(), role, zone)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._entry_text(item, index.column(), zone, role)
        if role == Qt.ItemDataRole.ForegroundRole and item.cancelled:
            return QGuiApplication.palette().brush(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        if role == Qt.ItemDataRole.FontRole and item.status is Status.NO_SHOW:
            font = QFont()
            font.setStrikeOut(True)
            return font
        return None

    def _entry_text(self, e: SheetEntry, column: int, zone: str, role: int) -> str | None:
        if column == Column.TIME:
            return time_span(self._locale, e, zone)
        if column == Column.PATIENT:
            return e.patient_name
        if column == Column.BORN:
            return short_date(self._locale, e.date_of_birth)
        if column == Column.SERVICE:
            return e.service
        if column == Column.WHERE:
            if e.online and e.meet_url and role == Qt.ItemDataRole.ToolTipRole:
                return e.meet_url
            return place(e)
        if column == Column.STATUS:
            return status_word(e.status)
        if column == Column.NOTES:
            return e.notes.replace("\n", " ") if role == Qt.ItemDataRole.DisplayRole else e.notes
        return None

    def _block_data(self, b: SheetBlock, column: int, role: int, zone: str) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.TIME:
                return self.tr("All day") if b.all_day else time_span(self._locale, b, zone)
            if column == Column.PATIENT:
                return b.label
            return None
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Overrides QAbstractItemModel.flags: rows select, nothing edits."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class MyDayView(QWidget):
    """One provider's day: `show_day(provider_id, on)`; print it or save it as a PDF.

    `loaded` is emitted once a day's sheet is on screen, `failed(message)` when it could not
    be read.
    """

    loaded = Signal()
    failed = Signal(str)

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        parent: QWidget | None = None,
        *,
        shortcuts: bool = True,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._clinic = clinic
        self._locale = QLocale(clinic.locale)
        self._shortcuts = shortcuts
        self._provider_id: int | None = None
        self._day = ctx.now().astimezone(ZoneInfo(clinic.zone)).date()
        self._latest = 0
        self.setAccessibleName(self.tr("My day"))

        self.model = MyDayModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Appointments of the day"))
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.provider_box = QComboBox(self)
        self.provider_box.setAccessibleName(self.tr("Provider"))
        self.provider_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.provider_box.activated.connect(self._provider_chosen)
        self.date_edit = QDateEdit(self)
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setAccessibleName(self.tr("Day shown"))
        self.date_edit.setDisplayFormat(self._locale.dateFormat(QLocale.FormatType.ShortFormat))
        self.date_edit.dateChanged.connect(self._date_edited)
        self.title = QLabel(self)
        self.title.setAccessibleName(self.tr("Day summary"))
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.empty = QLabel(self.tr("Choose a provider to see their day."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self._build_actions()
        bar = QHBoxLayout()
        bar.addWidget(self.provider_box)
        for action in (self.previous_action, self.today_action, self.next_action):
            bar.addWidget(self._button(action))
        bar.addWidget(self.date_edit)
        bar.addStretch(1)
        bar.addWidget(self._button(self.print_action))
        bar.addWidget(self._button(self.pdf_action))
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        self.table.hide()
        self._update_actions()
        self._load_providers()

    # -- building ----------------------------------------------------------------------------

    def _action(self, text: str, keys: QKeySequence | str, tip: str) -> QAction:
        """An action with its key; with `shortcuts=False` the key is only named in the tip,
        for a window whose own actions (same keys) call `step`, `go_today`, `print_sheet`."""
        action = QAction(text, self)
        native = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({native})")
        if self._shortcuts:
            action.setShortcut(QKeySequence(keys))
            # only while My day (or a child) has the focus
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.previous_action = self._action(self.tr("◀"), "Alt+Left", self.tr("Previous day"))
        self.previous_action.triggered.connect(lambda: self.step(-1))
        self.next_action = self._action(self.tr("▶"), "Alt+Right", self.tr("Next day"))
        self.next_action.triggered.connect(lambda: self.step(1))
        self.today_action = self._action(self.tr("Today"), "Ctrl+T", self.tr("Today"))
        self.today_action.triggered.connect(self.go_today)
        self.print_action = self._action(self.tr("&Print…"), "Ctrl+P", self.tr("Print the day"))
        self.print_action.triggered.connect(self.print_sheet)
        self.pdf_action = self._action(
            self.tr("Save as P&DF…"), "Ctrl+Shift+P", self.tr("Save the day sheet as a PDF")
        )
        self.pdf_action.triggered.connect(self.save_pdf_as)

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setAccessibleName(action.toolTip())
        return button

    def _load_providers(self) -> None:
        ctx = self._ctx
        self._tasks.run(lambda: setup.active_providers(ctx), self._fill_providers, self._fail)

    def _fill_providers(self, providers: list[Any]) -> None:
        self.provider_box.clear()
        for p in providers:
            self.provider_box.addItem(p.display_name, p.id)
        self._select_provider_in_box()

    def _select_provider_in_box(self) -> None:
        if self._provider_id is None:
            self.provider_box.setCurrentIndex(-1)
            return
        found = self.provider_box.findData(self._provider_id)
        if found < 0 and self.model.sheet is not None:
            # an inactive provider still has a day to print
            self.provider_box.addItem(self.model.sheet.provider_name, self._provider_id)
            found = self.provider_box.count() - 1
        self.provider_box.setCurrentIndex(found)

    # -- showing a day -----------------------------------------------------------------------

    @property
    def day(self) -> date:
        return self._day

    @property
    def provider_id(self) -> int | None:
        return self._provider_id

    def show_day(self, provider_id: int, on: date) -> None:
        """Read `provider_id`'s day `on` in the background and show it when it arrives."""
        self._provider_id = provider_id
        self._day = on
        self._select_provider_in_box()
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(on.year, on.month, on.day))
        self.date_edit.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        if self._provider_id is None:
            return
        self._latest += 1
        request, ctx, pid, on = self._latest, self._ctx, self._provider_id, self._day
        self._tasks.run(
            lambda: load_day_sheet(ctx, pid, on),
            lambda sheet: self._apply(request, sheet),
            lambda exc: self._fail(exc) if request == self._latest else None,
        )

    def step(self, days: int) -> None:
        if self._provider_id is not None:
            self.show_day(self._provider_id, self._day + timedelta(days=days))

    def go_today(self) -> None:
        if self._provider_id is not None:
            self.show_day(self._provider_id, self.clinic_today())

    def clinic_today(self) -> date:
        return self._ctx.now().astimezone(ZoneInfo(self._clinic.zone)).date()

    def _provider_chosen(self, row: int) -> None:
        pid = self.provider_box.itemData(row)
        if isinstance(pid, int) and pid != self._provider_id:
            self.show_day(pid, self._day)

    def _date_edited(self, value: QDate) -> None:
        if self._provider_id is not None:
            self.show_day(self._provider_id, value.toPython())  # type: ignore[arg-type]

    def _apply(self, request: int, sheet: DaySheet) -> None:
        if request != self._latest:
            return
        self.model.set_sheet(sheet)
        self._select_provider_in_box()
        summary = self.tr("{provider} — {date} · {count} · times in {zone}").format(
            provider=sheet.provider_name,
            date=long_date(self._locale, sheet.on),
            count=count_text(len(sheet.booked)),
            zone=sheet.zone,
        )
        change = clock_change(sheet.on, sheet.zone)
        self.title.setText(f"{summary}\n{change}" if change else summary)
        self.table.setVisible(True)
        self.empty.setVisible(False)
        if not sheet.entries and not sheet.blocks:
            self.empty.setText(self.tr("Nothing booked on this day."))
            self.empty.setVisible(True)
            self.table.setVisible(False)
        self._update_actions()
        self.loaded.emit()

    def _fail(self, exc: BaseException) -> None:
        message = getattr(exc, "message", None) or str(exc)
        self.title.setText(message)
        self.failed.emit(message)

    def _update_actions(self) -> None:
        ready = self.model.sheet is not None
        self.print_action.setEnabled(ready)
        self.pdf_action.setEnabled(ready)
        stepping = self._provider_id is not None
        for action in (self.previous_action, self.next_action, self.today_action):
            action.setEnabled(stepping)

    # -- printing ----------------------------------------------------------------------------

    def document(self) -> QTextDocument | None:
        sheet = self.model.sheet
        return None if sheet is None else sheet_document(sheet)

    def print_sheet(self) -> None:
        doc = self.document()
        if doc is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("Print day sheet"))
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> bool:
        """Print the day shown on `printer` as set up (False when no day is loaded)."""
        doc = self.document()
        if doc is None:
            return False
        doc.print_(printer)
        return True

    def suggested_file_name(self) -> str:
        sheet = self.model.sheet
        if sheet is None:
            return "day-sheet.pdf"
        name = "".join(c if c.isalnum() else "-" for c in sheet.provider_name).strip("-")
        return f"{name}-{sheet.on.isoformat()}.pdf"

    def save_pdf_as(self) -> None:
        if self.model.sheet is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save day sheet as PDF"),
            self.suggested_file_name(),
            self.tr("PDF files (*.pdf)"),
        )
        if path:
            self.save_pdf(path)

    def save_pdf(self, path: str | Path) -> None:
        sheet = self.model.sheet
        if sheet is not None:
            write_pdf(sheet, path)
