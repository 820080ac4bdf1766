"""`medbookings export ics --provider ID ...` and `medbookings export csv ...`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from medbookings_desktop.cli.framework import OK, CliError, Command, Runtime
from medbookings_desktop.services.export import appointment_rows, ics_feed, render_csv


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _output(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="write to FILE (default: stdout)"
    )


def _ics_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", metavar="ID", type=int, required=True)
    p.add_argument(
        "--from", dest="first", metavar="DATE", type=_date, help="first day (default: today)"
    )
    p.add_argument("--days", metavar="N", type=_positive, default=90, help="default: 90")
    _output(p)


def _csv_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from", dest="first", metavar="DATE", type=_date, help="first day (default: today)"
    )
    p.add_argument(
        "--to", dest="last", metavar="DATE", type=_date, help="last day, included (default: +30)"
    )
    p.add_argument("--provider", metavar="ID", type=int)
    _output(p)


def _emit(rt: Runtime, text: str, output: Path | None, what: str) -> None:
    """Write the bytes as they are: CRLF line endings must survive a text-mode stdout."""
    data = text.encode("utf-8")
    if output is not None:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror or exc}") from None
        print(f"Wrote {what} to {output}.", file=rt.err)
        return
    buffer = getattr(rt.out, "buffer", None)
    if buffer is None:
        rt.out.write(text)
        return
    rt.out.flush()
    buffer.write(data)
    buffer.flush()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _ics(args: argparse.Namespace, rt: Runtime) -> int:
    text, count = ics_feed(rt.ctx, args.provider, start=args.first, days=args.days)
    _emit(rt, text, args.output, _plural(count, "appointment"))
    return OK


def _csv(args: argparse.Namespace, rt: Runtime) -> int:
    rows = appointment_rows(rt.ctx, first=args.first, last=args.last, provider_id=args.provider)
    _emit(rt, render_csv(rows), args.output, _plural(len(rows), "appointment"))
    return OK


COMMANDS = [
    Command(
        ("export", "ics"),
        "A provider's appointments as an iCalendar (.ics) file to subscribe to.",
        _ics,
        _ics_arguments,
    ),
    Command(
        ("export", "csv"),
        "Appointments (cancelled ones too) as CSV, times local to each location.",
        _csv,
        _csv_arguments,
    ),
]
