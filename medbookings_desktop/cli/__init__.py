"""The `medbookings` command: the GUI by default, admin and scripting subcommands.

Exit codes: 0 done; 1 refused by a rule (slot taken, outside hours), reason on stderr;
2 bad input (malformed value, unknown id, unreadable file). A refused or bad command changes
nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from medbookings_desktop import __version__
from medbookings_desktop.cli.framework import (
    COMMAND_MODULES,
    Runtime,
    build_parser,
    run,
    window_args,
)


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    window = window_args(given)
    if window is not None:  # the window, no command: no argparse either
        return run(window, Runtime.from_args(window))
    if not {"-h", "--help", "--version"} & set(given):
        window_only = build_parser(__version__, with_commands=False)
        args, rest = window_only.parse_known_args(given)
        if not rest:  # no command: open the window without loading every command
            return run(args, Runtime.from_args(args))
    parser = build_parser(__version__)
    args = parser.parse_args(given)
    return run(args, Runtime.from_args(args))


__all__ = ["COMMAND_MODULES", "main", "sys"]
