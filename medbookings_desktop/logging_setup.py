"""Log files for the desk, with a redaction safety net for patient data (DESIGN invariant 6).

The app never logs patient data on purpose; `RedactPatientData` masks e-mail addresses and
phone numbers that slip through anyway (in an exception message, a vendor's error body ...).
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

LOG_FILE_NAME = "medbookings.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"

# names mark the handlers we own, so a second call replaces them instead of adding more
FILE_HANDLER_NAME = "medbookings-file"
CONSOLE_HANDLER_NAME = "medbookings-console"
HELD_HANDLER_NAME = "medbookings-held"
# vendors' loggers that write every request at INFO (the twilio package: its method, URL and
# headers); their warnings and errors still reach the log
CHATTY_VENDOR_LOGGERS = ("twilio.http_client",)
# what a start holds before the file opens: far more than a start logs, a bound all the same
HOLD_AT_MOST = 1000

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

# a "/" before the local part means a URL's user name (postgresql://postgres@host), not an e-mail
_EMAIL_RE = re.compile(r"(?<![\w.+/-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_PHONE_RE = re.compile(
    r"""
    (?<![\w.+/-])                  # not the tail of a word, a number, an id or a path
    (?!\d{4}-\d{2}-\d{2}(?!\d))    # an ISO date is not a phone number
    \+?\(?\d                       # the first digit, maybe after + or (
    (?:[ ()-]{0,2}\d){6,}          # six or more digits, spaces, dashes, brackets between
    (?![\w-]|\.\d)                 # not the head of an id, a hex run or a decimal
    """,
    re.VERBOSE,
)


def redact(text: str) -> str:
    """Mask e-mail addresses and phone-number-like digit runs in `text`."""
    return _PHONE_RE.sub(PHONE_MASK, _EMAIL_RE.sub(EMAIL_MASK, text))


class RedactPatientData(logging.Filter):
    """Rewrites each record's message (with its args merged in) and traceback, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # the formatter would fail too and print the raw args to stderr; keep them masked
            message = f"{record.msg!s} [unformattable args: {record.args!r}]"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # formatted here so the formatter reuses the masked text instead of the raw one
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class IsoFormatter(logging.Formatter):
    """ISO 8601 local time with milliseconds and UTC offset, unambiguous across DST changes."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC).astimezone()
        if datefmt:
            return moment.strftime(datefmt)
        return moment.isoformat(timespec="milliseconds")


class _Held(logging.Handler):
    """Keeps records until `configure_logging` opens the file, which writes them first."""

    def __init__(self) -> None:
        super().__init__()
        self.set_name(HELD_HANDLER_NAME)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < HOLD_AT_MOST:
            self.records.append(record)


def hold_logs(level: int = logging.INFO) -> None:
    """Keep what is logged in memory until `configure_logging` is called.

    The window's start opens its log file after the first paint: the rotating file handler's
    module (with pickle, socket and queue) costs milliseconds that the calendar waits for.
    """
    root = logging.getLogger()
    if not any(h.get_name() == HELD_HANDLER_NAME for h in root.handlers):
        root.addHandler(_Held())
    root.setLevel(level)


def _held_records(logger: logging.Logger) -> list[logging.LogRecord]:
    held: list[logging.LogRecord] = []
    for handler in list(logger.handlers):
        if isinstance(handler, _Held):
            logger.removeHandler(handler)
            held += handler.records
    return held


def quiet_chatty_vendors() -> None:
    for name in CHATTY_VENDOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _remove_our_handlers(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        if handler.get_name() in (FILE_HANDLER_NAME, CONSOLE_HANDLER_NAME):
            logger.removeHandler(handler)
            handler.close()


def configure_logging(log_dir: Path, level: int = logging.INFO, console: bool = False) -> None:
    """Send the app's logs to a rotating `medbookings.log` in `log_dir` (and stderr if asked).

    Safe to call again: the handlers from an earlier call are replaced, not duplicated. What
    `hold_logs` kept is written first.
    """
    import logging.handlers

    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    _remove_our_handlers(root)

    formatter = IsoFormatter(FORMAT)
    handlers: list[logging.Handler] = []
    file_handler = logging.handlers.RotatingFileHandler(
        log_dir / LOG_FILE_NAME, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    file_handler.set_name(FILE_HANDLER_NAME)
    handlers.append(file_handler)
    if console:
        console_handler = logging.StreamHandler(sys.stderr)
        console_handler.set_name(CONSOLE_HANDLER_NAME)
        handlers.append(console_handler)

    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactPatientData())
    for record in _held_records(root):
        for handler in handlers:
            if record.levelno >= level:
                handler.handle(record)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    quiet_chatty_vendors()
