"""Message templates page: the clinic's wording per message kind and channel, with a preview."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.services import templates
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.templates import Template
from medbookings_desktop.ui.settings_pages.common import (
    ProblemLabel,
    click_on,
    guarded,
    problem_text,
)
from medbookings_desktop.ui.tasks import TaskRunner

PLACEHOLDER = Qt.ItemDataRole.UserRole + 1
# the characters of the GSM 7-bit alphabet that cost one unit each; others force UCS-2
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€")


def sms_parts(text: str) -> tuple[int, int]:
    """(characters, SMS parts) as a phone network counts them."""
    if all(c in _GSM or c in _GSM_EXTENDED for c in text):
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, multi = 160, 153
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi = 70, 67
    parts = 1 if units <= single else math.ceil(units / multi)
    return len(text), parts


class TemplatesPage(QWidget):
    """Pick a kind and a channel, edit its text, see it rendered with sample facts."""

    saved = Signal(object)
    refused = Signal(str)
    loaded = Signal()
    preview_updated = Signal()

    def __init__(
        self, ctx: Context, tasks: TaskRunner, clinic: ClinicSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.clinic = clinic
        self._templates: dict[OutboxKind, dict[str, Template]] = {}
        self._drafts: dict[tuple[OutboxKind, str], str] = {}
        self._showing: tuple[OutboxKind, str] | None = None

        kind_names = {
            OutboxKind.CONFIRMATION: self.tr("Confirmation"),
            OutboxKind.CHANGE_NOTICE: self.tr("Change notice"),
            OutboxKind.CANCELLATION_NOTICE: self.tr("Cancellation notice"),
            OutboxKind.REMINDER: self.tr("Reminder"),
            OutboxKind.PROVIDER_NOTICE: self.tr("Notice to the provider"),
        }
        channel_names = {
            "email_subject": self.tr("E-mail subject"),
            "email_body": self.tr("E-mail text"),
            "sms": self.tr("SMS"),
            "whatsapp": self.tr("WhatsApp"),
        }
        self.kind_combo = QComboBox(self)
        self.kind_combo.setAccessibleName(self.tr("Message kind"))
        for kind in templates.KINDS:
            self.kind_combo.addItem(kind_names[kind], kind)
        self.channel_combo = QComboBox(self)
        self.channel_combo.setAccessibleName(self.tr("Channel"))
        for channel in templates.CHANNELS:
            self.channel_combo.addItem(channel_names[channel], channel)
        self.state_label = QLabel(self)
        self.state_label.setAccessibleName(self.tr("Whose text this is"))

        self.editor = QPlainTextEdit(self)
        self.editor.setAccessibleName(self.tr("Template text"))
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setTabChangesFocus(True)
        self.placeholder_list = QListWidget(self)
        self.placeholder_list.setAccessibleName(self.tr("Available placeholders"))
        self.placeholder_list.setToolTip(self.tr("Double-click or press Enter to insert"))
        self.placeholder_list.itemActivated.connect(self._insert_placeholder)
        self.placeholder_list.setWordWrap(True)
        self.placeholder_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName(self.tr("Preview with sample data"))
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName(self.tr("Length"))
        self.problem = ProblemLabel(self.tr("the template"), self)
        self.whatsapp_note = QLabel(
            self.tr(
                "WhatsApp only delivers a first message to a patient through a template "
                "WhatsApp has approved: keep this text the same as the approved one."
            ),
            self,
        )
        self.whatsapp_note.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setAccessibleName(self.tr("Template saved"))
        self.reset_button = QPushButton(self.tr("Reset to &default"), self)
        self.reset_button.setToolTip(self.tr("Go back to MedBookings' own text for this message"))
        self.reset_button.clicked.connect(self.reset)
        self.save_button = QPushButton(self.tr("&Save template"), self)
        click_on(QKeySequence.StandardKey.Save, self.save_button, self)
        self.save_button.setToolTip(self.tr("Save this template (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)

        pickers = QHBoxLayout()
        kind_label = QLabel(self.tr("&Message:"), self)
        kind_label.setBuddy(self.kind_combo)
        channel_label = QLabel(self.tr("C&hannel:"), self)
        channel_label.setBuddy(self.channel_combo)
        for widget in (kind_label, self.kind_combo, channel_label, self.channel_combo):
            pickers.addWidget(widget)
        pickers.addWidget(self.state_label, 1)

        editor_box = QWidget(self)
        editor_layout = QVBoxLayout(editor_box)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        text_label = QLabel(self.tr("&Text:"), self)
        text_label.setBuddy(self.editor)
        editor_layout.addWidget(text_label)
        editor_layout.addWidget(self.editor, 1)
        editor_layout.addWidget(self.problem)
        holder_box = QWidget(self)
        holder_layout = QVBoxLayout(holder_box)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_label = QLabel(self.tr("P&laceholders:"), self)
        holder_label.setBuddy(self.placeholder_list)
        holder_layout.addWidget(holder_label)
        holder_layout.addWidget(self.placeholder_list, 1)
        top = QSplitter(Qt.Orientation.Horizontal, self)
        top.addWidget(editor_box)
        top.addWidget(holder_box)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)

        preview_box = QWidget(self)
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_label = QLabel(self.tr("Pre&view (sample patient, tomorrow 14:30):"), self)
        preview_label.setBuddy(self.preview)
        preview_layout.addWidget(preview_label)
        preview_layout.addWidget(self.preview, 1)
        preview_layout.addWidget(self.count_label)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(preview_box)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(pickers)
        layout.addWidget(split, 1)
        layout.addWidget(self.whatsapp_note)
        layout.addLayout(buttons)

        self.kind_combo.currentIndexChanged.connect(lambda _: self._pick())
        self.channel_combo.currentIndexChanged.connect(lambda _: self._pick())
        self.editor.textChanged.connect(self._edited)
        self.setEnabled(False)  # until the clinic's texts are read
        self.reload()

    # -- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        ctx = self._ctx
        self._tasks.run(
            lambda: templates.all_templates(ctx),
            guarded(self, self._loaded),
            guarded(self, self._not_loaded),
        )

    def _not_loaded(self, exc: BaseException) -> None:
        # the page stays disabled: editing a text whose saved version is unknown would mislead
        message = problem_text(exc, self.tr("Could not read the message templates: {error}"))
        self.problem.show_problem(message)
        self.refused.emit(message)

    def _loaded(self, found: dict[OutboxKind, dict[str, Template]]) -> None:
        self._templates = found
        self.setEnabled(True)
        self._showing = None
        self._pick()
        self.loaded.emit()

    @property
    def kind(self) -> OutboxKind:
        return OutboxKind(self.kind_combo.currentData())

    @property
    def channel(self) -> str:
        return str(self.channel_combo.currentData())

    def select(self, kind: OutboxKind | str, channel: str) -> None:
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(OutboxKind(kind)))
        self.channel_combo.setCurrentIndex(self.channel_combo.findData(channel))

    def _pick(self) -> None:
        if not self._templates:
            return
        key = (self.kind, self.channel)
        if key == self._showing:
            return
        self._showing = key
        self.placeholder_list.clear()
        for name, meaning in templates.placeholders(self.kind).items():
            item = QListWidgetItem(f"{{{{ {name} }}}} — {meaning}")
            item.setData(PLACEHOLDER, name)
            self.placeholder_list.addItem(item)
        saved = self._templates[self.kind][self.channel]
        self.editor.blockSignals(True)
        self.editor.setPlainText(self._drafts.get(key, saved.text))
        self.editor.blockSignals(False)
        self.whatsapp_note.setVisible(self.channel == "whatsapp")
        self.status.clear()
        self._edited()

    def set_clinic(self, clinic: ClinicSettings) -> None:
        """The clinic was saved: its name and zone show in the preview."""
        self.clinic = clinic
        if self._showing is not None:
            self._update_preview(self.editor.toPlainText())

    # -- editing -----------------------------------------------------------------------------

    def _insert_placeholder(self, item: QListWidgetItem) -> None:
        self.editor.insertPlainText(f"{{{{ {item.data(PLACEHOLDER)} }}}}")
        self.editor.setFocus()

    def _edited(self) -> None:
        if self._showing is None:
            return
        key = self._showing
        text = self.editor.toPlainText()
        saved = self._templates[key[0]][key[1]]
        if text == saved.text:
            self._drafts.pop(key, None)
        else:
            self._drafts[key] = text
        if key in self._drafts:
            self.state_label.setText(self.tr("Changed, not saved yet"))
        elif saved.is_default:
            self.state_label.setText(self.tr("MedBookings' default text"))
        else:
            self.state_label.setText(self.tr("The clinic's own text"))
        self.reset_button.setEnabled(not saved.is_default or key in self._drafts)
        self._update_preview(text)

    def _update_preview(self, text: str) -> None:
        self.problem.clear_problem()
        try:
            templates.check_template(text, self.kind)
            facts = templates.sample_facts(self.kind, self.clinic, self._ctx.now())
            rendered = templates.render_text(text, facts)
        except Exception as exc:
            self.problem.show_problem(problem_text(exc, "{error}"))
            self.preview.setPlainText("")
            self.count_label.clear()
            self.preview_updated.emit()
            return
        self.preview.setPlainText(rendered)
        if self.channel in ("sms", "whatsapp"):
            chars, parts = sms_parts(rendered)
            if self.channel == "sms":
                sms = (
                    self.tr("{chars} characters, 1 SMS")
                    if parts == 1
                    else self.tr("{chars} characters, {parts} SMS parts")
                )
                self.count_label.setText(sms.format(chars=chars, parts=parts))
            else:
                self.count_label.setText(self.tr("{chars} characters").format(chars=chars))
        else:
            self.count_label.clear()
        self.preview_updated.emit()

    # -- saving ------------------------------------------------------------------------------

    def save(self) -> None:
        kind, channel, text = self.kind, self.channel, self.editor.toPlainText()
        self.status.clear()
        self.problem.clear_problem()
        ctx = self._ctx
        self.save_button.setEnabled(False)
        self._tasks.run(
            lambda: templates.save_template(ctx, kind, channel, text),
            guarded(self, self._saved),
            guarded(self, self._show_refusal),
            write=True,
        )

    def reset(self) -> None:
        kind, channel = self.kind, self.channel
        self.status.clear()
        ctx = self._ctx
        self.reset_button.setEnabled(False)
        self._tasks.run(
            lambda: templates.reset_template(ctx, kind, channel),
            guarded(self, self._saved),
            guarded(self, self._show_refusal),
            write=True,
        )

    def _saved(self, template: Template) -> None:
        self.save_button.setEnabled(True)
        key = (template.kind, template.channel)
        self._templates[template.kind][template.channel] = template
        self._drafts.pop(key, None)
        if self._showing == key:
            self._showing = None
            self._pick()
        self.status.setText(
            self.tr("Default text restored.") if template.is_default else self.tr("Saved.")
        )
        self.saved.emit(template)

    def _show_refusal(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.reset_button.setEnabled(True)
        message = problem_text(exc, self.tr("The template was not saved: {error}"))
        self.problem.show_problem(message)
        self.refused.emit(message)
