"""`medbookings patients add | search | show`."""

from __future__ import annotations

import argparse

from medbookings_desktop.cli.framework import OK, Command, Runtime
from medbookings_desktop.cli.output import appointment_json, patient_json, print_table
from medbookings_desktop.cli.times import local_iso, parse_date
from medbookings_desktop.cli.zones import appointment_zones
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.patients import Channel
from medbookings_desktop.services import patients


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--first-name", required=True)
    p.add_argument("--last-name", required=True)
    p.add_argument("--phone", help="read in the clinic's country unless it starts with +")
    p.add_argument("--email")
    p.add_argument("--dob", metavar="YYYY-MM-DD", help="date of birth")
    p.add_argument(
        "--channel",
        choices=[c.value for c in Channel],
        default=Channel.SMS.value,
        help="preferred channel for messages (default: sms)",
    )
    p.add_argument("--consent-sms", action="store_true")
    p.add_argument("--consent-whatsapp", action="store_true")
    p.add_argument("--consent-email", action="store_true")
    p.add_argument("--notes", default="")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def _add(args: argparse.Namespace, rt: Runtime) -> int:
    dob = parse_date(args.dob, "date of birth") if args.dob else None
    if dob is not None and dob > rt.ctx.now().date():
        raise InvalidInput(f"The date of birth {dob} is in the future.", "date_of_birth")
    patient = patients.register(
        rt.ctx,
        first_name=args.first_name,
        last_name=args.last_name,
        date_of_birth=dob,
        phone=args.phone,
        email=args.email,
        preferred_channel=args.channel,
        consent_sms=args.consent_sms,
        consent_whatsapp=args.consent_whatsapp,
        consent_email=args.consent_email,
        notes=args.notes,
    )
    if args.json:
        rt.print_json(patient_json(patient))
    else:
        print(f"Registered patient #{patient.id}: {patient.full_name}", file=rt.out)
    return OK


def _search_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", help="name, phone digits, e-mail or date of birth")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def _search(args: argparse.Namespace, rt: Runtime) -> int:
    if not 1 <= args.limit <= 500:
        raise InvalidInput("Ask for between 1 and 500 patients.", "limit")
    found = patients.search(rt.ctx, args.text, limit=args.limit)
    if args.json:
        rt.print_json([patient_json(p) for p in found])
    else:
        print_table(
            rt.out,
            ("ID", "NAME", "BORN", "PHONE", "EMAIL"),
            [(p.id, p.full_name, p.date_of_birth, p.phone, p.email) for p in found],
        )
    return OK


def _show_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("patient_id", metavar="ID", type=int)
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def _show(args: argparse.Namespace, rt: Runtime) -> int:
    patient = patients.get(rt.ctx, args.patient_id)
    history = patients.history(rt.ctx, args.patient_id)
    now = rt.ctx.now()
    zones = appointment_zones(rt.ctx, history)
    upcoming = sorted((a for a in history if a.start >= now), key=lambda a: a.start)
    past = sorted((a for a in history if a.start < now), key=lambda a: a.start, reverse=True)
    if args.json:
        rt.print_json(
            {
                **patient_json(patient),
                "notes": patient.notes,
                "no_show_count": patients.no_show_count(history),
                "upcoming": [appointment_json(a, zones[a.id or -1]) for a in upcoming],
                "past": [appointment_json(a, zones[a.id or -1]) for a in past],
            }
        )
        return OK
    print(f"#{patient.id} {patient.full_name}", file=rt.out)
    for label, value in (
        ("Born", patient.date_of_birth),
        ("Phone", patient.phone),
        ("E-mail", patient.email),
        ("Prefers", patient.preferred_channel.value),
        ("No-shows", patients.no_show_count(history)),
    ):
        print(f"  {label}: {value if value is not None else '-'}", file=rt.out)
    for title, appts in (("Upcoming", upcoming), ("Past", past)):
        print(f"\n{title}:", file=rt.out)
        print_table(
            rt.out,
            ("ID", "START", "STATUS"),
            [(a.id, local_iso(a.start, zones[a.id or -1]), a.status.value) for a in appts],
        )
    return OK


COMMANDS = [
    Command(("patients", "add"), "Register a patient.", _add, _add_arguments),
    Command(("patients", "search"), "Find patients as you would type.", _search, _search_arguments),
    Command(("patients", "show"), "A patient and their appointments.", _show, _show_arguments),
]
