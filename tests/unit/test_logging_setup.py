"""Log files: rotation, ISO format, idempotence, and the patient-data redaction safety net."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from medbookings_desktop.logging_setup import (
    BACKUP_COUNT,
    HOLD_AT_MOST,
    LOG_FILE_NAME,
    MAX_BYTES,
    RedactPatientData,
    configure_logging,
    hold_logs,
    redact,
)

OURS = ("medbookings-file", "medbookings-console")


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h.get_name() in OURS]


def _flush() -> None:
    for handler in _our_handlers():
        handler.flush()


def test_creates_log_dir_and_writes_iso_formatted_lines(tmp_path: Path) -> None:
    log_dir = tmp_path / "nested" / "logs"
    configure_logging(log_dir)

    logging.getLogger("medbookings_desktop.sync").info("outbox: %d rows sent", 3)
    logging.getLogger("medbookings_desktop.sync").debug("not at INFO")
    _flush()

    lines = (log_dir / LOG_FILE_NAME).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d INFO +"
        r"medbookings_desktop\.sync: outbox: 3 rows sent",
        lines[0],
    ), lines[0]


def test_level_is_honoured(tmp_path: Path) -> None:
    configure_logging(tmp_path, level=logging.DEBUG)
    logging.getLogger("medbookings_desktop.x").debug("detail")
    _flush()
    assert "DEBUG" in (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")


def test_what_is_logged_before_the_file_opens_is_written_first_and_redacted(
    tmp_path: Path,
) -> None:
    hold_logs()
    hold_logs()  # once is enough: a second call adds no second holder
    log = logging.getLogger("medbookings_desktop.ui")
    log.warning("quick read failed for jane@example.org")
    log.debug("below the level")
    assert not (tmp_path / LOG_FILE_NAME).exists()

    configure_logging(tmp_path)
    log.info("the desk started")
    _flush()

    lines = (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8").splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "quick read failed for [email]",
        "the desk started",
    ]
    assert not [h for h in logging.getLogger().handlers if h.get_name() == "medbookings-held"]


def test_holding_is_bounded(tmp_path: Path) -> None:
    hold_logs()
    for n in range(HOLD_AT_MOST + 50):
        logging.getLogger("medbookings_desktop.x").info("line %d", n)
    configure_logging(tmp_path)
    _flush()
    lines = (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8").splitlines()
    assert len(lines) == HOLD_AT_MOST
    assert lines[-1].endswith(f"line {HOLD_AT_MOST - 1}")


def test_the_twilio_packages_request_dumps_stay_out_but_its_warnings_do_not(
    tmp_path: Path,
) -> None:
    configure_logging(tmp_path)
    twilio = logging.getLogger("twilio.http_client")
    twilio.info("-- BEGIN Twilio API Request --")
    twilio.warning("the connection was reset")
    _flush()
    text = (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "BEGIN Twilio API Request" not in text
    assert "the connection was reset" in text


def test_idempotent(tmp_path: Path) -> None:
    configure_logging(tmp_path)
    configure_logging(tmp_path)
    assert len(_our_handlers()) == 1

    configure_logging(tmp_path, console=True)
    configure_logging(tmp_path, console=True)
    assert sorted(h.get_name() for h in _our_handlers()) == sorted(OURS)

    logging.getLogger("medbookings_desktop").warning("once")
    _flush()
    assert (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8").count("once") == 1


def test_console_goes_to_stderr_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(tmp_path, console=True)
    logging.getLogger("medbookings_desktop").warning("reply from %s", "+14155550100")
    _flush()
    err = capsys.readouterr().err
    assert "reply from [phone]" in err
    assert "4155550100" not in err


def test_rotates_at_2_mb_keeping_5_files(tmp_path: Path) -> None:
    configure_logging(tmp_path)
    log = logging.getLogger("medbookings_desktop.bench")
    line = "x" * 1000
    for _ in range((MAX_BYTES * (BACKUP_COUNT + 2)) // 1000):
        log.info(line)
    _flush()

    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        [LOG_FILE_NAME] + [f"{LOG_FILE_NAME}.{i}" for i in range(1, BACKUP_COUNT + 1)]
    )
    for path in tmp_path.iterdir():
        assert path.stat().st_size <= MAX_BYTES


def test_redacts_emails_and_phones_in_message_and_args(tmp_path: Path) -> None:
    configure_logging(tmp_path)
    log = logging.getLogger("medbookings_desktop.integrations.twilio")

    log.info("send to %s and %s", "jane.doe+clinic@example.co.uk", "+447911123456")
    log.info("inline whatsapp:+1 415 555 0100 and tel (030) 1234-5678")
    log.warning("vendor said: %r", {"to": "+14155550100", "email": "max@beispiel.de"})
    _flush()

    text = (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
    for secret in (
        "jane.doe",
        "example.co.uk",
        "7911123456",
        "555 0100",
        "1234-5678",
        "4155550100",
        "max@",
    ):
        assert secret not in text, secret
    assert "send to [email] and [phone]" in text
    assert "whatsapp:[phone] and tel [phone]" in text
    assert "{'to': '[phone]', 'email': '[email]'}" in text


def test_redacts_tracebacks(tmp_path: Path) -> None:
    configure_logging(tmp_path)
    try:
        raise ValueError("duplicate patient jane@example.com / +14155550100")
    except ValueError:
        logging.getLogger("medbookings_desktop").exception("booking failed")
    _flush()

    text = (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "Traceback" in text
    assert "ValueError: duplicate patient [email] / [phone]" in text
    assert "jane@" not in text
    assert "4155550100" not in text


def test_keeps_what_is_not_patient_data(tmp_path: Path) -> None:
    configure_logging(tmp_path)
    message = (
        "sync 2024-03-31T01:30:00+01:00 appointment 123e4567-e89b-12d3-a456-426614174000 "
        "db postgresql+psycopg://postgres@127.0.0.1:54321/medbookings took 1.2345678 s, "
        "port 5432, 42 rows"
    )
    logging.getLogger("medbookings_desktop").info(message)
    _flush()

    assert message in (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")


def test_unformattable_args_are_still_redacted() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "to %s %s", ("jane@example.com",), None
    )
    assert RedactPatientData().filter(record)
    assert "jane@" not in record.getMessage()
    assert "[email]" in record.getMessage()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@b.io", "[email]"),
        ("+14155550100", "[phone]"),
        ("+44 20 7946 0958", "[phone]"),
        ("0171-2345678", "[phone]"),
        ("5550100", "[phone]"),
        ("555010", "555010"),
        ("2024-05-01", "2024-05-01"),
        ("v1.2345678", "v1.2345678"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
