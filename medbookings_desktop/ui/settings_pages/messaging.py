"""Messaging page: the clinic's e-mail (SendGrid), SMS and WhatsApp (Twilio) senders, the
WhatsApp contact-card store (Vercel Blob) and quiet hours, each service testable with a
"send test message" button.

Sender ids, template ids and quiet hours are the clinic's (the `messaging` row of
clinic_settings, through sync/config.py); the API key and tokens live in this computer's
keyring (DESIGN invariant 5), never in the database. Keyring, database and vendors are only
touched on the task helper. A value an environment variable sets on this desk wins: its field
is shown read-only, saying so. A test sends what the form says now, typed secrets included,
before anything is saved.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop import secrets
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services.context import Context
from medbookings_desktop.settings import DeskSettings
from medbookings_desktop.sync import config as cfg
from medbookings_desktop.sync.config import MessagingConfig
from medbookings_desktop.ui.settings_pages.common import (
    ProblemLabel,
    SaveBar,
    buddy_label,
    guarded,
    help_label,
    problem_text,
    stacked,
    with_problem,
)
from medbookings_desktop.ui.tasks import TaskRunner

CONTEXT = "MessagingPage"

# the message kinds a vendor-side template can stand in for (OutboxKind values)
# (the labels are translated where they are shown, under CONTEXT)
KINDS: tuple[tuple[str, str], ...] = (
    ("confirmation", "Confirmation"),
    ("change_notice", "Change notice"),
    ("cancellation_notice", "Cancellation notice"),
    ("reminder", "Reminder"),
    ("provider_notice", "Provider's new-booking notice"),
)
SECRET_KEYS = (secrets.SENDGRID_API_KEY, secrets.TWILIO_AUTH_TOKEN, secrets.VERCEL_BLOB_TOKEN)
# the non-secret fields an environment variable can set (sync/config.py reads the same names)
ENV_FIELDS: dict[str, str] = {
    "email_from": "MEDBOOKINGS_SENDGRID_FROM_EMAIL",
    "email_from_name": "MEDBOOKINGS_SENDGRID_FROM_NAME",
    "sendgrid_sandbox": "MEDBOOKINGS_SENDGRID_SANDBOX",
    "twilio_account_sid": "MEDBOOKINGS_TWILIO_ACCOUNT_SID",
    "sms_from": "MEDBOOKINGS_TWILIO_SMS_FROM",
    "whatsapp_from": "MEDBOOKINGS_TWILIO_WHATSAPP_FROM",
    "quiet_hours": "MEDBOOKINGS_QUIET_HOURS",
}
CHANNELS = ("email", "sms", "whatsapp")
# the fields a test message by each channel uses (a test has no template)
TEST_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("email_from", "email_from_name", "sendgrid_sandbox"),
    "sms": ("twilio_account_sid", "sms_from"),
    "whatsapp": ("twilio_account_sid", "whatsapp_from"),
}

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_TEMPLATE_ID = re.compile(r"d-[0-9a-fA-F]{32}")
_CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")


def _tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


# -- checking what was typed (pure; messages for a person) -------------------------------------


def check_account_sid(text: str) -> str:
    value = text.strip()
    if value and not _ACCOUNT_SID.fullmatch(value):
        raise InvalidInput(
            _tr(
                "An account SID is AC followed by 32 letters and digits (0-9, a-f), as shown "
                "on the Twilio console."
            ),
            "twilio_account_sid",
        )
    return value


def check_email(text: str, field_name: str = "email_from") -> str:
    """The address in its normal form (the domain is not looked up: desks may be offline)."""
    value = text.strip()
    if not value:
        return ""
    import email_validator

    try:
        info = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidInput(
            _tr("{text} is not an e-mail address: {why}").format(text=value, why=exc),
            field_name,
        ) from None
    return str(info.normalized)


def check_phone(text: str, region: str, field_name: str = "sms_from") -> str:
    """The number in E.164 (+4420…); a number without a country code is read in `region`."""
    value = text.strip().removeprefix("whatsapp:").strip()
    if not value:
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            _tr("{text} is not a phone number.").format(text=value), field_name
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            _tr(
                "{text} is not a valid phone number (read as {region}; type it with its "
                "country code, e.g. +44 20 7946 0000)."
            ).format(text=value, region=region),
            field_name,
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def check_template_id(text: str, kind: str) -> str:
    value = text.strip()
    if value and not _TEMPLATE_ID.fullmatch(value):
        raise InvalidInput(
            _tr("A SendGrid dynamic template id is d- followed by 32 letters and digits."),
            f"template:{kind}",
        )
    return value


def check_content_sid(text: str, kind: str) -> str:
    value = text.strip()
    if value and not _CONTENT_SID.fullmatch(value):
        raise InvalidInput(
            _tr("A WhatsApp template's Content SID is HX followed by 32 letters and digits."),
            f"content:{kind}",
        )
    return value


def missing_for(
    channel: str, config: MessagingConfig, secret_known: Mapping[str, bool]
) -> list[str]:
    """What `channel` still needs before a message can go (names for a person)."""
    missing: list[str] = []
    if channel == "email":
        if not secret_known.get(secrets.SENDGRID_API_KEY):
            missing.append(_tr("the SendGrid API key"))
        if not config.email_from:
            missing.append(_tr("a From address"))
        return missing
    if not config.twilio_account_sid:
        missing.append(_tr("the account SID"))
    if not secret_known.get(secrets.TWILIO_AUTH_TOKEN):
        missing.append(_tr("the auth token"))
    if channel == "sms" and not config.sms_from:
        missing.append(_tr("an SMS sender number"))
    if channel == "whatsapp" and not config.whatsapp_from:
        missing.append(_tr("a WhatsApp sender number"))
    return missing


def describe_outcome(channel: str, result: str | BaseException) -> str:
    """A test's outcome in plain words: what the vendor said, never a traceback."""
    from medbookings_desktop.messaging.errors import DeliveryError

    vendor = "SendGrid" if channel == "email" else "Twilio"
    if isinstance(result, str):
        return _tr("✓ Sent — {vendor} accepted it ({id}).").format(vendor=vendor, id=result)
    if isinstance(result, DeliveryError):
        if result.credentials_rejected:
            what = (
                _tr("the API key") if channel == "email" else _tr("the account SID and auth token")
            )
            return _tr(
                "✗ Credentials rejected — {vendor} did not accept {what}. Check them and try "
                "again. ({reason})"
            ).format(vendor=vendor, what=what, reason=result.reason)
        if result.retryable:
            return _tr("✗ Not sent — {reason}. Try again in a while.").format(reason=result.reason)
        return _tr("✗ Not sent — {reason}.").format(reason=result.reason)
    if isinstance(result, ValueError):
        return _tr("✗ Not sent — this service is not set up yet.")
    return _tr("✗ Not sent — {error}").format(error=problem_text(result, "{error}"))


