"""Keep patient data out of error reasons that quote a vendor's answer."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[^\s@<>\"',;:]+@[^\s@<>\"',;:]+")
_PHONE = re.compile(r"\+?\d[\d \-()]{5,}\d")
_MAX = 200


def scrub(text: str) -> str:
    """The text with e-mail addresses and phone numbers blanked out, cut to a readable length."""
    text = _EMAIL.sub("<address>", text)
    text = _PHONE.sub("<number>", text)
    text = " ".join(text.split())
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"
