"""Patient replies by SMS or WhatsApp: "C"/"YES" confirms, "X"/"CANCEL" cancels, "STOP" opts
out of that channel, anything else goes to "Needs attention".

A reply is tied to the appointment of the last message we sent to that number. Each reply is
recorded by its vendor id before it is acted on, so two engines never act on one reply twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from medbookings_desktop.domain.appointments import UPCOMING_STATUSES
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.services import booking, patients
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from medbookings_desktop.sync.policy import ReplyMeaning, phone_of, reply_meaning

if TYPE_CHECKING:
    from medbookings_desktop.sync.engine import Engine

log = logging.getLogger(__name__)

CANCEL_REASON = "cancelled by the patient by SMS"


def _field(reply: Any, *names: str) -> Any:
    for name in names:
        value = getattr(reply, name, None)
        if value is not None:
            return value
    return None


def handle_reply(engine: Engine, reply: Any, now: datetime) -> bool:
    """Act on one reply; False when it was handled before (by us or another desk)."""
    from medbookings_desktop.sync.engine import REPLY

    vendor_id = str(_field(reply, "sid", "vendor_id", "id"))
    sender = str(_field(reply, "from_", "sender", "from_number") or "")
    body = str(_field(reply, "body", "text") or "")
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    received = _field(reply, "received_at", "date_sent", "date_created")
    if not isinstance(received, datetime):
        received = now
    received = received.astimezone(UTC)
    phone = phone_of(sender)
    meaning = reply_meaning(body)

    with SqlUnitOfWork(engine.db) as uow:
        if uow.deliveries.inbound_seen(vendor_id):
            return False
        last = uow.deliveries.last_to(phone, (channel,))
        appointment_id = last.appointment_id if last else None
        patient_id = None
        if appointment_id is not None:
            patient_id = uow.appointments.get(appointment_id).patient_id
        recorded = uow.deliveries.record_inbound(
            {
                "vendor_id": vendor_id,
                "channel": channel,
                "sender": phone,
                "body": body,
                "received_at": received,
                "outcome": meaning.value,
                "patient_id": patient_id,
                "appointment_id": appointment_id,
                "handled_at": now,
            }
        )
        uow.commit()
    if not recorded:
        return False

    ctx = engine.context(f"patient by {'WhatsApp' if channel == 'whatsapp' else 'SMS'}")
    problem: str | None = None
    try:
        if meaning is ReplyMeaning.STOP:
            if patient_id is None:
                problem = "asked to stop messages, but the number matches no message we sent"
            else:
                field = "consent_whatsapp" if channel == "whatsapp" else "consent_sms"
                patients.edit(ctx, patient_id, **{field: False})
        elif meaning in (ReplyMeaning.CONFIRM, ReplyMeaning.CANCEL):
            if appointment_id is None:
                problem = "replied, but the number matches no appointment message we sent"
            else:
                with ctx.read() as uow:
                    appt = uow.appointments.get(appointment_id)
                if appt.status not in UPCOMING_STATUSES or appt.start <= now:
                    problem = (
                        f"replied to a message about appointment #{appointment_id}, "
                        f"which is {appt.status.value.replace('_', ' ')} or has started"
                    )
                elif meaning is ReplyMeaning.CONFIRM:
                    if appt.status.value != "confirmed":
                        booking.confirm(ctx, appointment_id)
                else:
                    booking.cancel(ctx, appointment_id, reason=CANCEL_REASON)
        else:
            problem = "sent a reply the engine cannot act on"
    except DomainError as exc:
        problem = f"replied but it could not be applied: {exc.message}"
    if problem is not None:
        summary = (
            f"A patient {problem}. Reply by {channel.upper() if channel == 'sms' else 'WhatsApp'}: "
            f"“{body.strip()[:300]}”"
        )
        with SqlUnitOfWork(engine.db) as uow:
            uow.attention.add(
                REPLY,
                summary,
                now,
                appointment_id=appointment_id,
                patient_id=patient_id,
            )
            uow.commit()
    log.info(
        "reply %s by %s: %s%s",
        vendor_id,
        channel,
        meaning.value,
        " (for attention)" if problem else "",
    )
    return True
