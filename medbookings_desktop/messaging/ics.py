"""The appointment as an iCalendar file (RFC 5545), written by vobject.

Times are in UTC (every calendar shows them in its own zone, and no VTIMEZONE is needed). The
UID stays the same for one appointment and SEQUENCE follows its revision, so a calendar that
took the confirmation updates the event when a change notice arrives. METHOD:PUBLISH: the
patient adds the event; there is nothing to accept or decline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from medbookings_desktop.messaging.render import MessageFacts

PRODID = "-//MedBookings Desktop//Appointment//EN"


def uid(appointment_id: int | None, start: datetime) -> str:
    key = appointment_id if appointment_id is not None else start.strftime("%Y%m%dT%H%M%SZ")
    return f"appointment-{key}@medbookings-desktop"


def appointment_ics(facts: MessageFacts, *, stamp: datetime | None = None) -> str:
    import vobject

    # vobject cannot name datetime.UTC as a TZID; a dateutil UTC it writes as "...Z"
    from dateutil.tz import tzutc  # type: ignore[import-untyped,unused-ignore]

    from medbookings_desktop.messaging.render import _address

    appt = facts.appointment
    cal: Any = vobject.iCalendar()
    cal.add("prodid").value = PRODID
    cal.add("method").value = "PUBLISH"
    event = cal.add("vevent")
    event.add("uid").value = uid(appt.id, appt.start)
    utc = tzutc()
    now = stamp or datetime.now(UTC)
    event.add("dtstamp").value = now.astimezone(utc).replace(microsecond=0)
    event.add("dtstart").value = appt.start.astimezone(utc)
    event.add("dtend").value = appt.end.astimezone(utc)
    event.add("sequence").value = str(max(appt.revision - 1, 0))
    event.add("summary").value = f"{facts.service.name} with {facts.provider.display_name}"
    lines = [f"{facts.clinic.name}: {facts.service.name} with {facts.provider.display_name}."]
    if appt.online and appt.meet_url:
        event.add("location").value = appt.meet_url
        event.add("url").value = appt.meet_url
        lines.append(f"Join the video call: {appt.meet_url}")
    elif facts.location is not None:
        where = ", ".join(p for p in (facts.location.name, _address(facts.location)) if p)
        event.add("location").value = where
        if facts.location.phone:
            lines.append(f"Phone: {facts.location.phone}")
    event.add("description").value = "\n".join(lines)
    event.add("status").value = "CONFIRMED"
    event.add("transp").value = "OPAQUE"
    text: str = cal.serialize()
    return text
