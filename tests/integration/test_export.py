"""`medbookings export ics | csv`: a feed a provider can subscribe to, and appointments as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from medbookings_desktop.services import booking, patients, setup
from medbookings_desktop.services.export import escape_text, fold
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from tests.helpers.clinic import SmallClinic
from tests.integration.admin_support import Cli

LONG_ADDRESS = "Unit 4, The Old Biscuit Factory; Riverside Walk \\ East Wing — Zoë's Café Ünïts"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A June 2026 wall time in London (BST, UTC+1) as an aware UTC instant."""
    return datetime(2026, 6, day, hour - 1, minute, tzinfo=UTC)


class Booked:
    def __init__(self, clinic: SmallClinic) -> None:
        ctx = clinic.ctx
        ids = {}
        assert clinic.ada.id and clinic.ben.id and clinic.dr_a.id and clinic.dr_b.id
        plan = {
            "ada_consult": (clinic.ada.id, clinic.dr_a.id, clinic.consultation.id, at(1, 9)),
            "ben_checkup": (clinic.ben.id, clinic.dr_a.id, clinic.checkup.id, at(1, 10)),
            "ada_video": (clinic.ada.id, clinic.dr_a.id, clinic.video.id, at(2, 11)),
            "ben_cancelled": (clinic.ben.id, clinic.dr_a.id, clinic.consultation.id, at(2, 14)),
            "dr_b": (clinic.ada.id, clinic.dr_b.id, clinic.checkup.id, at(1, 10)),
        }
        for key, (patient, provider, service, start) in plan.items():
            outcome = booking.book(
                ctx, patient_id=patient, provider_id=provider, service_id=service, start=start
            )
            ids[key] = outcome.appointment.id
        booking.confirm(ctx, ids["ben_checkup"])
        booking.cancel(ctx, ids["ben_cancelled"], reason="Unwell; will call back, thanks")
        self.ids = ids


@pytest.fixture
def booked(clinic: SmallClinic) -> Booked:
    return Booked(clinic)


