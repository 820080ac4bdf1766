"""`medbookings demo [--size small|large] [--seed N]`: fill an empty database with a clinic."""

from __future__ import annotations

import argparse

from medbookings_desktop.cli.framework import OK, Command, Runtime


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--size",
        choices=("small", "large"),
        default="small",
        help="small: one London location, 4 providers, 200 patients, 6 weeks of appointments; "
        "large: 3 locations in 3 time zones, 30 providers, 200,000 patients, two years "
        "(default: small)",
    )
    p.add_argument(
        "--seed", type=int, default=1, help="the same seed gives the same clinic (default: 1)"
    )


def _demo(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop.demo import Size, build_demo

    summary = build_demo(
        rt.ctx,
        rt.app.engine,
        size=Size(args.size),
        seed=args.seed,
        progress=lambda message: print(message, file=rt.err, flush=True),
    )
    for line in summary.lines():
        print(line, file=rt.out)
    return OK


COMMANDS = [
    Command(
        ("demo",),
        "Fill an empty database with a realistic demo clinic (deterministic for a seed).",
        _demo,
        _arguments,
    )
]
