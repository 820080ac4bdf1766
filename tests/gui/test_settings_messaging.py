"""Settings → Messaging in the real settings dialog over a real SQLite clinic, a memory keyring
and the local SendGrid and Twilio fakes (the real `sendgrid` and `twilio` packages talk to
them): values are saved and read back with the secrets in the keyring only, each channel's
test message arrives at the fake and its outcome is shown in plain words, and a field that
does not check out blocks saving."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medbookings_desktop import secrets
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services import setup
from medbookings_desktop.settings import KEYRING_SERVICE
from medbookings_desktop.storage import tables as t
from medbookings_desktop.sync import config as cfg
from medbookings_desktop.sync.engine import load_messaging_config
from medbookings_desktop.ui.settings_dialog import SettingsDialog
from medbookings_desktop.ui.settings_pages import messaging
from medbookings_desktop.ui.settings_pages.messaging import MessagingPage, SendTestRow
from medbookings_desktop.ui.tasks import TaskRunner
from tests.fakes.sendgrid_server import API_KEY as SENDGRID_KEY
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring

WAIT = 15_000
BLOB_TOKEN = "vercel_blob_rw_test0001_secret"
TEMPLATE_ID = "d-" + "0123456789abcdef" * 2
CONTENT_SID = "HX" + "fedcba9876543210" * 2
# every MEDBOOKINGS_ variable the page or sync/config.py reads, cleared for each test
MESSAGING_ENV = (
    *messaging.ENV_FIELDS.values(),
    *(secrets.env_name(k) for k in secrets.KNOWN),
    "MEDBOOKINGS_SENDGRID_API_URL",
    "MEDBOOKINGS_TWILIO_API_URL",
    "MEDBOOKINGS_VERCEL_BLOB_API_URL",
)


@dataclass
class Desk:
    clinic: SmallClinic
    tasks: TaskRunner
    keyring: MemoryKeyring
    db_path: Path
    sendgrid: FakeSendGrid
    twilio: FakeTwilio
    dialog: SettingsDialog

    @property
    def page(self) -> MessagingPage:
        return self.dialog.messaging_page


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSendGrid, FakeTwilio]]:
    sendgrid, twilio = FakeSendGrid(), FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    sendgrid.start()
    twilio.start()
    try:
        yield sendgrid, twilio
    finally:
        sendgrid.stop()
        twilio.stop()
    for fake in (sendgrid, twilio):
        assert fake.violations == [], f"{fake.name} saw requests outside its description"


@pytest.fixture
def desk(
    sqlite_url: str,
    clock: Clock,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    fakes: tuple[FakeSendGrid, FakeTwilio],
) -> Iterator[Desk]:
    for var in MESSAGING_ENV:
        monkeypatch.delenv(var, raising=False)
    sendgrid, twilio = fakes
    # the desk's endpoints point at the local fakes, as in a headless run
    monkeypatch.setenv("MEDBOOKINGS_SENDGRID_API_URL", sendgrid.url)
    monkeypatch.setenv("MEDBOOKINGS_TWILIO_API_URL", twilio.url)
    clinic = build_small_clinic(sqlite_url, clock)
    tasks = TaskRunner()
    with memory_keyring() as store:
        dialog = SettingsDialog(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx), _desk())
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.messaging_page.state is not None, timeout=WAIT)
        qtbot.waitUntil(lambda: not tasks.busy(), timeout=WAIT)
        dialog.show_page("Messaging")
        db_path = Path(sqlite_url.removeprefix("sqlite:///"))
        yield Desk(clinic, tasks, store, db_path, sendgrid, twilio, dialog)
        tasks.shutdown()
    clinic.engine.dispose()


def _desk() -> Any:
    """This desk's settings as far as the page reads them: the vendors' usual endpoints
    (the environment variables above point them at the fakes)."""
    from medbookings_desktop.settings import DeskSettings

    return DeskSettings("sqlite://", Path(), Path(), Path())


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Type as a person does, then leave the field (its check runs then)."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    edit.editingFinished.emit()


def fill_in(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    type_into(qtbot, page.api_key.edit, SENDGRID_KEY)
    type_into(qtbot, page.email_from_edit, "reception@example.org")
    type_into(qtbot, page.email_name_edit, "Riverside Clinic")
    type_into(qtbot, page.sid_edit, ACCOUNT_SID)
    type_into(qtbot, page.auth_token.edit, AUTH_TOKEN)
    type_into(qtbot, page.sms_from_edit, "020 7946 0999")
    type_into(qtbot, page.whatsapp_from_edit, "+44 20 7946 0998")


def save(desk: Desk, qtbot: QtBot) -> None:
    with qtbot.waitSignal(desk.page.saved, timeout=WAIT):
        qtbot.mouseClick(desk.page.save_button, Qt.MouseButton.LeftButton)


def send_test(
    desk: Desk, qtbot: QtBot, row: SendTestRow, to: str, page: MessagingPage | None = None
) -> str:
    type_into(qtbot, row.recipient, to)
    assert row.button.isEnabled(), row.reason.text()
    with qtbot.waitSignal((page or desk.page).tested, timeout=WAIT) as blocker:
        qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    assert blocker.args is not None and blocker.args[0] == row.channel
    assert row.result.text() == blocker.args[1] and row.result.isVisible()
    return row.result.text()


def keyring_value(desk: Desk, key: str) -> str | None:
    return desk.keyring.store.get((KEYRING_SERVICE, key))


def settings_rows(desk: Desk) -> dict[str, Any]:
    with desk.clinic.engine.connect() as conn:
        return {r.key: r.value for r in conn.execute(select(t.clinic_settings))}


# -- saving and reading back --------------------------------------------------------------------


def test_values_are_saved_and_read_back_secrets_in_the_keyring_only(
    desk: Desk, qtbot: QtBot
) -> None:
    page = desk.page
    assert isinstance(desk.dialog.current_page(), MessagingPage)
    for secret in page.secret_fields():
        assert secret.edit.placeholderText() == "Not set"
        assert secret.edit.echoMode() == QLineEdit.EchoMode.Password
        assert not secret.clear_button.isEnabled()
    fill_in(desk, qtbot)
    page.sandbox_check.setChecked(True)
    # the per-message template lists are folded while none is set
    for toggle, box in ((page.templates_toggle, page.templates_box),
                        (page.contents_toggle, page.contents_box)):  # fmt: skip
        assert not toggle.isChecked() and not box.isVisible()
        assert toggle.text() == "None set — set them up"
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
        assert box.isVisible()
    type_into(qtbot, page.template_edits["confirmation"], TEMPLATE_ID)
    type_into(qtbot, page.content_edits["reminder"], CONTENT_SID)
    type_into(qtbot, page.blob_token.edit, BLOB_TOKEN)
    page.quiet_check.setChecked(True)
    page.quiet_start.setTime(QTime(22, 0))
    page.quiet_end.setTime(QTime(7, 30))
    with qtbot.waitSignal(desk.dialog.messaging_changed, timeout=WAIT):
        save(desk, qtbot)
    assert page.status.text() == "Saved."

    assert keyring_value(desk, secrets.SENDGRID_API_KEY) == SENDGRID_KEY
    assert keyring_value(desk, secrets.TWILIO_AUTH_TOKEN) == AUTH_TOKEN
    assert keyring_value(desk, secrets.VERCEL_BLOB_TOKEN) == BLOB_TOKEN
    row = settings_rows(desk)[cfg.SETTINGS_KEY]
    assert row == {
        "email_from": "reception@example.org",
        "email_from_name": "Riverside Clinic",
        "sendgrid_sandbox": True,
        "template_ids": {"confirmation": TEMPLATE_ID},
        "twilio_account_sid": ACCOUNT_SID,
        # typed as the clinic dials it, kept in E.164
        "sms_from": "+442079460999",
        "whatsapp_from": "+442079460998",
        "content_sids": {"reminder": CONTENT_SID},
        "quiet_hours": ["22:00", "07:30"],
        "timeout_s": 10.0,
    }
    desk.clinic.engine.dispose()  # the file as it is on disk
    raw = desk.db_path.read_bytes()
    for secret_value in (SENDGRID_KEY, AUTH_TOKEN, BLOB_TOKEN):
        assert secret_value.encode() not in raw

    # what the engine reads now: the clinic's row, the keyring's secrets
    used = load_messaging_config(desk.clinic.engine)
    assert used.quiet_hours == ("22:00", "07:30") and used.sendgrid_sandbox
    assert set(cfg.build_channels(used)) == {"email", "sms", "whatsapp"}

    again = MessagingPage(desk.clinic.ctx, desk.tasks, setup.clinic_settings(desk.clinic.ctx))
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.loaded, timeout=WAIT):
        again.show()
    assert again.email_from_edit.text() == "reception@example.org"
    assert again.sms_from_edit.text() == "+442079460999"
    assert again.sid_edit.text() == ACCOUNT_SID
    assert again.sandbox_check.isChecked()
    assert again.template_edits["confirmation"].text() == TEMPLATE_ID
    assert again.templates_toggle.isChecked() and again.templates_toggle.text() == "1 of 5 set"
    assert again.content_edits["reminder"].text() == CONTENT_SID
    assert again.quiet_check.isChecked()
    assert again.quiet_start.time() == QTime(22, 0) and again.quiet_end.time() == QTime(7, 30)
    assert "Europe/London" in again.quiet_zone.text()
    for secret in again.secret_fields():
        assert secret.edit.text() == ""  # never shown back
        assert "stored in the keyring" in secret.edit.placeholderText().lower()
        assert secret.clear_button.isEnabled()


def test_invalid_fields_block_saving_with_their_message(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    before = settings_rows(desk).get(cfg.SETTINGS_KEY)
    type_into(qtbot, page.auth_token.edit, AUTH_TOKEN)
    type_into(qtbot, page.sid_edit, "AC123")
    # the check runs as the field is left, before any Save
    assert page.problems["twilio_account_sid"].isVisible()
    assert "AC followed by 32" in page.problems["twilio_account_sid"].text()
    type_into(qtbot, page.sms_from_edit, "020 7946")
    type_into(qtbot, page.email_from_edit, "reception@")
    page.templates_toggle.setChecked(True)
    type_into(qtbot, page.template_edits["reminder"], "1234")
    type_into(qtbot, page.content_edits["confirmation"], "SM123")  # typed, then folded away
    page.contents_toggle.setChecked(False)
    page.quiet_check.setChecked(True)
    page.quiet_start.setTime(QTime(21, 0))
    page.quiet_end.setTime(QTime(21, 0))

    with qtbot.waitSignal(page.refused, timeout=WAIT):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert "correct the fields" in page.status.text()
    expected = {
        "twilio_account_sid": "AC followed by 32",
        "sms_from": "not a valid phone number",
        "email_from": "is not an e-mail address",
        "template:reminder": "d- followed by 32",
        "content:confirmation": "HX followed by 32",
        "quiet_hours": "different start and end",
    }
    for name, words in expected.items():
        problem = page.problems[name]
        assert problem.isVisible() and words in problem.text(), (name, problem.text())
        assert problem.text().startswith("⚠")  # a sign, not colour alone
    assert page.contents_toggle.isChecked()  # unfolded to show its problem
    qtbot.waitUntil(lambda: not desk.tasks.busy())
    assert settings_rows(desk).get(cfg.SETTINGS_KEY) == before
    assert keyring_value(desk, secrets.TWILIO_AUTH_TOKEN) is None

    # fixing each field clears its problem as it is typed, and then Save goes through
    type_into(qtbot, page.sid_edit, ACCOUNT_SID)
    assert not page.problems["twilio_account_sid"].isVisible()
    type_into(qtbot, page.sms_from_edit, "+44 20 7946 0999")
    type_into(qtbot, page.email_from_edit, "reception@example.org")
    page.template_edits["reminder"].clear()
    page.content_edits["confirmation"].clear()
    page.quiet_check.setChecked(False)
    save(desk, qtbot)
    assert settings_rows(desk)[cfg.SETTINGS_KEY]["quiet_hours"] is None
    assert keyring_value(desk, secrets.TWILIO_AUTH_TOKEN) == AUTH_TOKEN


def test_checks_on_their_own() -> None:
    assert messaging.check_account_sid(f" {ACCOUNT_SID} ") == ACCOUNT_SID
    assert messaging.check_phone("020 7946 0999", "GB") == "+442079460999"
    assert messaging.check_phone("whatsapp:+442079460999", "US") == "+442079460999"
    assert messaging.check_email("Reception@Example.org") == "Reception@example.org"
    assert messaging.check_template_id(TEMPLATE_ID, "reminder") == TEMPLATE_ID
    assert messaging.check_content_sid("", "reminder") == ""
    assert messaging.check_account_sid("") == ""  # not set up yet
    for bad in ("AC" + "g" * 32, "ac" + "0" * 32, "AC" + "0" * 33, "SK" + "0" * 32):
        with pytest.raises(InvalidInput, match="AC followed by 32"):
            messaging.check_account_sid(bad)
    with pytest.raises(InvalidInput, match="not a valid phone number"):
        messaging.check_phone("020 7946", "GB")


# -- test messages ------------------------------------------------------------------------------


def test_test_buttons_wait_for_what_their_channel_needs(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    for row in page.test_rows():
        assert not row.button.isEnabled() and not row.result.isVisible()
        assert row.reason.isVisible() and row.reason.text().startswith("Needs ")
    assert page.email_test.reason.text() == "Needs the SendGrid API key and a From address first."
    assert page.whatsapp_test.reason.text() == (
        "Needs the account SID, the auth token and a WhatsApp sender number first."
    )
    assert page.whatsapp_test.button.toolTip() == page.whatsapp_test.reason.text()
    type_into(qtbot, page.api_key.edit, SENDGRID_KEY)
    assert page.email_test.reason.text() == "Needs a From address first."
    type_into(qtbot, page.email_from_edit, "reception@example.org")
    assert page.email_test.button.isEnabled() and not page.email_test.reason.isVisible()
    type_into(qtbot, page.sid_edit, ACCOUNT_SID)
    type_into(qtbot, page.auth_token.edit, AUTH_TOKEN)
    type_into(qtbot, page.sms_from_edit, "020 7946 0999")
    assert page.sms_test.button.isEnabled()
    assert page.whatsapp_test.reason.text() == "Needs a WhatsApp sender number first."


def test_a_test_message_goes_by_each_channel_before_anything_is_saved(
    desk: Desk, qtbot: QtBot
) -> None:
    fill_in(desk, qtbot)
    page = desk.page

    text = send_test(desk, qtbot, page.email_test, "someone@example.org")
    mails = desk.sendgrid.mails
    assert len(mails) == 1 and mails[0].to == ["someone@example.org"]
    assert mails[0].body["from"] == {"email": "reception@example.org", "name": "Riverside Clinic"}
    assert text == f"✓ Sent — SendGrid accepted it ({mails[0].message_id})."

    text = send_test(desk, qtbot, page.sms_test, "020 7946 0123")
    sms = desk.twilio.sent
    assert [(m.to, m.from_) for m in sms] == [("+442079460123", "+442079460999")]
    assert text == f"✓ Sent — Twilio accepted it ({sms[0].sid})."
    assert sms[0].sid.startswith("SM")

    text = send_test(desk, qtbot, page.whatsapp_test, "+44 20 7946 0124")
    wa = desk.twilio.sent[-1]
    assert (wa.to, wa.from_) == ("whatsapp:+442079460124", "whatsapp:+442079460998")
    assert "test message" in wa.body
    assert text == f"✓ Sent — Twilio accepted it ({wa.sid})."

    # trying out did not save anything
    assert cfg.SETTINGS_KEY not in settings_rows(desk)
    assert keyring_value(desk, secrets.SENDGRID_API_KEY) is None


def test_a_rejected_key_or_token_says_credentials_rejected(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    fill_in(desk, qtbot)
    type_into(qtbot, page.auth_token.edit, "not-the-token")
    text = send_test(desk, qtbot, page.sms_test, "020 7946 0123")
    assert text.startswith("✗ Credentials rejected")
    assert "account SID and auth token" in text and "HTTP 401" in text
    assert desk.twilio.sent == []

    type_into(qtbot, page.api_key.edit, "SG.wrong")
    text = send_test(desk, qtbot, page.email_test, "someone@example.org")
    assert text.startswith("✗ Credentials rejected") and "the API key" in text
    assert desk.sendgrid.mails == []


def test_a_stored_token_is_used_and_a_vendor_refusal_is_readable(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    fill_in(desk, qtbot)
    save(desk, qtbot)
    assert page.auth_token.typed() == ""  # the token now comes from the keyring
    desk.twilio.fail_next(
        400,
        body={
            "code": 21610,
            "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610",
            "status": 400,
        },
    )
    text = send_test(desk, qtbot, page.sms_test, "020 7946 0123")
    assert text == (
        "✗ Not sent — Twilio refused the message (HTTP 400): error 21610: Unable to create "
        "record: Attempt to send to unsubscribed recipient."
    )
    text = send_test(desk, qtbot, page.sms_test, "020 7946 0123")
    assert text.startswith("✓ Sent — Twilio accepted it (SM")


def test_the_test_runs_off_the_ui_thread(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    fill_in(desk, qtbot)
    desk.twilio.hang_next(seconds=0.5)
    row = page.sms_test
    type_into(qtbot, row.recipient, "020 7946 0123")
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    # the click returned at once: the vendor has not answered yet
    assert row.result.text() == "Sending…" and not row.button.isEnabled()
    with qtbot.waitSignal(page.tested, timeout=WAIT):
        pass
    assert (
        row.result.text()
        == "✗ Not sent — could not reach Twilio (ConnectionError). Try again in a while."
    )
    assert row.button.isEnabled()


def test_a_recipient_that_is_not_one_is_refused_before_sending(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    fill_in(desk, qtbot)
    type_into(qtbot, page.sms_test.recipient, "12")
    qtbot.mouseClick(page.sms_test.button, Qt.MouseButton.LeftButton)
    assert page.sms_test.problem.isVisible() and "phone number" in page.sms_test.problem.text()
    type_into(qtbot, page.email_test.recipient, "nobody")
    qtbot.mouseClick(page.email_test.button, Qt.MouseButton.LeftButton)
    assert "not an e-mail address" in page.email_test.problem.text()
    qtbot.waitUntil(lambda: not desk.tasks.busy())
    assert desk.twilio.requests == [] and desk.sendgrid.requests == []


# -- secrets ------------------------------------------------------------------------------------


def test_clearing_a_secret_deletes_it_from_the_keyring(desk: Desk, qtbot: QtBot) -> None:
    secrets.set_secret(secrets.VERCEL_BLOB_TOKEN, BLOB_TOKEN)
    secrets.set_secret(secrets.SENDGRID_API_KEY, SENDGRID_KEY)
    page = MessagingPage(desk.clinic.ctx, desk.tasks, setup.clinic_settings(desk.clinic.ctx))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.show()
    assert page.blob_token.clear_button.isEnabled()
    with qtbot.waitSignal(page.desk_changed, timeout=WAIT):
        qtbot.mouseClick(page.blob_token.clear_button, Qt.MouseButton.LeftButton)
    assert keyring_value(desk, secrets.VERCEL_BLOB_TOKEN) is None
    assert keyring_value(desk, secrets.SENDGRID_API_KEY) == SENDGRID_KEY
    assert page.blob_token.edit.placeholderText() == "Not set"
    assert not page.blob_token.clear_button.isEnabled()
    assert "cards go by e-mail" in page.status.text()
    # without the token the engine has no store: cards go by e-mail
    assert cfg.build_blob_store(cfg.MessagingConfig()) is None


def test_environment_variables_win_and_are_shown_read_only(
    desk: Desk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("MEDBOOKINGS_TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    page = MessagingPage(desk.clinic.ctx, desk.tasks, setup.clinic_settings(desk.clinic.ctx))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.show()
    assert page.sid_edit.text() == ACCOUNT_SID and page.sid_edit.isReadOnly()
    assert not page.auth_token.edit.isEnabled()
    assert "MEDBOOKINGS_TWILIO_AUTH_TOKEN" in page.auth_token.edit.placeholderText()
    assert "MEDBOOKINGS_TWILIO_ACCOUNT_SID" in page.env_note.text()
    type_into(qtbot, page.sms_from_edit, "020 7946 0999")
    text = send_test(desk, qtbot, page.sms_test, "020 7946 0123", page)
    assert text.startswith("✓ Sent")
    with qtbot.waitSignal(page.saved, timeout=WAIT):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    # what the variable sets stays out of the clinic's row, and nothing went to the keyring
    assert settings_rows(desk)[cfg.SETTINGS_KEY]["twilio_account_sid"] == ""
    assert keyring_value(desk, secrets.TWILIO_AUTH_TOKEN) is None


def test_every_control_has_an_accessible_name(desk: Desk) -> None:
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox

    page = desk.page
    edits = [
        e for e in page.findChildren(QLineEdit) if not isinstance(e.parent(), QAbstractSpinBox)
    ]
    unnamed = [e for e in edits + page.findChildren(QAbstractSpinBox) if not e.accessibleName()]
    unnamed += [
        b for b in page.findChildren(QAbstractButton) if not (b.accessibleName() or b.text())
    ]
    assert unnamed == []


def test_a_test_checks_only_the_fields_its_channel_uses(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    fill_in(desk, qtbot)
    type_into(qtbot, page.whatsapp_from_edit, "02079460")  # a digit short
    assert page.problems["whatsapp_from"].isVisible()
    text = send_test(desk, qtbot, page.sms_test, "020 7946 0123")
    assert text.startswith("✓ Sent")
    page.whatsapp_test.recipient.setText("020 7946 0124")
    page.whatsapp_test.recipient.setFocus()
    qtbot.keyClick(page.whatsapp_test.recipient, Qt.Key.Key_Return)  # Enter sends
    qtbot.waitUntil(lambda: "Correct the fields" in page.whatsapp_test.result.text())
    assert [m.channel for m in desk.twilio.sent] == ["sms"]


def test_ctrl_s_saves_the_page_shown(desk: Desk, qtbot: QtBot) -> None:
    page = desk.page
    type_into(qtbot, page.email_from_edit, "reception@example.org")
    with qtbot.waitSignal(page.saved, timeout=WAIT):
        qtbot.keyClick(page.email_from_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert settings_rows(desk)[cfg.SETTINGS_KEY]["email_from"] == "reception@example.org"
