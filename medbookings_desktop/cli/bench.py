"""`medbookings bench [--size large|small] [--json] [--database URL] [--postgres URL] [--rounds N]`.

Prints figures; it does not pass or fail them. Without --database it measures a fresh demo
clinic in a temporary SQLite file; with --postgres it also measures one in a new database on
that server (created and dropped again).
"""

from __future__ import annotations

import argparse

from medbookings_desktop.cli.framework import OK, CliError, Command, Runtime


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--size", choices=("large", "small"), default="large", help="demo clinic size (large)"
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--database",
        dest="bench_database",
        metavar="URL",
        help="measure this database instead of a temporary SQLite file: an empty one is "
        "filled with a demo clinic, one holding a demo clinic of that size is reused",
    )
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure on this PostgreSQL server, in a database created for the run",
    )
    p.add_argument("--rounds", type=int, default=200, help="timed calls per figure (default: 200)")


def _bench(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop import bench
    from medbookings_desktop.demo import Size

    if not 1 <= args.rounds <= 100_000:
        raise CliError("--rounds must be between 1 and 100000.")
    database = args.bench_database or rt.database_url
    report = bench.run(
        size=Size(args.size),
        rounds=args.rounds,
        database=database,
        postgres=args.postgres,
        backup_dir=rt.settings.backup_dir if database else None,
        say=lambda message: print(message, file=rt.err, flush=True),
    )
    if args.json:
        rt.print_json(report)
    else:
        for line in bench.as_text(report):
            print(line, file=rt.out)
    return OK


COMMANDS = [
    Command(
        ("bench",),
        "Measure slot search, booking, patient search, a day's agenda and memory on a "
        "demo clinic (SQLite, and PostgreSQL when given).",
        _bench,
        _arguments,
    )
]
