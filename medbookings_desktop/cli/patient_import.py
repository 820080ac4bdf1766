"""`medbookings patients import FILE.csv [--dry-run] [--skip-bad-rows] [--allow-duplicates]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from medbookings_desktop.cli.framework import BAD_INPUT, OK, CliError, Command, Runtime
from medbookings_desktop.services.patient_import import ImportReport, import_patients


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE.csv", type=Path, help="see docs/patient-import.md")
    p.add_argument("--dry-run", action="store_true", help="check and report, import nothing")
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="import the good rows even if some are bad"
    )
    p.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="import rows whose name and date of birth match a known patient or an earlier row",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _import(args: argparse.Namespace, rt: Runtime) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    report = import_patients(
        rt.ctx,
        data,
        dry_run=args.dry_run,
        skip_bad_rows=args.skip_bad_rows,
        allow_duplicates=args.allow_duplicates,
    )
    if args.json:
        rt.print_json(report.as_json())
    else:
        _print_report(report, rt)
    if report.stopped:
        n = report.bad_rows
        advice = (
            f"or use --skip-bad-rows to import the other {_rows(report.importable)}"
            if report.importable
            else "and import again"
        )
        print(
            f"medbookings: {_rows(n)} with errors, so nothing was imported; "
            f"fix {'it' if n == 1 else 'them'} {advice}.",
            file=rt.err,
        )
        return BAD_INPUT
    return OK


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def _print_report(report: ImportReport, rt: Runtime) -> None:
    for issue in sorted([*report.errors, *report.warnings], key=lambda i: i.line):
        kind = "error" if issue in report.errors else "warning"
        print(f"{kind}: {issue}", file=rt.out)
    if report.stopped:
        return
    skipped = f"; {_rows(report.skipped)} skipped" if report.skipped else ""
    if report.dry_run:
        print(
            f"Dry run, nothing written: {_rows(report.importable)} would be imported{skipped}.",
            file=rt.out,
        )
    else:
        print(f"Imported {report.imported:,} patients{skipped}.", file=rt.out)


COMMANDS = [
    Command(
        ("patients", "import"),
        "Import patients from a CSV file (all or nothing, with a row-by-row report).",
        _import,
        _arguments,
    ),
]
