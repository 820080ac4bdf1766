"""`medbookings slots | book | reschedule | cancel | confirm | check-in | start | complete |
no-show | undo | agenda`: the desk's day from a script.

Times go out in ISO 8601 with the location's UTC offset; times come in either with an offset or
as wall-clock time at the location (refused when a DST change makes that time missing or
doubled).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from medbookings_desktop.cli.framework import OK, Command, Runtime
from medbookings_desktop.cli.output import appointment_json, print_table
from medbookings_desktop.cli.times import local_iso, parse_date, parse_datetime, resolve_wall_time
from medbookings_desktop.cli.zones import appointment_zone, booking_zone
from medbookings_desktop.domain.appointments import Source
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services import agenda, booking, slots
from medbookings_desktop.services.booking import Outcome


def _json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def _print_outcome(rt: Runtime, args: argparse.Namespace, outcome: Outcome, verb: str) -> int:
    appt = outcome.appointment
    zone = appointment_zone(rt.ctx, appt)
    if args.json:
        rt.print_json(appointment_json(appt, zone, queued=outcome.queued))
    else:
        when = appt.start.astimezone(ZoneInfo(zone))
        print(
            f"Appointment #{appt.id} {verb}: {when:%a %d %b %Y %H:%M} ({zone}), "
            f"now {appt.status.value.replace('_', ' ')}.",
            file=rt.out,
        )
    return OK


# --- slots -------------------------------------------------------------------------------


def _slots_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--service", type=int, required=True, metavar="ID")
    p.add_argument("--provider", type=int, action="append", metavar="ID", help="repeat for several")
    p.add_argument("--location", type=int, metavar="ID")
    p.add_argument(
        "--from", dest="start_from", metavar="DATE", help="local date in the clinic's zone"
    )
    p.add_argument("--days", type=int, default=90, help="how many days to look ahead (90)")
    p.add_argument("--limit", type=int, default=20, help="how many slots at most (20)")
    _json_flag(p)


def _slots(args: argparse.Namespace, rt: Runtime) -> int:
    start_from = parse_date(args.start_from, "date") if args.start_from else None
    found = slots.find_slots(
        rt.ctx,
        service_id=args.service,
        provider_ids=args.provider,
        location_id=args.location,
        start_from=start_from,
        days=args.days,
        limit=args.limit,
    )
    if args.json:
        rt.print_json(
            [
                {
                    "provider_id": s.provider_id,
                    "start": local_iso(s.start, s.zone),
                    "end": local_iso(s.end, s.zone),
                    "location_id": s.location_id,
                    "zone": s.zone,
                    "service_id": args.service,
                }
                for s in found
            ]
        )
        return OK
    with rt.ctx.read() as uow:
        names = {p.id: p.display_name for p in uow.providers.list()}
    print_table(
        rt.out,
        ("START", "END", "ZONE", "PROVIDER"),
        [
            (local_iso(s.start, s.zone), local_iso(s.end, s.zone), s.zone, names[s.provider_id])
            for s in found
        ],
    )
    return OK


# --- book and reschedule -----------------------------------------------------------------


def _book_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patient", type=int, required=True, metavar="ID")
    p.add_argument("--provider", type=int, metavar="ID")
    p.add_argument("--service", type=int, required=True, metavar="ID")
    p.add_argument(
        "--start",
        metavar="ISO8601",
        help="e.g. 2026-03-08T09:00-05:00, or 2026-03-08T09:00 as local time at the location",
    )
    p.add_argument("--location", type=int, metavar="ID")
    p.add_argument("--online", action="store_true", help="an online appointment")
    p.add_argument(
        "--walk-in",
        action="store_true",
        help="the patient is at the desk (without --start: the next free time today)",
    )
    p.add_argument("--notes", default="")
    _json_flag(p)


def _start_instant(
    rt: Runtime, text: str, provider_id: int, location_id: int | None, *, online: bool
) -> datetime:
    value = parse_datetime(text)
    if value.tzinfo is not None:
        return resolve_wall_time(value, "UTC")  # no zone needed: already an instant
    return resolve_wall_time(value, booking_zone(rt.ctx, provider_id, location_id, online=online))


def _book(args: argparse.Namespace, rt: Runtime) -> int:
    if args.start is None:
        if not args.walk_in:
            raise InvalidInput("Give --start (or --walk-in for the next free time today).")
        outcome = booking.book_walk_in(
            rt.ctx,
            patient_id=args.patient,
            service_id=args.service,
            provider_ids=[args.provider] if args.provider else None,
            notes=args.notes,
        )
        return _print_outcome(rt, args, outcome, "booked")
    if args.provider is None:
        raise InvalidInput("Give --provider for a booking at a chosen time.", "provider")
    start = _start_instant(rt, args.start, args.provider, args.location, online=args.online)
    outcome = booking.book(
        rt.ctx,
        patient_id=args.patient,
        provider_id=args.provider,
        service_id=args.service,
        start=start,
        location_id=args.location,
        online=True if args.online else None,
        source=Source.WALK_IN if args.walk_in else Source.PHONE,
        notes=args.notes,
    )
    return _print_outcome(rt, args, outcome, "booked")


def _reschedule_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("appointment_id", metavar="ID", type=int)
    p.add_argument("--start", required=True, metavar="ISO8601")
    p.add_argument("--provider", type=int, metavar="ID", help="move to another provider")
    p.add_argument("--location", type=int, metavar="ID", help="move to another location")
    _json_flag(p)


def _reschedule(args: argparse.Namespace, rt: Runtime) -> int:
    with rt.ctx.read() as uow:
        current = uow.appointments.get(args.appointment_id)
    provider_id = args.provider or current.provider_id
    location_id = args.location
    if location_id is None and provider_id == current.provider_id:
        location_id = current.location_id
    start = _start_instant(rt, args.start, provider_id, location_id, online=current.online)
    outcome = booking.reschedule(
        rt.ctx,
        args.appointment_id,
        start=start,
        provider_id=args.provider,
        location_id=args.location,
    )
    return _print_outcome(rt, args, outcome, "moved")


# --- status changes ----------------------------------------------------------------------


def _id_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("appointment_id", metavar="ID", type=int)
    _json_flag(p)


def _status_command(
    name: str, help_text: str, change: Callable[..., Outcome], verb: str
) -> Command:
    def handler(args: argparse.Namespace, rt: Runtime) -> int:
        return _print_outcome(rt, args, change(rt.ctx, args.appointment_id), verb)

    return Command((name,), help_text, handler, _id_arguments)


def _cancel_arguments(p: argparse.ArgumentParser) -> None:
    _id_arguments(p)
    p.add_argument("--reason", help="why (required; recorded with who cancelled)")


def _cancel(args: argparse.Namespace, rt: Runtime) -> int:
    outcome = booking.cancel(rt.ctx, args.appointment_id, reason=args.reason or "")
    return _print_outcome(rt, args, outcome, "cancelled")


def _undo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "appointment_id",
        metavar="ID",
        type=int,
        nargs="?",
        help="appointment whose last status change to undo (default: your last change)",
    )
    _json_flag(p)


def _undo(args: argparse.Namespace, rt: Runtime) -> int:
    if args.appointment_id is not None:
        with rt.ctx.read() as uow:
            uow.appointments.get(args.appointment_id)  # an unknown id is bad input, not a refusal
    outcome = booking.undo_status_change(rt.ctx, args.appointment_id)
    return _print_outcome(rt, args, outcome, "restored")


# --- agenda ------------------------------------------------------------------------------


def _agenda_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", metavar="DATE", help="YYYY-MM-DD (default: today in the clinic)")
    p.add_argument("--provider", type=int, metavar="ID")
    _json_flag(p)


def _agenda(args: argparse.Namespace, rt: Runtime) -> int:
    if args.date:
        on = parse_date(args.date, "date")
    else:
        with rt.ctx.read() as uow:
            on = rt.ctx.now().astimezone(ZoneInfo(uow.settings.clinic().zone)).date()
    lines = agenda.day(rt.ctx, on, provider_id=args.provider)
    lines.sort(key=lambda line: (line.appointment.start, line.appointment.id or 0))
    if args.json:
        rt.print_json(
            [
                {
                    "id": line.appointment.id,
                    "start": local_iso(line.appointment.start, line.zone),
                    "end": local_iso(line.appointment.end, line.zone),
                    "status": line.appointment.status.value,
                    "provider_id": line.appointment.provider_id,
                    "provider": line.provider_name,
                    "patient_id": line.appointment.patient_id,
                    "patient": line.patient_name,
                    "service_id": line.appointment.service_id,
                    "service": line.service_name,
                    "location_id": line.appointment.location_id,
                    "location": line.location_name,
                    "online": line.appointment.online,
                    "zone": line.zone,
                }
                for line in lines
            ]
        )
        return OK
    print_table(
        rt.out,
        ("ID", "TIME", "STATUS", "PROVIDER", "PATIENT", "SERVICE", "WHERE"),
        [
            (
                line.appointment.id,
                f"{line.local_start:%H:%M}–{line.local_end:%H:%M}",
                line.appointment.status.value.replace("_", " "),
                line.provider_name,
                line.patient_name,
                line.service_name,
                line.location_name or "online",
            )
            for line in lines
        ],
    )
    return OK


COMMANDS = [
    Command(("slots",), "Free slots for a service.", _slots, _slots_arguments),
    Command(("book",), "Book an appointment.", _book, _book_arguments),
    Command(("reschedule",), "Move an appointment.", _reschedule, _reschedule_arguments),
    Command(("cancel",), "Cancel an appointment (give --reason).", _cancel, _cancel_arguments),
    _status_command("confirm", "The patient confirmed.", booking.confirm, "confirmed"),
    _status_command("check-in", "The patient has arrived.", booking.check_in, "checked in"),
    _status_command("start", "The visit has started.", booking.start, "started"),
    _status_command("complete", "The visit is over.", booking.complete, "completed"),
    _status_command("no-show", "The patient did not come.", booking.no_show, "marked no-show"),
    Command(("undo",), "Undo the last status change.", _undo, _undo_arguments),
    Command(("agenda",), "A day's appointments.", _agenda, _agenda_arguments),
]
