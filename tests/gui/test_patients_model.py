"""The patient list model over a real SQLite file: ids up front, rows read a page at a time on
the task helper, stale marks (not resets) on refresh."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.services import patients, setup
from medbookings_desktop.ui.patients_model import Column, PatientsModel, Role, phone_text
from medbookings_desktop.ui.tasks import TaskRunner
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

PAGE = 50


@dataclass
class Listed:
    clinic: SmallClinic
    tasks: TaskRunner
    model: PatientsModel


@pytest.fixture
def listed(sqlite_url: str, clock: Clock, qtbot: QtBot) -> Iterator[Listed]:
    clinic = build_small_clinic(sqlite_url, clock)
    with clinic.ctx.write() as uow:
        uow.patients.add_many(
            [Patient(first_name=f"Pat{i:03}", last_name="Lee") for i in range(300)], clock()
        )
        uow.commit()
    tasks = TaskRunner()
    model = PatientsModel(
        clinic.ctx, tasks, setup.clinic_settings(clinic.ctx), page_size=PAGE, cache_limit=4 * PAGE
    )
    with qtbot.waitSignal(model.loaded):
        model.set_filter("")
    yield Listed(clinic, tasks, model)
    tasks.shutdown()
    clinic.engine.dispose()


def _name(model: PatientsModel, row: int) -> str:
    return str(model.data(model.index(row, Column.NAME)))


def test_the_model_tester_passes(listed: Listed, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    qtmodeltester.check(listed.model)


def test_ids_come_first_and_only_the_first_page_is_read(listed: Listed) -> None:
    model = listed.model
    assert model.rowCount() == 302
    assert model.columnCount() == len(Column)
    assert model.cached_count() == PAGE  # read with the ids
    assert model.pages_read == 0
    assert _name(model, 0) == "Adams, Ben"
    assert _name(model, 1) == "Lee, Pat000"


def test_an_unread_row_shows_a_placeholder_and_asks_for_its_page_once(
    listed: Listed, qtbot: QtBot
) -> None:
    model = listed.model
    row = 3 * PAGE + 7
    assert _name(model, row) == "Loading…"
    assert model.data(model.index(row, Column.PHONE)) == ""
    assert model.data(model.index(row, 0), Role.PATIENT_ID) is not None  # known without a read
    _name(model, row + 1)
    _name(model, row - 7)
    assert model.pages_read == 1
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))
    with qtbot.waitSignal(model.page_loaded) as page:
        pass
    assert page.args == [3 * PAGE, 4 * PAGE - 1]
    assert changed == [(3 * PAGE, 4 * PAGE - 1)]
    assert _name(model, row).startswith("Lee, Pat")
    assert model.pages_read == 1
    assert model.cached_count() == 2 * PAGE


def test_the_cache_keeps_only_the_latest_pages(listed: Listed, qtbot: QtBot) -> None:
    model = listed.model
    for page in range(1, 6):
        with qtbot.waitSignal(model.page_loaded):
            _name(model, page * PAGE)
    assert model.cached_count() == 4 * PAGE
    assert model.cached_row(0) is None  # the oldest page went first
    assert model.cached_row(5 * PAGE) is not None


def test_a_search_narrows_the_list(listed: Listed, qtbot: QtBot) -> None:
    model = listed.model
    with qtbot.waitSignal(model.loaded):
        model.set_filter("pat01")
    assert model.rowCount() == 10
    assert [_name(model, r) for r in range(3)] == ["Lee, Pat010", "Lee, Pat011", "Lee, Pat012"]
    with qtbot.waitSignal(model.loaded):
        model.set_filter("okafor ada")
    assert model.rowCount() == 1
    assert _name(model, 0) == "Okafor, Ada"
    with qtbot.waitSignal(model.loaded):
        model.set_filter("qqxzv")
    assert model.rowCount() == 0


def test_only_the_newest_search_lands(listed: Listed, qtbot: QtBot) -> None:
    model = listed.model
    model.set_filter("lee")
    model.set_filter("adams")
    with qtbot.waitSignal(model.loaded):
        model.set_filter("okafor")
    listed.tasks.shutdown()  # nothing older may land afterwards either
    assert model.text == "okafor"
    assert model.rowCount() == 1


def test_a_refresh_marks_rows_stale_and_rereads_without_a_reset(
    listed: Listed, qtbot: QtBot
) -> None:
    model = listed.model
    ctx = listed.clinic.ctx
    ada = listed.clinic.ada.id or 0
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    row = model.row_of(ada)
    assert row is not None
    with qtbot.waitSignal(model.page_loaded):
        _name(model, row)
    patients.edit(ctx, ada, phone="020 7946 0777")
    before = model.pages_read
    with qtbot.waitSignal(model.loaded):
        model.refresh()
    # stale rows still show what was read until the new page arrives
    assert model.data(model.index(row, Column.PHONE)) == "020 7946 0123"
    with qtbot.waitSignal(model.page_loaded):
        pass
    assert model.data(model.index(row, Column.PHONE)) == "020 7946 0777"
    assert model.pages_read == before + 1
    assert resets == []


def test_a_rename_moves_the_patient_and_persistent_indexes_follow(
    listed: Listed, qtbot: QtBot
) -> None:
    model = listed.model
    ctx = listed.clinic.ctx
    ben = listed.clinic.ben.id or 0
    assert model.row_of(ben) == 0
    kept = QPersistentModelIndex(model.index(0, Column.EMAIL))
    patients.edit(ctx, ben, last_name="Zimmer")
    with qtbot.waitSignal(model.loaded):
        model.refresh()
    assert model.row_of(ben) == model.rowCount() - 1
    assert kept.isValid()
    assert kept.row() == model.rowCount() - 1
    assert kept.column() == Column.EMAIL
    assert model.data(kept, Role.PATIENT_ID) == ben


def test_a_refresh_adds_new_patients_in_place(listed: Listed, qtbot: QtBot) -> None:
    model = listed.model
    ctx = listed.clinic.ctx
    kept = QPersistentModelIndex(model.index(1, 0))
    first_lee = model.data(kept, Role.PATIENT_ID)
    new = patients.register(ctx, first_name="Aaron", last_name="Aardvark")
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    with qtbot.waitSignal(model.loaded):
        model.refresh()
    assert model.rowCount() == 303
    assert inserted == [(302, 302)]
    assert model.row_of(new.id or 0) == 0
    assert kept.row() == 2
    assert model.data(kept, Role.PATIENT_ID) == first_lee


def test_a_shorter_list_drops_rows_and_their_indexes(listed: Listed, qtbot: QtBot) -> None:
    model = listed.model
    with qtbot.waitSignal(model.loaded):
        model.set_filter("lee")
    assert model.rowCount() == 300
    # the Lees are renamed by another desk; the list of "lee" shrinks on refresh
    gone = QPersistentModelIndex(model.index(299, 0))
    with listed.clinic.ctx.write() as uow:
        for pid in [model.patient_id(r) for r in range(200, 300)]:
            assert pid is not None
            p = uow.patients.get(pid)
            uow.patients.update(
                Patient(first_name=p.first_name, last_name="Moved", id=pid),
                listed.clinic.clock(),
            )
        uow.commit()
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    with qtbot.waitSignal(model.loaded):
        model.refresh()
    assert model.rowCount() == 200
    assert removed == [(200, 299)]
    assert not gone.isValid()


def test_flags_and_headers(listed: Listed) -> None:
    model = listed.model
    flags = model.flags(model.index(0, 0))
    assert flags & Qt.ItemFlag.ItemIsSelectable
    assert not flags & Qt.ItemFlag.ItemIsEditable
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags
    titles = [
        model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for c in range(model.columnCount())
    ]
    assert titles == ["Name", "Date of birth", "Phone", "E-mail", "Next appointment", "No-shows"]


@pytest.mark.parametrize(
    ("stored", "region", "shown"),
    [
        ("+442079460123", "GB", "020 7946 0123"),
        ("+12025550142", "GB", "+1 202-555-0142"),
        ("+12025550142", "US", "(202) 555-0142"),
        ("+442079460123", "US", "+44 20 7946 0123"),
        (None, "GB", ""),
        ("not a number", "GB", "not a number"),
    ],
)
def test_phone_numbers_are_shown_as_the_desk_writes_them(
    stored: str | None, region: str, shown: str
) -> None:
    assert phone_text(stored, region) == shown
