"""Message templates on both databases: defaults, saving, refusals with the line, reset."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.services import setup, templates
from medbookings_desktop.storage import tables as t
from tests.helpers.clinic import SmallClinic


def test_every_default_passes_its_own_check() -> None:
    for kind in templates.KINDS:
        for channel in templates.CHANNELS:
            templates.check_template(templates.default_text(kind, channel), kind)


def test_defaults_until_the_clinic_writes_its_own(clinic: SmallClinic) -> None:
    found = templates.get_template(clinic.ctx, "confirmation", "sms")
    assert found.is_default
    assert found.text == templates.DEFAULTS[OutboxKind.CONFIRMATION]["sms"]
    assert templates.overrides(clinic.ctx) == {}


def test_saved_text_is_read_back_and_stored_by_kind_and_channel(clinic: SmallClinic) -> None:
    text = "{{ clinic_name }}: see you {{ date }} at {{ time }}, {{ patient_first_name }}!"
    saved = templates.save_template(clinic.ctx, "reminder", "sms", text)
    assert not saved.is_default
    assert templates.get_template(clinic.ctx, OutboxKind.REMINDER, "sms").text == text
    assert templates.overrides(clinic.ctx) == {"reminder": {"sms": text}}
    with clinic.ctx.read() as uow:
        assert uow.settings.value("message_templates") == {"reminder": {"sms": text}}
    every = templates.all_templates(clinic.ctx)
    assert every[OutboxKind.REMINDER]["sms"].text == text
    assert every[OutboxKind.REMINDER]["email_body"].is_default
    # the clinic's own settings are left alone
    with clinic.ctx.read() as uow:
        assert uow.settings.clinic().name == "Riverside Clinic"


def test_a_second_template_keeps_the_first(clinic: SmallClinic) -> None:
    templates.save_template(clinic.ctx, "reminder", "sms", "R {{ time }}")
    templates.save_template(clinic.ctx, "reminder", "whatsapp", "W {{ time }}")
    templates.save_template(clinic.ctx, "cancellation_notice", "email_subject", "{{ reason }}")
    assert templates.overrides(clinic.ctx) == {
        "reminder": {"sms": "R {{ time }}", "whatsapp": "W {{ time }}"},
        "cancellation_notice": {"email_subject": "{{ reason }}"},
    }


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Hello {{ patient_name }}\n{% if online %}online", 2, "endif"),
        ("Hello\n\n{{ patient_nmae }}", 3, "patient_nmae"),
        ("{{ time | no_such_filter }}", 1, "no_such_filter"),
        ("Hi\n{{ reason }}", 2, "reason"),  # a cancellation's reason is not a confirmation's
        ("Hi\n{{ date.year }}", 2, "year"),
    ],
)
def test_a_broken_template_is_refused_with_its_line_and_nothing_is_stored(
    clinic: SmallClinic, text: str, line: int, words: str
) -> None:
    with pytest.raises(templates.TemplateProblem) as refused:
        templates.save_template(clinic.ctx, "confirmation", "email_body", text)
    assert refused.value.line == line
    assert refused.value.message.startswith(f"Line {line}: ")
    assert words in refused.value.message
    assert refused.value.field == "template"
    assert templates.overrides(clinic.ctx) == {}


def test_unknown_kind_channel_and_empty_text_are_refused(clinic: SmallClinic) -> None:
    with pytest.raises(InvalidInput, match="calendar_upsert"):
        templates.save_template(clinic.ctx, "calendar_upsert", "sms", "x")
    with pytest.raises(InvalidInput, match="fax"):
        templates.save_template(clinic.ctx, "reminder", "fax", "x")
    with pytest.raises(InvalidInput, match="empty"):
        templates.save_template(clinic.ctx, "reminder", "sms", "  \n")
    assert templates.overrides(clinic.ctx) == {}


def test_reset_brings_the_default_back(clinic: SmallClinic) -> None:
    templates.save_template(clinic.ctx, "reminder", "sms", "R {{ time }}")
    templates.save_template(clinic.ctx, "reminder", "email_subject", "S {{ date }}")
    back = templates.reset_template(clinic.ctx, "reminder", "sms")
    assert back.is_default
    assert templates.get_template(clinic.ctx, "reminder", "sms").is_default
    assert templates.overrides(clinic.ctx) == {"reminder": {"email_subject": "S {{ date }}"}}
    templates.reset_template(clinic.ctx, "reminder", "email_subject")
    assert templates.overrides(clinic.ctx) == {}


def test_saving_the_default_text_clears_the_override(clinic: SmallClinic) -> None:
    templates.save_template(clinic.ctx, "reminder", "sms", "R {{ time }}")
    default = templates.default_text("reminder", "sms")
    assert templates.save_template(clinic.ctx, "reminder", "sms", default).is_default
    assert templates.overrides(clinic.ctx) == {}


def test_each_change_is_audited(clinic: SmallClinic) -> None:
    templates.save_template(clinic.ctx, "reminder", "sms", "R {{ time }}")
    templates.reset_template(clinic.ctx, "reminder", "sms")
    with clinic.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.after)
            .where(t.audit_log.c.action == "template")
            .order_by(t.audit_log.c.id)
        ).all()
    assert [r.after["text"] for r in rows] == ["R {{ time }}", None]


def test_a_hand_edited_value_keeps_only_known_kinds_and_channels(clinic: SmallClinic) -> None:
    with clinic.ctx.write() as uow:
        uow.settings.set_value(
            "message_templates",
            {"reminder": {"sms": "R {{ time }}", "pager": "x"}, "calendar_upsert": {"sms": "y"}},
        )
        uow.commit()
    assert templates.overrides(clinic.ctx) == {"reminder": {"sms": "R {{ time }}"}}


def test_the_preview_renders_sample_facts_in_the_clinics_zone(clinic: SmallClinic) -> None:
    settings = setup.clinic_settings(clinic.ctx)
    facts = templates.sample_facts("change_notice", settings, clinic.clock())
    text = templates.render_text(templates.default_text("change_notice", "sms"), facts)
    # the clock says Monday 1 June 2026: the sample visit is the next day at 14:30
    assert text == (
        "Riverside Clinic: your appointment has moved to Tuesday 2 June 2026 14:30 "
        "(Europe/London) with Dr Thandi Mokoena."
    )
