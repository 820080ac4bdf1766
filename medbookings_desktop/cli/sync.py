"""`medbookings sync --once` and `medbookings sync --forever`: the background engine, headless.

`--once` runs passes until nothing due is left (a full batch means another pass) and exits;
`--forever` runs the engine's thread until SIGTERM or SIGINT, then lets the message in hand
finish, hands back the rest of its batch, and exits 0. Vendors, sender ids and secrets come
from the clinic's messaging settings, the keyring and `MEDBOOKINGS_*` variables
(see sync/config.py).

`--forever --supervised` (not in the help) is the window's engine, a child process of the
window (sync/engine_process.py): it takes `wake`, `reconfigure` and `stop` on stdin (a closed
stdin stops it too), writes its state as JSON lines on stdout and its log on stderr, and with
no sending service set up it stays up, saying so, until a reconfigure brings one.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import timedelta
from typing import Any

from medbookings_desktop.cli.framework import BAD_INPUT, OK, REFUSED, Command, Runtime

MAX_ONCE_PASSES = 10_000


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _arguments(p: argparse.ArgumentParser) -> None:
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="send what is due now, then exit")
    mode.add_argument(
        "--forever", action="store_true", help="keep sending until stopped (SIGTERM, Ctrl+C)"
    )
    p.add_argument("--json", action="store_true", help="print what was done as JSON")
    p.add_argument(
        "--interval",
        metavar="SECONDS",
        type=_positive,
        default=15.0,
        help="with --forever: look for due messages at least this often (default: 15)",
    )
    p.add_argument(
        "--batch", metavar="N", type=int, default=50, help="rows claimed per pass (default: 50)"
    )
    p.add_argument(
        "--lease",
        metavar="SECONDS",
        type=_positive,
        default=300.0,
        help="an attempt another engine left in 'sending' this long ago is taken over "
        "(default: 300)",
    )
    # the window's engine, run by sync/engine_process.py: commands on stdin, state on stdout
    p.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)


def _engine(args: argparse.Namespace, rt: Runtime) -> Any:
    from medbookings_desktop.sync.engine import EngineConfig, for_desk

    config = EngineConfig(batch_size=max(1, args.batch), lease=timedelta(seconds=args.lease))
    return for_desk(rt.app.engine, rt.settings, config=config)


def _print(rt: Runtime, args: argparse.Namespace, report: Any, channels: list[str]) -> None:
    if args.json:
        rt.print_json({"channels": channels, **report.as_json()})
        return
    print(
        f"sent {len(report.sent)}, retried {len(report.retried)}, failed {len(report.failed)}, "
        f"superseded {len(report.superseded)}, deferred {len(report.deferred)}"
        + (f", interrupted attempts resolved {len(report.recovered)}" if report.recovered else ""),
        file=rt.out,
    )


def _sync(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop.sync.engine import RunReport
    from medbookings_desktop.sync.runner import Runner

    if args.supervised:
        if not args.forever:
            print("medbookings: --supervised goes with --forever", file=rt.err)
            return BAD_INPUT
        return _supervised(args, rt)
    engine = _engine(args, rt)
    channels = sorted(engine.channels)
    if not channels:
        print(
            "medbookings: no sending service is set up on this desk: store the SendGrid API "
            "key or the Twilio auth token in the keyring (or MEDBOOKINGS_SENDGRID_API_KEY / "
            "MEDBOOKINGS_TWILIO_AUTH_TOKEN) and the sender in the clinic's messaging settings",
            file=rt.err,
        )
        return REFUSED
    if args.once:
        total = RunReport()
        for _ in range(MAX_ONCE_PASSES):
            report = engine.run_once()
            total.merge(report)
            if not report.more:
                break
        _print(rt, args, total, channels)
        return OK

    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    runner = Runner(engine, database_url=rt.url, interval=timedelta(seconds=args.interval))
    try:
        runner.start()
        while not stop.wait(0.5):
            if not runner.running():
                break
    finally:
        runner.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _print(rt, args, runner.totals, channels)
    return OK


def _supervised(args: argparse.Namespace, rt: Runtime) -> int:
    """The window's engine: the Runner, driven by the window's words on stdin, reporting each
    state and pass on stdout. Exits 0 once told to stop (or the window is gone), 1 when the
    engine could not be set up (the window starts it again after a pause)."""
    from medbookings_desktop.sync import engine_process
    from medbookings_desktop.sync.runner import Runner

    engine_process.lower_priority()
    engine_process.log_to_parent(sys.stderr)
    write = engine_process.StateWriter(rt.out)
    stop = threading.Event()
    runner = Runner(
        lambda: _engine(args, rt),  # built, and rebuilt on `reconfigure`, on its thread
        database_url=rt.url,
        interval=timedelta(seconds=args.interval),
        on_state=lambda state, report: write(state, report, runner.passes),
    )
    commands = threading.Thread(
        target=engine_process.read_commands,
        args=(sys.stdin.fileno(),),
        kwargs={"wake": runner.wake, "reconfigure": runner.reconfigure, "stop": stop},
        name="engine-commands",
        daemon=True,
    )
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    failed = False
    try:
        runner.start()
        commands.start()
        while not stop.wait(0.5):
            if not runner.running():  # the engine could not be set up: logged
                failed = True
                break
    finally:
        runner.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return REFUSED if failed else OK


def _attention_list(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop.services import attention

    items = attention.list_open(rt.ctx)
    if args.json:
        rt.print_json(
            [
                {
                    "id": i.id,
                    "kind": i.kind,
                    "service": i.service,
                    "appointment_id": i.appointment_id,
                    "patient_id": i.patient_id,
                    "outbox_id": i.outbox_id,
                    "summary": i.summary,
                    "created_at": i.created_at.isoformat(),
                }
                for i in items
            ]
        )
        return OK
    for i in items:
        print(f"#{i.id}  {i.created_at:%Y-%m-%d %H:%M} UTC  {i.summary}", file=rt.out)
    if not items:
        print("Nothing needs attention.", file=rt.out)
    return OK


def _attention_resolve(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop.services import attention

    item = attention.resolve(rt.ctx, args.item)
    print(f"Resolved #{item.id} ({item.kind}).", file=rt.out)
    return OK


def _attention_send_again(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop.services import attention

    item = attention.send_again(rt.ctx, args.item)
    print(f"Resolved #{item.id}: message #{item.outbox_id} goes again.", file=rt.out)
    return OK


def _health(args: argparse.Namespace, rt: Runtime) -> int:
    from medbookings_desktop.services import health

    rows = health.services(rt.ctx)
    if args.json:
        rt.print_json(
            [
                {
                    "service": h.service,
                    "state": h.state,
                    "last_success": h.last_success.isoformat() if h.last_success else None,
                    "calls_last_hour": h.calls_last_hour,
                    "errors_last_hour": h.errors_last_hour,
                    "error_rate": round(h.error_rate, 3),
                    "last_error": h.last_error,
                    "queue_depth": h.queue_depth,
                    "oldest_pending": h.oldest_pending.isoformat() if h.oldest_pending else None,
                    "paused": h.paused,
                }
                for h in rows
            ]
        )
        return OK
    for h in rows:
        last = f"{h.last_success:%Y-%m-%d %H:%M} UTC" if h.last_success else "never"
        print(
            f"{h.name}: {h.state}; last success {last}; "
            f"{h.errors_last_hour}/{h.calls_last_hour} calls failed in the last hour; "
            f"{h.queue_depth} waiting",
            file=rt.out,
        )
    return OK


def _json_only(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print as JSON")


def _resolve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("item", metavar="ID", type=int, help="the item's number")


COMMANDS = [
    Command(
        ("sync",),
        "send due confirmations, reminders and notices (the background engine)",
        _sync,
        _arguments,
    ),
    Command(("attention", "list"), "list what needs attention", _attention_list, _json_only),
    Command(
        ("attention", "resolve"),
        "mark an item dealt with (a credentials item lets its service send again)",
        _attention_resolve,
        _resolve_arguments,
    ),
    Command(
        ("attention", "send-again"),
        "send the message an item is about again, and resolve the item",
        _attention_send_again,
        _resolve_arguments,
    ),
    Command(
        ("health",), "how each vendor is doing (from the integration log)", _health, _json_only
    ),
]