@pytest.fixture
def cli(
    clinic: SmallClinic,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Cli:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    return Cli(db_url, capsys)


# -- a small iCalendar reader, to check the file parses back ----------------------------------


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_ics(data: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    calendar: dict[str, str] = {}
    events: list[dict[str, str]] = []
    stack: list[str] = []
    for line in unfold(data):
        name, _, value = line.partition(":")
        name = name.split(";")[0]
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
        elif name == "END":
            assert stack.pop() == value
        elif stack == ["VCALENDAR"]:
            calendar[name] = value
        else:
            assert stack == ["VCALENDAR", "VEVENT"], line
            assert name not in events[-1], f"{name} twice"
            events[-1][name] = value
    assert stack == []
    return calendar, events


def export_ics(cli: Cli, tmp_path: Path, provider: int | None, *extra: str) -> bytes:
    path = tmp_path / "feed.ics"
    result = cli("export", "ics", "--provider", provider, "--from", "2026-06-01", "-o", path,
                 *extra)  # fmt: skip
    assert result.code == 0, result.err
    return path.read_bytes()


# -- iCalendar -----------------------------------------------------------------------------------


def test_ics_has_one_event_per_active_appointment(
    cli: Cli, clinic: SmallClinic, booked: Booked, tmp_path: Path
) -> None:
    data = export_ics(cli, tmp_path, clinic.dr_a.id)
    calendar, events = parse_ics(data)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"].startswith("-//MedBookings//")
    assert calendar["METHOD"] == "PUBLISH"
    assert unescape(calendar["X-WR-CALNAME"]) == "Dr Thandi Mokoena — Riverside Clinic"
    ids = booked.ids
    by_uid = {e["UID"]: e for e in events}
    assert list(by_uid) == [
        f"appointment-{ids['ada_consult']}@medbookings",
        f"appointment-{ids['ben_checkup']}@medbookings",
        f"appointment-{ids['ada_video']}@medbookings",
    ]  # the cancelled one and Dr Berg's are not in Dr Mokoena's feed
    consult = by_uid[f"appointment-{ids['ada_consult']}@medbookings"]
    assert (consult["DTSTART"], consult["DTEND"]) == ("20260601T080000Z", "20260601T083000Z")
    assert consult["STATUS"] == "TENTATIVE" and consult["SEQUENCE"] == "1"
    assert consult["SUMMARY"] == "Appointment — MedBookings"
    assert unescape(consult["LOCATION"]) == "Riverside, London, GB"
    assert (
        unescape(consult["DESCRIPTION"])
        == f"Consultation, 30 min\nAppointment #{ids['ada_consult']}"
    )
    assert datetime.strptime(consult["DTSTAMP"], "%Y%m%dT%H%M%SZ")
    checkup = by_uid[f"appointment-{ids['ben_checkup']}@medbookings"]
    assert checkup["STATUS"] == "CONFIRMED" and checkup["SEQUENCE"] == "2"
    video = by_uid[f"appointment-{ids['ada_video']}@medbookings"]
    assert video["LOCATION"] == "Online" and "URL" not in video


def test_ics_carries_no_patient_names_unless_the_clinic_turns_them_on(
    cli: Cli, clinic: SmallClinic, booked: Booked, tmp_path: Path
) -> None:
    data = export_ics(cli, tmp_path, clinic.dr_a.id)
    for private in (b"Ada", b"Okafor", b"Ben", b"Adams", b"example.com", b"7946"):
        assert private not in data
    setup.update_clinic(clinic.ctx, names_in_calendar=True)
    _, events = parse_ics(export_ics(cli, tmp_path, clinic.dr_a.id))
    assert [unescape(e["SUMMARY"]) for e in events] == [
        "Ada Okafor — Consultation",
        "Ben Adams — Check-up",
        "Ada Okafor — Video consultation",
    ]


def test_ics_lines_end_in_crlf_and_fold_at_75_octets(
    cli: Cli, clinic: SmallClinic, booked: Booked, tmp_path: Path
) -> None:
    setup.save_location(clinic.ctx, replace(clinic.london, address_line1=LONG_ADDRESS))
    data = export_ics(cli, tmp_path, clinic.dr_a.id)
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    physical = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    assert any(line.startswith(b" ") for line in physical)  # the long address was folded
    for line in physical:
        line.decode("utf-8")  # no character cut in two by a fold
    _, events = parse_ics(data)
    assert unescape(events[0]["LOCATION"]) == f"Riverside, {LONG_ADDRESS}, London, GB"
    raw = events[0]["LOCATION"]
    assert "\\," in raw and "\\;" in raw and "\\\\" in raw


def test_ics_uids_are_stable_and_sequence_follows_changes(
    cli: Cli, clinic: SmallClinic, booked: Booked, tmp_path: Path
) -> None:
    _, before = parse_ics(export_ics(cli, tmp_path, clinic.dr_a.id))
    moved = booking.reschedule(clinic.ctx, booked.ids["ada_consult"], start=at(3, 15))
    _, after = parse_ics(export_ics(cli, tmp_path, clinic.dr_a.id))
    assert sorted(e["UID"] for e in before) == sorted(e["UID"] for e in after)
    event = next(
        e for e in after if e["UID"] == f"appointment-{booked.ids['ada_consult']}@medbookings"
    )
    assert event["DTSTART"] == "20260603T140000Z"
    assert event["SEQUENCE"] == str(moved.appointment.revision) == "2"


def test_ics_online_appointment_names_its_meet_link(
    cli: Cli, clinic: SmallClinic, booked: Booked, db_url: str, tmp_path: Path
) -> None:
    link = "https://meet.example.org/abc-defg-hij"
    with SqlUnitOfWork(clinic.engine) as uow:
        appt = uow.appointments.get(booked.ids["ada_video"])
        uow.appointments.update(
            replace(appt, meet_url=link, revision=appt.revision + 1), clinic.clock()
        )
        uow.commit()
    _, events = parse_ics(export_ics(cli, tmp_path, clinic.dr_a.id))
    video = events[-1]
    assert unescape(video["LOCATION"]) == f"Online {link}"
    assert video["URL"] == link


def test_ics_window(cli: Cli, clinic: SmallClinic, booked: Booked, tmp_path: Path) -> None:
    path = tmp_path / "one-day.ics"
    result = cli("export", "ics", "--provider", clinic.dr_a.id, "--from", "2026-06-02",
                 "--days", "1", "--output", path)  # fmt: skip
    assert result.code == 0, result.err
    assert "Wrote 1 appointment to" in result.err
    _, events = parse_ics(path.read_bytes())
    assert [e["UID"] for e in events] == [f"appointment-{booked.ids['ada_video']}@medbookings"]


def test_ics_to_stdout_keeps_crlf(cli: Cli, clinic: SmallClinic, booked: Booked) -> None:
    result = cli("export", "ics", "--provider", clinic.dr_b.id, "--from", "2026-06-01")
    assert result.code == 0, result.err
    assert result.out.startswith("BEGIN:VCALENDAR\r\n")
    _, events = parse_ics(result.out.encode("utf-8"))
    assert [e["UID"] for e in events] == [f"appointment-{booked.ids['dr_b']}@medbookings"]


def test_ics_unknown_provider_is_bad_input(cli: Cli, clinic: SmallClinic) -> None:
    result = cli("export", "ics", "--provider", 9999)
    assert result.code == 2
    assert "No provider #9999" in result.err


def test_fold_and_escape_helpers() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = fold("X" * 74 + "é" + "Y" * 80)
    parts = folded.split("\r\n")
    assert [len(p.encode()) for p in parts] == [74, 75, 9]
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == "X" * 74 + "é" + "Y" * 80


# -- CSV -----------------------------------------------------------------------------------------


def read_csv(data: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data, newline="")))


