"""`medbookings bench [gui] [--size large|small] [--json] [--database URL] [--postgres URL]
[--rounds N]`.

`medbookings bench gui` times the desk's window instead: start-up against a bare Qt window,
switching days, typeahead, and the window's memory (see `bench_gui.py`).
`medbookings bench engine` and `medbookings bench google` time the background engine and the
Google Calendar sync against the loopback vendor fakes of a source checkout (`tests/fakes/`).

Prints figures; it does not pass or fail them. Without --database it measures a fresh demo
clinic in a temporary SQLite file; with --postgres it also measures one in a new database on
that server (created and dropped again).
"""

from __future__ import annotations

import argparse

from medbookings_desktop.cli.framework import OK, CliError, Command, Runtime


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "what",
        nargs="?",
        choices=("gui", "engine", "google"),
        help="`gui`: time the window (start-up, day switch, typeahead); `engine`: the outbox "
        "engine against loopback SendGrid and Twilio; `google`: the Google Calendar sync "
        "against a loopback Google. Without it: the services",
    )
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
    p.add_argument("--rounds", type=int, help="timed calls per figure (default: 200; gui: 50)")
    p.add_argument(
        "--starts", type=int, default=7, help="gui: app and bare-window starts timed (default: 7)"
    )


def _bench(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop import bench
    from medbookings_desktop.demo import Size

    if args.what == "gui":
        return _bench_gui(args, rt)
    if args.what in ("engine", "google"):
        return _bench_against_fakes(args.what, args, rt)
    rounds = 200 if args.rounds is None else args.rounds
    if not 1 <= rounds <= 100_000:
        raise CliError("--rounds must be between 1 and 100000.")
    database = args.bench_database or rt.database_url
    report = bench.run(
        size=Size(args.size),
        rounds=rounds,
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


def _bench_gui(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop import bench_gui
    from medbookings_desktop.demo import Size

    rounds = 50 if args.rounds is None else args.rounds
    if not 1 <= rounds <= 10_000:
        raise CliError("--rounds must be between 1 and 10000.")
    if not 1 <= args.starts <= 100:
        raise CliError("--starts must be between 1 and 100.")
    if args.postgres:
        raise CliError("bench gui measures one database: give it with --database.")
    report = bench_gui.run(
        size=Size(args.size),
        starts=args.starts,
        rounds=rounds,
        database=args.bench_database or rt.database_url,
        say=lambda message: print(message, file=rt.err, flush=True),
    )
    if args.json:
        rt.print_json(report)
    else:
        for line in bench_gui.as_text(report):
            print(line, file=rt.out)
    return OK


def _bench_against_fakes(what: str, args: argparse.Namespace, rt: Runtime) -> int:
    """Run `tests/<what>/bench_<what>.py` (`measure(rounds)`, `TARGETS`): the fakes live there."""
    import importlib
    import sys
    from pathlib import Path

    checkout = Path(__file__).resolve().parents[2]
    if not (checkout / "tests" / "fakes" / "__init__.py").is_file():
        raise CliError(
            f"bench {what} runs against the loopback vendor fakes in a source checkout's "
            "tests/fakes/, and there is none next to this installation."
        )
    if args.rounds is not None and not 1 <= args.rounds <= 1000:
        raise CliError("--rounds must be between 1 and 1000.")
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))  # so `tests.fakes` imports from the checkout
    module = importlib.import_module(f"tests.{what}.bench_{what}")

    def say(message: str) -> None:
        print(message, file=rt.err, flush=True)

    say(f"Measuring the {what} against loopback fakes ...")
    report = module.measure() if args.rounds is None else module.measure(args.rounds)
    if args.json:
        rt.print_json(report)
    else:
        for key, target in module.TARGETS.items():
            # a bare number is an upper bound; a text such as "≥ 100" says its own direction
            bound = f"≤ {target}" if isinstance(target, int | float) else target
            print(f"{key}: {report[key]} (target {bound})", file=rt.out)
    return OK


COMMANDS = [
    Command(
        ("bench",),
        "Measure slot search, booking, patient search, a day's agenda and memory on a "
        "demo clinic (SQLite, and PostgreSQL when given); `bench gui` times the window.",
        _bench,
        _arguments,
    )
]
