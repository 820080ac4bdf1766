"""What a receptionist typed into the patient search, taken apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from medbookings_desktop.domain.patients import fold

_DMY = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class PatientQuery:
    words: tuple[str, ...]  # folded name words, matched as prefixes
    substrings: tuple[str, ...]  # folded terms and digit runs, matched anywhere
    birth_date: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.words or self.substrings or self.birth_date)


def parse_birth_date(text: str, day_first: bool = True) -> date | None:
    text = text.strip()
    try:
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(text):
            a, b, year = int(m[1]), int(m[2]), int(m[3])
            day, month = (a, b) if day_first else (b, a)
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_query(text: str, *, day_first: bool = True) -> PatientQuery:
    """Names go to prefix search, digits (phones) and e-mail parts to substring search."""
    text = text.strip()
    if not text:
        return PatientQuery((), ())
    birth = parse_birth_date(text, day_first)
    if birth is not None:
        return PatientQuery((), (), birth)
    compact = re.sub(r"[\s()+.-]", "", text)
    if compact.isdigit():
        return PatientQuery((), (compact,) if len(compact) >= 3 else ())
    terms = [fold(w) for w in re.split(r"[\s,]+", text) if w]
    words = tuple(w for w in terms if w.replace("-", "").replace("'", "").isalpha())
    return PatientQuery(words[:2], tuple(terms))