def test_csv_lists_appointments_with_local_times(
    cli: Cli, clinic: SmallClinic, booked: Booked, tmp_path: Path
) -> None:
    path = tmp_path / "appointments.csv"
    result = cli("export", "csv", "--from", "2026-06-01", "--to", "2026-06-02", "-o", path)
    assert result.code == 0, result.err
    text = path.read_bytes().decode("utf-8")
    assert text.split("\r\n")[0] == (
        "id,start,end,zone,status,provider,service,location,patient_id,patient_name,source,"
        "cancel_reason"
    )
    rows = read_csv(text)
    ids = booked.ids
    assert [int(r["id"]) for r in rows] == [
        ids["ada_consult"], ids["ben_checkup"], ids["dr_b"], ids["ada_video"], ids["ben_cancelled"]
    ]  # fmt: skip
    first = rows[0]
    assert first == {
        "id": str(ids["ada_consult"]),
        "start": "2026-06-01 09:00",
        "end": "2026-06-01 09:30",
        "zone": "Europe/London",
        "status": "booked",
        "provider": "Dr Thandi Mokoena",
        "service": "Consultation",
        "location": "Riverside",
        "patient_id": str(clinic.ada.id),
        "patient_name": "Ada Okafor",
        "source": "phone",
        "cancel_reason": "",
    }
    assert rows[1]["status"] == "confirmed"
    assert rows[3]["location"] == "Online"
    cancelled = rows[4]
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "Unwell; will call back, thanks"


def test_csv_filters_by_provider_and_dates(cli: Cli, clinic: SmallClinic, booked: Booked) -> None:
    only_b = cli("export", "csv", "--from", "2026-06-01", "--to", "2026-06-30",
                 "--provider", clinic.dr_b.id)  # fmt: skip
    assert only_b.code == 0, only_b.err
    assert [int(r["id"]) for r in read_csv(only_b.out)] == [booked.ids["dr_b"]]
    second_day = cli("export", "csv", "--from", "2026-06-02", "--to", "2026-06-02")
    assert [int(r["id"]) for r in read_csv(second_day.out)] == [
        booked.ids["ada_video"], booked.ids["ben_cancelled"]
    ]  # fmt: skip
    none = cli("export", "csv", "--from", "2026-07-01", "--to", "2026-07-02")
    assert none.out == (
        "id,start,end,zone,status,provider,service,location,patient_id,patient_name,source,"
        "cancel_reason\r\n"
    )


def test_csv_defuses_spreadsheet_formulas(cli: Cli, clinic: SmallClinic) -> None:
    sneaky = patients.register(clinic.ctx, first_name="=HYPERLINK(1)", last_name="Smith")
    assert sneaky.id and clinic.dr_a.id
    booking.book(clinic.ctx, patient_id=sneaky.id, provider_id=clinic.dr_a.id,
                 service_id=clinic.checkup.id, start=at(1, 15))  # fmt: skip
    result = cli("export", "csv", "--from", "2026-06-01", "--to", "2026-06-01")
    [row] = read_csv(result.out)
    assert row["patient_name"] == "'=HYPERLINK(1) Smith"


def test_csv_bad_range_is_bad_input(cli: Cli) -> None:
    result = cli("export", "csv", "--from", "2026-06-02", "--to", "2026-06-01")
    assert result.code == 2
    assert "--to is before --from" in result.err