# -- reading and writing (blocking: the task helper runs these) -------------------------------


@dataclass(frozen=True, slots=True)
class MessagingState:
    """What the page shows. Secrets only as set / not set."""

    stored: MessagingConfig  # the clinic's row as saved
    effective: MessagingConfig  # with this desk's endpoints and environment
    env_fields: frozenset[str] = frozenset()
    secret_set: Mapping[str, bool] = field(default_factory=dict)
    secret_from_env: Mapping[str, bool] = field(default_factory=dict)
    keyring_usable: bool = True


def keyring_usable() -> bool:
    """False when `keyring` found no password store on this computer (its "fail" backend)."""
    try:
        import keyring

        return not type(keyring.get_keyring()).__module__.startswith("keyring.backends.fail")
    except Exception:
        return False


def effective_config(
    values: Mapping[str, Any] | MessagingConfig,
    desk: DeskSettings | None,
    env: Mapping[str, str] | None = None,
) -> MessagingConfig:
    """What the engine would send with: `values`, this desk's endpoints, the environment."""
    stored = values.to_json() if isinstance(values, MessagingConfig) else dict(values)
    return cfg.load(
        stored,
        sendgrid_url=desk.sendgrid_base_url if desk is not None else None,
        twilio_url=desk.twilio_base_url if desk is not None else None,
        env=env,
    )


def read_state(
    ctx: Context, desk: DeskSettings | None = None, env: Mapping[str, str] | None = None
) -> MessagingState:
    env = os.environ if env is None else env
    # the checkers' libraries load slowly the first time: here, not on the UI thread
    import email_validator  # noqa: F401
    import phonenumbers  # noqa: F401

    stored = cfg.stored(ctx)
    usable = keyring_usable()
    from_env = {k: bool(env.get(secrets.env_name(k), "").strip()) for k in SECRET_KEYS}
    known = {k: from_env[k] or (usable and bool(secrets.get_secret(k, env))) for k in SECRET_KEYS}
    return MessagingState(
        stored=stored,
        effective=effective_config(stored, desk, env),
        env_fields=frozenset(n for n, var in ENV_FIELDS.items() if env.get(var, "").strip()),
        secret_set=known,
        secret_from_env=from_env,
        keyring_usable=usable,
    )


@dataclass(frozen=True, slots=True)
class MessagingChanges:
    config: MessagingConfig
    # keyring key -> new value; keys not named are left as they are
    new_secrets: Mapping[str, str] = field(default_factory=dict)


def save_changes(
    ctx: Context, changes: MessagingChanges, desk: DeskSettings | None = None
) -> MessagingState:
    """The keyring first (a refusal there leaves the database as it was), then the clinic's
    row. Returns what the page shows next."""
    for key, value in changes.new_secrets.items():
        secrets.set_secret(key, value)
    cfg.save(ctx, changes.config)
    return read_state(ctx, desk)


def clear_secret(ctx: Context, key: str, desk: DeskSettings | None = None) -> MessagingState:
    secrets.delete_secret(key)
    return read_state(ctx, desk)


