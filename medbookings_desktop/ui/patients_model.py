"""The patient list as a table that stays smooth at 200,000 patients.

The model holds the ordered ids of every patient in the list (or those a search finds) and a
cache of rows filled a page at a time, on the task helper, when the view first asks for a row
of that page: only what is scrolled into sight is ever read. A refresh marks cached rows stale
instead of resetting, so the view keeps its place and selection and shows the old values until
the new page arrives. Nothing here queries the database on the UI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
    QTimeZone,
    Signal,
)

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.patients import PatientRow
from medbookings_desktop.services import patients
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 100
# at most this many rows kept; the oldest pages read are dropped first
CACHE_LIMIT = 20 * PAGE_SIZE


class Column(IntEnum):
    NAME = 0
    BIRTH_DATE = 1
    PHONE = 2
    EMAIL = 3
    NEXT = 4
    NO_SHOWS = 5


class Role(IntEnum):
    PATIENT_ID = Qt.ItemDataRole.UserRole + 1
    ROW = Qt.ItemDataRole.UserRole + 2  # the PatientRow, None while its page loads


def phone_text(e164: str | None, region: str) -> str:
    """A stored number as the desk writes it: national at home, international otherwise."""
    if not e164:
        return ""
    import phonenumbers  # imported when first needed, on a pool thread: it slows the start

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, style))


@dataclass(frozen=True)
class Page:
    """Rows read for the list, with their phone numbers already formatted (off the UI thread)."""

    rows: list[PatientRow]
    phones: dict[int, str]


def read_page(ctx: Context, ids: Sequence[int], region: str) -> Page:
    """Runs on a pool thread: one page of rows in one query."""
    rows = patients.rows(ctx, ids)
    return Page(rows, {r.id: phone_text(r.phone, region) for r in rows if r.phone})


@dataclass(frozen=True)
class Listing:
    """What one list load returns: the ids in order and the first page already read."""

    text: str
    ids: list[int]
    first_page: Page


def load_listing(
    ctx: Context, text: str, page_size: int = PAGE_SIZE, region: str = "GB"
) -> Listing:
    """Runs on a pool thread: the matching ids, and the rows of the first page with them."""
    ids = patients.ids(ctx, text)
    return Listing(text, ids, read_page(ctx, ids[:page_size], region))


class PatientsModel(QAbstractTableModel):
    """`loaded` after each list load; `page_loaded(first_row, last_row)` after each page."""

    loaded = Signal()
    page_loaded = Signal(int, int)
    failed = Signal(str)

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        parent: Any = None,
        *,
        page_size: int = PAGE_SIZE,
        cache_limit: int = CACHE_LIMIT,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._zone = ZoneInfo(clinic.zone)
        self._region = clinic.phone_region
        self._qzone = QTimeZone(clinic.zone.encode())
        self._locale = QLocale(clinic.locale)
        self._page_size = page_size
        self._cache_limit = max(cache_limit, 2 * page_size)
        self._text = ""
        self._ids: list[int] = []
        self._rows: dict[int, PatientRow] = {}  # by id, in the order read (oldest first)
        self._phones: dict[int, str] = {}  # formatted numbers of the cached rows
        self._stale: set[int] = set()
        self._gone: set[int] = set()  # ids asked for that the database no longer has
        self._in_flight: set[int] = set()  # pages of the current list being read
        self._generation = 0  # bumps when the id list changes: older pages land by id only
        self._latest = 0  # the newest list load asked for; older results are dropped
        self._has_list = False
        self.pages_read = 0
        self._loading = self.tr("Loading…")

    # -- loading ----------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._text

    def set_filter(self, text: str) -> None:
        """List the patients `text` finds (everyone when blank); the view starts at the top."""
        self._load(text, refresh=False)

    def refresh(self) -> None:
        """Read the list again after a change: cached rows go stale, nothing resets."""
        self._stale.update(self._rows)
        self._gone.clear()
        self._load(self._text, refresh=True)

    def _load(self, text: str, *, refresh: bool) -> None:
        self._latest += 1
        request, ctx, size = self._latest, self._ctx, self._page_size  # values, never the model
        region = self._region
        self._tasks.run(
            lambda: load_listing(ctx, text, size, region),
            lambda listing: self._apply(request, listing, refresh),
            lambda exc: self._failed(request, exc),
        )

    def _apply(self, request: int, listing: Listing, refresh: bool) -> None:
        if request != self._latest:
            return
        self._store(listing.first_page, listing.ids[: self._page_size])
        if refresh and self._has_list and listing.text == self._text:
            self._relist(listing.ids)
        else:
            self.beginResetModel()
            self._text = listing.text
            self._set_ids(listing.ids)
            self.endResetModel()
        self._has_list = True
        self.loaded.emit()

    def _set_ids(self, ids: list[int]) -> None:
        self._ids = ids
        self._generation += 1
        self._in_flight.clear()

    def _relist(self, ids: list[int]) -> None:
        """Move to a new id list keeping each patient's persistent indexes (and so the view's
        selection and current row) on that patient; rows that left are dropped."""
        old = self._ids
        if ids == old:
            if old:
                # the view repaints what it shows, finds those rows stale and reads them again
                last = self.index(len(old) - 1, len(Column) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
            return
        if len(ids) > len(old):
            self.beginInsertRows(QModelIndex(), len(old), len(ids) - 1)
            self._ids = old + [-1] * (len(ids) - len(old))
            self.endInsertRows()
        self.layoutAboutToBeChanged.emit()
        position = {pid: row for row, pid in enumerate(ids)}
        before = self.persistentIndexList()
        after = []
        for index in before:
            row = position.get(old[index.row()]) if index.row() < len(old) else None
            after.append(QModelIndex() if row is None else self.index(row, index.column()))
        padded = ids + [-1] * (len(self._ids) - len(ids))
        self._set_ids(padded)
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()
        if len(ids) < len(padded):
            self.beginRemoveRows(QModelIndex(), len(ids), len(padded) - 1)
            self._ids = ids
            self.endRemoveRows()

    def _failed(self, request: int, exc: BaseException) -> None:
        if request == self._latest:
            self.failed.emit(getattr(exc, "message", None) or str(exc))

    def _request_page(self, page: int) -> None:
        if page in self._in_flight:
            return
        self._in_flight.add(page)
        start = page * self._page_size
        wanted = tuple(self._ids[start : start + self._page_size])
        generation, ctx, region = self._generation, self._ctx, self._region
        self.pages_read += 1
        self._tasks.run(
            lambda: read_page(ctx, wanted, region),
            lambda found: self._page_arrived(generation, page, wanted, found),
            lambda exc: self._page_failed(generation, page, exc),
        )

    def _page_arrived(self, generation: int, page: int, wanted: Sequence[int], found: Page) -> None:
        self._store(found, wanted)
        if generation != self._generation:
            return  # the list changed meanwhile: the rows are cached by id, the view asks again
        self._in_flight.discard(page)
        first = page * self._page_size
        last = min(first + len(wanted), len(self._ids)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))
            self.page_loaded.emit(first, last)

    def _page_failed(self, generation: int, page: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._in_flight.discard(page)  # asked again the next time the view paints it
            self.failed.emit(getattr(exc, "message", None) or str(exc))

    def _store(self, found: Page, wanted: Sequence[int]) -> None:
        for row in found.rows:
            self._rows.pop(row.id, None)  # re-read rows move to the young end
            self._rows[row.id] = row
            self._phones.pop(row.id, None)
            if row.id in found.phones:
                self._phones[row.id] = found.phones[row.id]
            self._stale.discard(row.id)
        got = {row.id for row in found.rows}
        for pid in wanted:
            if pid not in got:
                self._gone.add(pid)
                self._forget(pid)
        while len(self._rows) > self._cache_limit:
            self._forget(next(iter(self._rows)))

    def _forget(self, pid: int) -> None:
        self._rows.pop(pid, None)
        self._phones.pop(pid, None)
        self._stale.discard(pid)

    # -- what the view asks -----------------------------------------------------------------

    def cached_count(self) -> int:
        return len(self._rows)

    def patient_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) and self._ids[row] >= 0 else None

    def row_of(self, patient_id: int) -> int | None:
        try:
            return self._ids.index(patient_id)
        except ValueError:
            return None

    def cached_row(self, row: int) -> PatientRow | None:
        pid = self.patient_id(row)
        return None if pid is None else self._rows.get(pid)

    def _row_for(self, row: int) -> PatientRow | None:
        """The cached row; asks for its page once when it is missing or stale."""
        pid = self._ids[row]
        cached = self._rows.get(pid)
        if pid >= 0 and (cached is None or pid in self._stale) and pid not in self._gone:
            self._request_page(row // self._page_size)
        return cached

    def date_text(self, on: date | None) -> str:
        if on is None:
            return ""
        return self._locale.toString(
            QDate(on.year, on.month, on.day), QLocale.FormatType.ShortFormat
        )

    def datetime_text(self, at: datetime | None) -> str:
        if at is None:
            return ""
        local = at.astimezone(self._zone)
        moment = QDateTime(
            QDate(local.year, local.month, local.day),
            QTime(local.hour, local.minute),
            self._qzone,
        )
        return self._locale.toString(moment, QLocale.FormatType.ShortFormat)

    def _text_of(self, r: PatientRow, column: int) -> str:
        if column == Column.NAME:
            return ", ".join(part for part in (r.last_name, r.first_name) if part)
        if column == Column.BIRTH_DATE:
            return self.date_text(r.date_of_birth)
        if column == Column.PHONE:
            return self._phones.get(r.id, r.phone or "")
        if column == Column.EMAIL:
            return r.email or ""
        if column == Column.NEXT:
            return self.datetime_text(r.next_start)
        return self._locale.toString(r.no_shows) if r.no_shows else ""  # only what matters

    # -- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: every patient listed, read or not."""
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.columnCount: name, birth date, phone, e-mail, next
        appointment, no-shows."""
        return 0 if parent.isValid() else len(Column)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: a placeholder until the row's page arrives."""
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        column = index.column()
        if role == Role.PATIENT_ID:
            return self.patient_id(index.row())
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
            Role.ROW,
        ):
            r = self._row_for(index.row())
            if role == Role.ROW:
                return r
            if r is None:
                return self._loading if column == Column.NAME else ""
            if role == Qt.ItemDataRole.ToolTipRole:
                return r.full_name if column == Column.NAME else None
            return self._text_of(r, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.NO_SHOWS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Overrides QAbstractItemModel.flags: rows select whole; the table is read-only."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Overrides QAbstractItemModel.headerData: the column titles."""
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.ToolTipRole and section == Column.NEXT:
            return self.tr("The next booked or confirmed appointment, in {zone} time").format(
                zone=self._zone.key
            )
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = {
            Column.NAME: self.tr("Name"),
            Column.BIRTH_DATE: self.tr("Date of birth"),
            Column.PHONE: self.tr("Phone"),
            Column.EMAIL: self.tr("E-mail"),
            Column.NEXT: self.tr("Next appointment"),
            Column.NO_SHOWS: self.tr("No-shows"),
        }
        return titles.get(Column(section)) if 0 <= section < len(Column) else None
