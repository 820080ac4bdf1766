"""`medbookings locations | providers | services list [--json]`."""

from __future__ import annotations

import argparse

from medbookings_desktop.cli.framework import OK, Command, Runtime
from medbookings_desktop.cli.output import (
    location_json,
    print_table,
    provider_json,
    service_json,
)


def _json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


def _locations(args: argparse.Namespace, rt: Runtime) -> int:
    with rt.ctx.read() as uow:
        locations = uow.locations.list()
    if args.json:
        rt.print_json([location_json(loc) for loc in locations])
    else:
        print_table(
            rt.out,
            ("ID", "NAME", "ZONE", "ADDRESS"),
            [(loc.id, loc.name, loc.zone, loc.address) for loc in locations],
        )
    return OK


def _providers(args: argparse.Namespace, rt: Runtime) -> int:
    with rt.ctx.read() as uow:
        providers = uow.providers.list()
        locations = {loc.id: loc.name for loc in uow.locations.list()}
        services = {s.id: s.name for s in uow.services.list()}
    if args.json:
        rt.print_json([provider_json(p) for p in providers])
    else:
        print_table(
            rt.out,
            ("ID", "NAME", "LOCATIONS", "SERVICES", "ACTIVE"),
            [
                (
                    p.id,
                    p.display_name,
                    ", ".join(locations.get(i, f"#{i}") for i in sorted(p.location_ids)),
                    ", ".join(services.get(i, f"#{i}") for i in sorted(p.service_ids)),
                    "yes" if p.active else "no",
                )
                for p in providers
            ],
        )
    return OK


def _services(args: argparse.Namespace, rt: Runtime) -> int:
    with rt.ctx.read() as uow:
        services = uow.services.list()
    if args.json:
        rt.print_json([service_json(s) for s in services])
    else:
        print_table(
            rt.out,
            ("ID", "NAME", "MINUTES", "PRICE", "ONLINE"),
            [
                (
                    s.id,
                    s.name,
                    int(s.duration.total_seconds() // 60),
                    f"{s.price_cents / 100:.2f} {s.currency}",
                    "yes" if s.online else "no",
                )
                for s in services
            ],
        )
    return OK


COMMANDS = [
    Command(("locations", "list"), "List the clinic's locations.", _locations, _json_flag),
    Command(("providers", "list"), "List providers.", _providers, _json_flag),
    Command(("services", "list"), "List services (appointment types).", _services, _json_flag),
]