def send_test(config: MessagingConfig, channel: str, to: str, typed: Mapping[str, str]) -> str:
    """`send_test_message` with the secrets typed in the form (not yet saved) standing in for
    the stored ones; an environment variable still wins."""
    env = dict(os.environ)
    for key, value in typed.items():
        env.setdefault(secrets.env_name(key), value)
    return cfg.send_test_message(config, channel, to, env)


# -- the page ----------------------------------------------------------------------------------


class SecretField(QWidget):
    """A password field that never shows the stored value, with its Clear button."""

    def __init__(self, key: str, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.key = key
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(name)
        self.clear_button = QPushButton(self.tr("Clear"), self)
        self.clear_button.setAccessibleName(self.tr("Remove {name}").format(name=name))
        self.clear_button.setToolTip(self.tr("Delete it from this computer's keyring now"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.clear_button)

    def show_state(self, state: MessagingState) -> None:
        is_set = bool(state.secret_set.get(self.key))
        from_env = bool(state.secret_from_env.get(self.key))
        store = state.keyring_usable
        self.edit.clear()
        self.edit.setEnabled(store and not from_env)
        self.clear_button.setEnabled(store and is_set and not from_env)
        if from_env:
            text = self.tr("Set by {variable} on this desk").format(
                variable=secrets.env_name(self.key)
            )
        elif is_set:
            text = self.tr("Stored in the keyring — type a new one to replace it")
        else:
            text = self.tr("Not set")
        self.edit.setPlaceholderText(text)
        self.edit.setToolTip(text)

    def typed(self) -> str:
        return self.edit.text().strip() if self.edit.isEnabled() else ""


class SendTestRow(QWidget):
    """Recipient, the "send test" button, and what happened."""

    def __init__(self, channel: str, button_text: str, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.channel = channel
        self.recipient = QLineEdit(self)
        self.recipient.setAccessibleName(self.tr("Test recipient for {name}").format(name=name))
        self.recipient.setPlaceholderText(
            "someone@example.org" if channel == "email" else "020 7946 0000"
        )
        self.button = QPushButton(button_text, self)
        self.button.setAccessibleName(self.tr("Send a test {name}").format(name=name))
        self.problem = ProblemLabel(self.tr("the test recipient"), self)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setAccessibleName(self.tr("Test {name} result").format(name=name))
        self.reason = QLabel(self)
        self.reason.setWordWrap(True)
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setAccessibleName(
            self.tr("Why the test {name} cannot be sent").format(name=name)
        )
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.recipient, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.problem)
        layout.addWidget(self.reason)
        layout.addWidget(self.result)
        self.result.hide()
        self.recipient.textEdited.connect(lambda _: self.problem.clear_problem())
        self.recipient.returnPressed.connect(self.button.animateClick)
        self.busy = False

    def show_result(self, text: str) -> None:
        """What the last test did (hidden while there is nothing to say)."""
        self.result.setText(text)
        self.result.setVisible(bool(text))

    def set_missing(self, missing: list[str]) -> None:
        if missing:
            listed = (
                missing[0]
                if len(missing) == 1
                else self.tr("{some} and {last}").format(
                    some=", ".join(missing[:-1]), last=missing[-1]
                )
            )
            text = self.tr("Needs {what} first.").format(what=listed)
            self.reason.setText(text)
            self.button.setToolTip(text)
        else:
            self.reason.clear()
            self.button.setToolTip(
                self.tr(
                    "Send one short message to this recipient now (Enter in the recipient field)"
                )
            )
        self.reason.setVisible(bool(missing))
        self.button.setEnabled(not missing and not self.busy)


class MessagingPage(QWidget):
    """`saved(MessagingConfig)` after Save; `desk_changed()` when a key or token in this
    computer's keyring changed (the engine builds its senders anew); `tested(channel, text)`
    after a test message; `refused(message)` when nothing was saved; `loaded()`."""

    saved = Signal(object)
    desk_changed = Signal()
    tested = Signal(str, str)
    refused = Signal(str)
    loaded = Signal()

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        desk_settings: DeskSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.clinic = clinic
        self.desk_settings = desk_settings
        self.state: MessagingState | None = None
        self.problems: dict[str, ProblemLabel] = {}
        self.setAccessibleName(self.tr("Messaging settings"))

        intro = help_label(
            self,
            self.tr(
                "How MedBookings reaches patients and providers. Senders, templates and quiet "
                "hours are the clinic's (every desk); API keys and tokens are kept in this "
                "computer's keyring, so each desk that sends messages needs them entered once."
            ),
        )

        # -- e-mail ------------------------------------------------------------------------------
        self.email_box = QGroupBox(self.tr("E-mail (SendGrid)"), self)
        self.api_key = SecretField(secrets.SENDGRID_API_KEY, self.tr("SendGrid API key"), self)
        self.email_from_edit = self._line(self.tr("From address"), "reception@example.org")
        self.email_name_edit = self._line(self.tr("From name"), self.tr("Riverside Clinic"))
        self.sandbox_check = QCheckBox(self.tr("Sand&box mode"), self.email_box)
        self.sandbox_check.setAccessibleName(self.tr("SendGrid sandbox mode"))
        self.template_edits, self.templates_box = self._per_kind(
            "template", self.tr("SendGrid template for {kind}"), "d-…"
        )
        self.templates_toggle = self._disclosure(
            self.tr("Show the SendGrid template ids"), self.templates_box
        )
        self.email_test = SendTestRow(
            "email", self.tr("Send test e-mail"), self.tr("e-mail"), self.email_box
        )
        form = QFormLayout(self.email_box)
        form.addRow(
            buddy_label(self, self.tr("API &key:"), self.api_key.edit),
            stacked(
                self,
                self._checked(secrets.SENDGRID_API_KEY, self.api_key, self.tr("API key")),
                help_label(
                    self,
                    self.tr(
                        "A SendGrid API key with Mail Send permission. Never shown again once "
                        "stored."
                    ),
                ),
            ),
        )
        form.addRow(
            buddy_label(self, self.tr("&From address:"), self.email_from_edit),
            self._checked("email_from", self.email_from_edit, self.tr("From address")),
        )
        form.addRow(
            buddy_label(self, self.tr("From &name:"), self.email_name_edit),
            self._checked("email_from_name", self.email_name_edit, self.tr("From name")),
        )
        form.addRow(
            self.tr("Sandbox:"),
            stacked(
                self,
                self.sandbox_check,
                help_label(
                    self,
                    self.tr(
                        "On: SendGrid checks each mail but delivers none (for trying things out)."
                    ),
                ),
            ),
        )
        form.addRow(
            self.tr("Dynamic templates:"),
            stacked(
                self,
                help_label(
                    self,
                    self.tr(
                        "Optional: a SendGrid dynamic template id per message; messages "
                        "without one use MedBookings' own text (Message templates page)."
                    ),
                ),
                self.templates_toggle,
                self.templates_box,
            ),
        )
        form.addRow(
            buddy_label(self, self.tr("Test e-mai&l to:"), self.email_test.recipient),
            self.email_test,
        )

        # -- SMS and WhatsApp --------------------------------------------------------------------
        self.twilio_box = QGroupBox(self.tr("SMS and WhatsApp (Twilio)"), self)
        self.sid_edit = self._line(self.tr("Twilio account SID"), "AC…")
        self.auth_token = SecretField(secrets.TWILIO_AUTH_TOKEN, self.tr("Twilio auth token"), self)
        self.sms_from_edit = self._line(self.tr("SMS sender number"), "+44 20 7946 0000")
        self.whatsapp_from_edit = self._line(self.tr("WhatsApp sender number"), "+44 20 7946 0000")
        self.content_edits, self.contents_box = self._per_kind(
            "content", self.tr("WhatsApp template for {kind}"), "HX…"
        )
        self.contents_toggle = self._disclosure(
            self.tr("Show the WhatsApp template SIDs"), self.contents_box
        )
        self.sms_test = SendTestRow(
            "sms", self.tr("Send test SMS"), self.tr("SMS"), self.twilio_box
        )
        self.whatsapp_test = SendTestRow(
            "whatsapp", self.tr("Send test WhatsApp"), self.tr("WhatsApp"), self.twilio_box
        )
        tform = QFormLayout(self.twilio_box)
        tform.addRow(
            buddy_label(self, self.tr("Account S&ID:"), self.sid_edit),
            self._checked("twilio_account_sid", self.sid_edit, self.tr("Account SID")),
        )
        tform.addRow(
            buddy_label(self, self.tr("Auth t&oken:"), self.auth_token.edit),
            self._checked(secrets.TWILIO_AUTH_TOKEN, self.auth_token, self.tr("Auth token")),
        )
        tform.addRow(
            buddy_label(self, self.tr("SMS sen&der:"), self.sms_from_edit),
            stacked(
                self,
                self._checked("sms_from", self.sms_from_edit, self.tr("SMS sender")),
                help_label(
                    self, self.tr("A Twilio number of the clinic's; patients' replies come to it.")
                ),
            ),
        )
        tform.addRow(
            buddy_label(self, self.tr("WhatsA&pp sender:"), self.whatsapp_from_edit),
            stacked(
                self,
                self._checked("whatsapp_from", self.whatsapp_from_edit, self.tr("WhatsApp sender")),
                help_label(
                    self, self.tr("The clinic's WhatsApp sender at Twilio; empty: no WhatsApp.")
                ),
            ),
        )
        tform.addRow(
            self.tr("WhatsApp templates:"),
            stacked(
                self,
                help_label(
                    self,
                    self.tr(
                        "Optional: an approved WhatsApp template (Content SID) per message; "
                        "WhatsApp only lets a business start a conversation with one."
                    ),
                ),
                self.contents_toggle,
                self.contents_box,
            ),
        )
        tform.addRow(
            buddy_label(self, self.tr("Test S&MS to:"), self.sms_test.recipient), self.sms_test
        )
        tform.addRow(
            buddy_label(self, self.tr("Test &WhatsApp to:"), self.whatsapp_test.recipient),
            self.whatsapp_test,
        )

        # -- WhatsApp contact cards ------------------------------------------------------------
        self.blob_box = QGroupBox(self.tr("WhatsApp contact cards (Vercel Blob)"), self)
        self.blob_token = SecretField(
            secrets.VERCEL_BLOB_TOKEN, self.tr("Vercel Blob read-write token"), self
        )
        bform = QFormLayout(self.blob_box)
        bform.addRow(
            buddy_label(self, self.tr("Blob read-write &token:"), self.blob_token.edit),
            stacked(
                self,
                self._checked(secrets.VERCEL_BLOB_TOKEN, self.blob_token, self.tr("Token")),
                help_label(
                    self,
                    self.tr(
                        "WhatsApp can only attach a contact card (vCard) that is on the web: "
                        "MedBookings puts it in the clinic's Vercel Blob store and sends the "
                        "link. Without a token, cards go by e-mail instead."
                    ),
                ),
            ),
        )

        # -- quiet hours -----------------------------------------------------------------------
        self.quiet_box = QGroupBox(self.tr("Quiet hours"), self)
        self.quiet_check = QCheckBox(
            self.tr("Hold patients' messages during &quiet hours"), self.quiet_box
        )
        self.quiet_check.setAccessibleName(self.tr("Hold messages during quiet hours"))
        self.quiet_start = self._time(self.tr("Quiet hours start"))
        self.quiet_end = self._time(self.tr("Quiet hours end"))
        self.quiet_zone = help_label(self, "")
        times = QHBoxLayout()
        times.setContentsMargins(0, 0, 0, 0)
        times.addWidget(buddy_label(self, self.tr("St&art"), self.quiet_start))
        times.addWidget(self.quiet_start)
        times.addWidget(buddy_label(self, self.tr("&Until"), self.quiet_end))
        times.addWidget(self.quiet_end)
        times.addStretch(1)
        qlayout = QVBoxLayout(self.quiet_box)
        qlayout.addWidget(self.quiet_check)
        qlayout.addWidget(
            self._checked("quiet_hours", self._layout_box(times), self.tr("Quiet hours"))
        )
        qlayout.addWidget(self.quiet_zone)
        self.quiet_check.toggled.connect(self._quiet_enabled)

        # -- status and buttons ----------------------------------------------------------------
        self.keyring_note = help_label(self, "")
        self.keyring_note.hide()
        self.env_note = help_label(self, "")
        self.env_note.hide()
        self.general_problem = ProblemLabel(self.tr("the messaging settings"), self)
        buttons = SaveBar(
            self,
            saved_name=self.tr("Messaging settings saved"),
            save_text=self.tr("&Save messaging settings"),
            save_tip=self.tr("Save the messaging settings (Ctrl+S)"),
        )
        self.status, self.save_button = buttons.status, buttons.save_button
        self.revert_button = buttons.revert_button
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self._revert)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.env_note)
        layout.addWidget(self.email_box)
        layout.addWidget(self.twilio_box)
        layout.addWidget(self.blob_box)
        layout.addWidget(self.quiet_box)
        layout.addWidget(self.general_problem)
        layout.addStretch(1)
        layout.addLayout(buttons)

        # inline checks as a field is left; test buttons follow what is filled in
        checks = {
            "email_from": self.email_from_edit,
            "twilio_account_sid": self.sid_edit,
            "sms_from": self.sms_from_edit,
            "whatsapp_from": self.whatsapp_from_edit,
            **{f"template:{k}": e for k, e in self.template_edits.items()},
            **{f"content:{k}": e for k, e in self.content_edits.items()},
        }
        for name, edit in checks.items():
            edit.editingFinished.connect(lambda n=name: self._check_one(n))
            edit.textEdited.connect(lambda _, n=name: self.problems[n].clear_problem())
        for edit in (
            self.email_from_edit,
            self.sid_edit,
            self.sms_from_edit,
            self.whatsapp_from_edit,
            self.api_key.edit,
            self.auth_token.edit,
        ):
            edit.textChanged.connect(lambda _: self._update_tests())
        for secret in (self.api_key, self.auth_token, self.blob_token):
            secret.clear_button.clicked.connect(lambda _=False, s=secret: self.clear(s.key))
        for row in self.test_rows():
            row.button.clicked.connect(lambda _=False, r=row: self.send_test(r.channel))

        self._enable(False)
        self.status.setText(self.tr("Reading…"))
        self.reload()

    # -- building ------------------------------------------------------------------------------

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setAccessibleName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _time(self, name: str) -> QTimeEdit:
        edit = QTimeEdit(self)
        edit.setDisplayFormat("HH:mm")
        edit.setAccessibleName(name)
        return edit

    def _checked(self, name: str, widget: QWidget, title: str) -> QWidget:
        problem = ProblemLabel(title, self)
        self.problems[name] = problem
        return with_problem(widget, problem)

    def _per_kind(
        self, key: str, name: str, placeholder: str
    ) -> tuple[dict[str, QLineEdit], QWidget]:
        """An id field per message kind (problems under `key:kind`), in a box of their own."""
        edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for kind, untranslated in KINDS:
            label = _tr(untranslated)
            edits[kind] = self._line(name.format(kind=label), placeholder)
            form.addRow(label + ":", self._checked(f"{key}:{kind}", edits[kind], label))
        return edits, self._layout_box(form)

    def _layout_box(self, layout: QHBoxLayout | QFormLayout) -> QWidget:
        box = QWidget(self)
        layout.setContentsMargins(0, 0, 0, 0)
        box.setLayout(layout)
        return box

    def _disclosure(self, name: str, box: QWidget) -> QToolButton:
        """A button that shows and hides `box` (optional details), saying how many are set."""
        button = QToolButton(self)
        button.setCheckable(True)
        button.setAutoRaise(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setArrowType(Qt.ArrowType.RightArrow)
        button.setAccessibleName(name)

        def toggled(on: bool) -> None:
            button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
            box.setVisible(on)

        button.toggled.connect(toggled)
        box.setVisible(False)
        return button

    def _show_count(self, button: QToolButton, ids: Mapping[str, str]) -> None:
        count = sum(1 for kind, _ in KINDS if ids.get(kind))
        button.setText(
            self.tr("None set — set them up") if not count else
            self.tr("{count} of {total} set").format(count=count, total=len(KINDS))
        )  # fmt: skip
        button.setChecked(bool(count))

    def test_rows(self) -> tuple[SendTestRow, SendTestRow, SendTestRow]:
        return (self.email_test, self.sms_test, self.whatsapp_test)

    def _test_row(self, channel: str) -> SendTestRow:
        return {r.channel: r for r in self.test_rows()}[channel]

    def secret_fields(self) -> tuple[SecretField, SecretField, SecretField]:
        return (self.api_key, self.auth_token, self.blob_token)

    # -- reading and showing ---------------------------------------------------------------------

    def reload(self) -> None:
        ctx, desk = self._ctx, self.desk_settings
        self._tasks.run(
            lambda: read_state(ctx, desk), guarded(self, self._loaded), guarded(self, self._failed)
        )

    def set_clinic(self, clinic: ClinicSettings) -> None:
        """Another page saved the clinic's settings (zone, phone region)."""
        self.clinic = clinic
        self._show_zone()

    def _loaded(self, state: MessagingState) -> None:
        self.status.clear()
        self.show_state(state)
        self.loaded.emit()

    def _show_zone(self) -> None:
        self.quiet_zone.setText(
            self.tr(
                "Reminders and notices due in these hours wait until they end; times are in "
                "the clinic's zone ({zone})."
            ).format(zone=self.clinic.zone)
        )

    def show_state(self, state: MessagingState) -> None:
        self.state = state
        self._enable(True)
        for problem in self.problems.values():
            problem.clear_problem()
        self.general_problem.clear_problem()
        shown = state.effective  # what an environment variable sets is what is used
        env = state.env_fields
        for name, edit in (
            ("email_from", self.email_from_edit),
            ("email_from_name", self.email_name_edit),
            ("twilio_account_sid", self.sid_edit),
            ("sms_from", self.sms_from_edit),
            ("whatsapp_from", self.whatsapp_from_edit),
        ):
            edit.setText(str(getattr(shown, name)))
            edit.setReadOnly(name in env)
            edit.setToolTip(
                self.tr("Set by {variable} on this desk").format(variable=ENV_FIELDS[name])
                if name in env
                else ""
            )
        self.sandbox_check.setChecked(shown.sendgrid_sandbox)
        self.sandbox_check.setEnabled("sendgrid_sandbox" not in env)
        for kind, edit in self.template_edits.items():
            edit.setText(shown.template_ids.get(kind, ""))
        for kind, edit in self.content_edits.items():
            edit.setText(shown.content_sids.get(kind, ""))
        self._show_count(self.templates_toggle, shown.template_ids)
        self._show_count(self.contents_toggle, shown.content_sids)
        quiet = shown.quiet_hours
        start, end = quiet or cfg.DEFAULT_QUIET_HOURS
        self.quiet_start.setTime(QTime.fromString(start, "HH:mm"))
        self.quiet_end.setTime(QTime.fromString(end, "HH:mm"))
        self.quiet_check.setChecked(bool(quiet))
        self.quiet_check.setEnabled("quiet_hours" not in env)
        self._quiet_enabled(bool(quiet))
        self._show_zone()
        for secret in self.secret_fields():
            secret.show_state(state)
        self.keyring_note.setVisible(not state.keyring_usable)
        if not state.keyring_usable:
            self.keyring_note.setText(
                self.tr(
                    "This computer has no password store (keyring): the API key and tokens "
                    "cannot be kept here (they can come from MEDBOOKINGS_* environment "
                    "variables). The other settings still work."
                )
            )
        variables = sorted(
            [ENV_FIELDS[n] for n in env]
            + [secrets.env_name(k) for k, on in state.secret_from_env.items() if on]
        )
        self.env_note.setVisible(bool(variables))
        self.env_note.setText(
            self.tr(
                "Set on this desk by environment variables, which win over this page: {names}."
            ).format(names=", ".join(variables))
        )
        self._update_tests()

    def _quiet_enabled(self, on: bool) -> None:
        editable = on and self.quiet_check.isEnabled()
        self.quiet_start.setEnabled(editable)
        self.quiet_end.setEnabled(editable)

    def _enable(self, on: bool) -> None:
        for widget in (
            self.email_box,
            self.twilio_box,
            self.blob_box,
            self.quiet_box,
            self.save_button,
            self.revert_button,
        ):
            widget.setEnabled(on)

    def _revert(self) -> None:
        if self.state is not None:
            self.show_state(self.state)
        for row in self.test_rows():
            row.show_result("")
        self.status.clear()

    def _failed(self, exc: BaseException) -> None:
        self._enable(True)
        message = problem_text(exc, self.tr("The messaging settings were not saved: {error}"))
        name = getattr(exc, "field", None)
        if isinstance(exc, InvalidInput) and name in self.problems:
            self.problems[name].show_problem(message)
        else:
            self.general_problem.show_problem(message)
        self.status.clear()
        self.refused.emit(message)

    # -- the form ------------------------------------------------------------------------------

    def _secret_known(self) -> dict[str, bool]:
        state = self.state
        return {
            s.key: bool(s.typed()) or bool(state and state.secret_set.get(s.key))
            for s in self.secret_fields()
        }

    def _quick_config(self) -> MessagingConfig:
        """The form as typed, unchecked: enough to say what is missing."""
        return MessagingConfig(
            email_from=self.email_from_edit.text().strip(),
            twilio_account_sid=self.sid_edit.text().strip(),
            sms_from=self.sms_from_edit.text().strip(),
            whatsapp_from=self.whatsapp_from_edit.text().strip(),
        )

    def _update_tests(self) -> None:
        if self.state is None:
            return
        config, known = self._quick_config(), self._secret_known()
        for row in self.test_rows():
            row.set_missing(missing_for(row.channel, config, known))

    def _check(self, name: str) -> Any:
        """One field's value, checked and normalised; raises InvalidInput naming the field."""
        region = self.clinic.phone_region
        if name == "email_from":
            return check_email(self.email_from_edit.text())
        if name == "twilio_account_sid":
            return check_account_sid(self.sid_edit.text())
        if name == "sms_from":
            return check_phone(self.sms_from_edit.text(), region, "sms_from")
        if name == "whatsapp_from":
            return check_phone(self.whatsapp_from_edit.text(), region, "whatsapp_from")
        kind = name.partition(":")[2]
        if name.startswith("template:"):
            return check_template_id(self.template_edits[kind].text(), kind)
        if name.startswith("content:"):
            return check_content_sid(self.content_edits[kind].text(), kind)
        if name == "quiet_hours":
            if not self.quiet_check.isChecked():
                return None
            start = self.quiet_start.time().toString("HH:mm")
            end = self.quiet_end.time().toString("HH:mm")
            if start == end:
                raise InvalidInput(
                    self.tr("Quiet hours need different start and end times."), "quiet_hours"
                )
            return (start, end)
        raise KeyError(name)

    def _check_one(self, name: str) -> None:
        if self.state is not None and name in self.state.env_fields:
            return
        try:
            self._check(name)
        except InvalidInput as exc:
            self.problems[name].show_problem(exc.message)
        else:
            self.problems[name].clear_problem()

    def form_config(self) -> MessagingConfig:
        """The clinic's settings the form describes, checked; raises InvalidInput (the first
        problem) after marking every field that has one. A field an environment variable
        sets keeps its saved value."""
        state = self.state
        base = state.stored if state is not None else MessagingConfig()
        env = state.env_fields if state is not None else frozenset()
        names = [
            "email_from",
            "twilio_account_sid",
            "sms_from",
            "whatsapp_from",
            "quiet_hours",
            *(f"template:{k}" for k, _ in KINDS),
            *(f"content:{k}" for k, _ in KINDS),
        ]
        values: dict[str, Any] = {}
        first: InvalidInput | None = None
        for name in names:
            if name in env:
                continue
            try:
                values[name] = self._check(name)
                self.problems[name].clear_problem()
            except InvalidInput as exc:
                self.problems[name].show_problem(exc.message)
                first = first or exc
                # a problem in a folded list is shown
                if name.startswith("template:"):
                    self.templates_toggle.setChecked(True)
                elif name.startswith("content:"):
                    self.contents_toggle.setChecked(True)
        if first is not None:
            raise first
        templates = {k: values[f"template:{k}"] for k, _ in KINDS if values[f"template:{k}"]}
        contents = {k: values[f"content:{k}"] for k, _ in KINDS if values[f"content:{k}"]}
        # kinds this page does not know (added later) are kept as they were
        templates |= {k: v for k, v in base.template_ids.items() if k not in dict(KINDS)}
        contents |= {k: v for k, v in base.content_sids.items() if k not in dict(KINDS)}
        changes: dict[str, Any] = {
            "template_ids": templates,
            "content_sids": contents,
        }
        for name in ("email_from", "twilio_account_sid", "sms_from", "whatsapp_from"):
            if name not in env:
                changes[name] = values[name]
        if "quiet_hours" not in env:
            changes["quiet_hours"] = values["quiet_hours"]
        if "email_from_name" not in env:
            changes["email_from_name"] = self.email_name_edit.text().strip()
        if "sendgrid_sandbox" not in env:
            changes["sendgrid_sandbox"] = self.sandbox_check.isChecked()
        return dataclasses.replace(base, **changes)

    def test_config(self, channel: str) -> MessagingConfig:
        """What a test by `channel` sends with: the fields it uses as the form says them
        (checked; raises InvalidInput after marking them), the rest as saved."""
        state = self.state
        base = state.stored if state is not None else MessagingConfig()
        env = state.env_fields if state is not None else frozenset()
        values: dict[str, Any] = {}
        first: InvalidInput | None = None
        for name in TEST_FIELDS[channel]:
            if name in env:
                continue
            if name == "email_from_name":
                values[name] = self.email_name_edit.text().strip()
            elif name == "sendgrid_sandbox":
                values[name] = self.sandbox_check.isChecked()
            else:
                try:
                    values[name] = self._check(name)
                    self.problems[name].clear_problem()
                except InvalidInput as exc:
                    self.problems[name].show_problem(exc.message)
                    first = first or exc
        if first is not None:
            raise first
        return dataclasses.replace(base, **values)

    def typed_secrets(self) -> dict[str, str]:
        return {s.key: s.typed() for s in self.secret_fields() if s.typed()}

    # -- saving ----------------------------------------------------------------------------------

    def save(self) -> None:
        self.general_problem.clear_problem()
        self.status.clear()
        try:
            config = self.form_config()
        except InvalidInput as exc:
            self.status.setText(self.tr("Not saved: correct the fields marked ⚠ first."))
            self.refused.emit(exc.message)
            return
        changes = MessagingChanges(config, self.typed_secrets())
        ctx, desk = self._ctx, self.desk_settings
        self._enable(False)
        self.status.setText(self.tr("Saving…"))
        self._tasks.run(
            lambda: save_changes(ctx, changes, desk),
            guarded(self, lambda state: self._saved(changes, state)),
            guarded(self, self._failed),
            write=True,
        )

    def _saved(self, changes: MessagingChanges, state: MessagingState) -> None:
        self.show_state(state)
        self.status.setText(self.tr("Saved."))
        self.saved.emit(changes.config)
        if changes.new_secrets:
            self.desk_changed.emit()

    def clear(self, key: str) -> None:
        ctx, desk = self._ctx, self.desk_settings
        done = {
            secrets.SENDGRID_API_KEY: self.tr("SendGrid API key removed: e-mail is off."),
            secrets.TWILIO_AUTH_TOKEN: self.tr(
                "Twilio auth token removed: SMS and WhatsApp are off."
            ),
            secrets.VERCEL_BLOB_TOKEN: self.tr(
                "Vercel Blob token removed: contact cards go by e-mail."
            ),
        }[key]

        def finished(state: MessagingState) -> None:
            self.show_state(state)
            self.status.setText(done)
            self.desk_changed.emit()

        self._tasks.run(
            lambda: clear_secret(ctx, key, desk),
            guarded(self, finished),
            guarded(self, self._failed),
        )

    # -- testing ---------------------------------------------------------------------------------

    def send_test(self, channel: str) -> None:
        row = self._test_row(channel)
        row.show_result("")
        row.problem.clear_problem()
        try:
            config = self.test_config(channel)
        except InvalidInput:
            row.show_result(self.tr("Correct the fields marked ⚠ first."))
            return
        try:
            if channel == "email":
                to = check_email(row.recipient.text(), "recipient")
            else:
                to = check_phone(row.recipient.text(), self.clinic.phone_region, "recipient")
        except InvalidInput as exc:
            row.problem.show_problem(exc.message)
            return
        if not to:
            row.problem.show_problem(
                self.tr("Type who should get the test message.")
                if channel == "email"
                else self.tr("Type the phone number that should get the test message.")
            )
            return
        effective = effective_config(config, self.desk_settings)
        typed = self.typed_secrets()
        row.busy = True
        row.button.setEnabled(False)
        row.show_result(self.tr("Sending…"))

        def finished(result: str | BaseException) -> None:
            row.busy = False
            text = describe_outcome(channel, result)
            row.show_result(text)
            self._update_tests()
            self.tested.emit(channel, text)

        self._tasks.run(
            lambda: send_test(effective, channel, to, typed),
            guarded(self, finished),
            guarded(self, finished),
        )
