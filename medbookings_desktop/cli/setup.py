"""`medbookings setup apply FILE [--dry-run] [--json]`: apply a clinic setup file (TOML)."""

from __future__ import annotations

import argparse
from pathlib import Path

from medbookings_desktop.cli.framework import BAD_INPUT, OK, CliError, Command, Runtime
from medbookings_desktop.domain.setup_spec import SetupInvalid, read_setup_text
from medbookings_desktop.services.setup_file import apply_setup


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file", metavar="FILE", type=Path, help="the setup file (see docs/setup-file.md)"
    )
    p.add_argument("--dry-run", action="store_true", help="check and show the changes, write none")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(f"{path} is not UTF-8 text (bad byte at offset {exc.start}).") from None


def _apply(args: argparse.Namespace, rt: Runtime) -> int:
    text = read_text(args.file)
    try:
        spec, problems = read_setup_text(text)
        result = apply_setup(rt.ctx, spec, dry_run=args.dry_run, problems=problems)
    except SetupInvalid as exc:
        if args.json:
            rt.print_json(
                {
                    "applied": False,
                    "problems": [{"place": p.place, "message": p.message} for p in exc.problems],
                }
            )
        for problem in exc.problems:
            print(f"{args.file}: {problem}", file=rt.err)
        print(f"medbookings: {exc.message}", file=rt.err)
        return BAD_INPUT
    if args.json:
        rt.print_json(
            {
                "applied": not args.dry_run,
                "dry_run": args.dry_run,
                "changes": [str(c) for c in result.changes],
            }
        )
        return OK
    if not result.changed:
        print("no changes", file=rt.out)
        return OK
    heading = "Dry run, nothing written. Would have:" if args.dry_run else f"Applied {args.file}:"
    print(heading, file=rt.out)
    for change in result.changes:
        print(f"  {change}", file=rt.out)
    return OK


COMMANDS = [
    Command(
        ("setup", "apply"),
        "Apply a clinic setup file (TOML): settings, locations, services, providers, hours.",
        _apply,
        _arguments,
    ),
]
