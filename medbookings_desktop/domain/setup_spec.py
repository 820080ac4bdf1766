"""A clinic setup file (TOML) read into a checked spec, every problem named by its place.

The file is declarative: records are matched by name, keys left out keep their current value.
Checks that need the database (names that must exist, values merged with stored records) are
made by the service that applies the spec; everything checkable from the file alone is here.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from medbookings_desktop.domain.clinic import check_colour, check_zone
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.patients import normalize_email

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
MIDNIGHT = time(0)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file: where (`providers[2].hours[0].end`) and why."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


class SetupInvalid(InvalidInput):
    """The file has problems; nothing was applied."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        # in the order of the file: by section and record, in-record order as found
        self.problems = tuple(sorted(problems, key=_file_order))
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the setup file; nothing was applied."
        )


_SECTIONS = {"clinic": 1, "locations": 2, "services": 3, "providers": 4}
_RECORD = re.compile(r"^(\w+)(?:\[(\d+)\])?")


def _file_order(problem: Problem) -> tuple[int, int]:
    m = _RECORD.match(problem.place)
    if not m:
        return (0, 0)
    return (_SECTIONS.get(m[1], 5), int(m[2] or 0))


@dataclass(frozen=True, slots=True)
class ClinicSpec:
    values: dict[str, Any]  # ClinicSettings fields given in the file, converted


@dataclass(frozen=True, slots=True)
class LocationSpec:
    place: str
    name: str
    values: dict[str, Any]  # Location fields besides the name
    rooms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    place: str
    name: str
    values: dict[str, Any]  # Service fields besides the name


@dataclass(frozen=True, slots=True)
class BreakSpec:
    place: str
    start: time
    end: time
    label: str


@dataclass(frozen=True, slots=True)
class HoursSpec:
    place: str
    location: str
    weekdays: tuple[int, ...]
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None
    breaks: tuple[BreakSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class TimeOffSpec:
    """Start and end as written: a date (whole days), a local datetime, or one with an offset."""

    place: str
    start: date | datetime
    end: date | datetime
    reason: str = ""
    zone: str | None = None

    def instants(self, default_zone: str) -> tuple[datetime, datetime]:
        """UTC start and end; an end given as a date includes that whole day."""
        zone = ZoneInfo(self.zone or default_zone)
        return _instant(self.start, zone, end=False), _instant(self.end, zone, end=True)


@dataclass(frozen=True, slots=True)
class ExtraHoursSpec:
    place: str
    location: str
    day: date
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    place: str
    name: str
    values: dict[str, Any]  # Provider fields besides name and links
    locations: tuple[tuple[str, str], ...] | None = None  # (place, name); None = keep
    services: tuple[tuple[str, str], ...] | None = None
    hours: tuple[HoursSpec, ...] | None = None  # None = keep the weekly hours as they are
    time_off: tuple[TimeOffSpec, ...] = ()
    extra_hours: tuple[ExtraHoursSpec, ...] = ()
    # every (place, name) of a location its hours and extra hours name, also of entries left out
    location_refs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SetupSpec:
    clinic: ClinicSpec | None = None
    locations: tuple[LocationSpec, ...] = ()
    services: tuple[ServiceSpec, ...] = ()
    providers: tuple[ProviderSpec, ...] = ()


def _instant(value: date | datetime, zone: ZoneInfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return local.astimezone(UTC)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, MIDNIGHT, zone).astimezone(UTC)


def show(value: Any) -> str:
    """A value as it reads in the file, for messages."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | time):
        return value.isoformat()
    return repr(value)


class _Reader:
    """Walks the parsed TOML, converting values and collecting problems with their places."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def table(self, value: Any, place: str, known: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(place, "must be a table")
            return None
        allowed = list(known)
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                extra = f" (did you mean {show(hint[0])}?)" if hint else ""
                self.problem(f"{place}.{key}" if place else key, f"unknown key{extra}")
        return value

    def array_of_tables(self, value: Any, place: str) -> list[Any]:
        if not isinstance(value, list):
            self.problem(place, "must be an array of tables ([[...]])")
            return []
        return value

    def get(
        self,
        table: dict[str, Any],
        key: str,
        place: str,
        convert: Callable[[Any], Any],
        out: dict[str, Any] | None = None,
        target: str | None = None,
    ) -> Any:
        """Convert table[key] if present; a failed conversion is a problem at place.key."""
        if key not in table:
            return None
        try:
            value = convert(table[key])
        except _Bad as bad:
            self.problem(f"{place}.{key}", bad.message)
            return None
        if out is not None:
            out[target or key] = value
        return value

    def required(
        self, table: dict[str, Any], key: str, place: str, convert: Callable[[Any], Any]
    ) -> Any:
        if key not in table:
            self.problem(f"{place}.{key}", "is required")
            return None
        return self.get(table, key, place, convert)


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(max_len: int, *, allow_empty: bool = True) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise _Bad(f"{show(value)} must be text")
        text = value.strip()
        if not text and not allow_empty:
            raise _Bad("must not be empty")
        if len(text) > max_len:
            raise _Bad(f"is longer than {max_len} characters")
        return text

    return convert


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"{show(value)} must be true or false")
    return value


def _whole(lo: int, hi: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"{show(value)} must be a whole number")
        if not lo <= value <= hi:
            raise _Bad(f"{value} must be between {lo} and {hi}")
        return value

    return convert


def _minutes(lo: int, hi: int) -> Callable[[Any], timedelta]:
    whole = _whole(lo, hi)
    return lambda value: timedelta(minutes=whole(value))


def _zone(value: Any) -> str:
    name = _text(64, allow_empty=False)(value)
    try:
        return check_zone(name)
    except InvalidInput:
        raise _Bad(f'{show(name)} is not an IANA time zone (e.g. "Europe/London")') from None


def _colour(value: Any) -> str:
    text = _text(64)(value)
    try:
        return check_colour(text)
    except InvalidInput:
        raise _Bad(f'{show(text)} is not a colour like "#1a7f5a"') from None


def _email(value: Any) -> str | None:
    text = _text(254)(value)
    if not text:
        return None
    try:
        return normalize_email(text)
    except InvalidInput:
        raise _Bad(f"{show(text)} is not an e-mail address") from None


def _region(value: Any) -> str:
    text = _text(64, allow_empty=False)(value).upper()
    if text not in phonenumbers.SUPPORTED_REGIONS:
        raise _Bad(f'{show(text)} is not a phone region (a country code such as "GB")')
    return text


def _country(value: Any) -> str:
    text = _text(64)(value).upper()
    if text and not _COUNTRY.match(text):
        raise _Bad(f"{show(text)} is not a two-letter country code")
    return text


def _currency(value: Any) -> str:
    text = _text(64, allow_empty=False)(value).upper()
    if not _CURRENCY.match(text):
        raise _Bad(f"{show(text)} is not a three-letter currency code")
    return text


def _money(value: Any) -> int:
    """An amount in major units (60, 60.5, "60.50") as cents."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Bad(f"{show(value)} must be an amount such as 60.00")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad(f"{show(value)} is not an amount such as 60.00") from None
    if not amount.is_finite() or amount < 0:
        raise _Bad(f"{show(value)} must be zero or more")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise _Bad(f"{show(value)} has more than two decimal places")
    if cents > 100_000_000:
        raise _Bad(f"{show(value)} is too large")
    return int(cents)


def _offsets(value: Any) -> tuple[timedelta, ...]:
    if not isinstance(value, list) or not value:
        raise _Bad("must be a list of hours such as [24, 2]")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not 0 < item <= 24 * 30:
            raise _Bad(f"{show(item)} must be a number of hours above 0 (at most 720)")
        minutes = Decimal(str(item)) * 60
        if minutes != minutes.to_integral_value():
            raise _Bad(f"{show(item)} is not a whole number of minutes")
        out.append(timedelta(minutes=int(minutes)))
    if len(set(out)) != len(out):
        raise _Bad("lists the same offset twice")
    return tuple(sorted(out, reverse=True))


def _clock(*, end: bool) -> Callable[[Any], time]:
    def convert(value: Any) -> time:
        if isinstance(value, time):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise _Bad(f"{show(value)} must be a plain HH:MM time")
            return value
        if not isinstance(value, str):
            raise _Bad(f"{show(value)} is not a time")
        m = _HHMM.match(value.strip())
        if not m:
            raise _Bad(f"{show(value)} is not a time")
        hour, minute = int(m[1]), int(m[2])
        if end and (hour, minute) == (24, 0):
            return MIDNIGHT  # the end of the day
        if hour > 23 or minute > 59:
            raise _Bad(f"{show(value)} is not a time")
        return time(hour, minute)

    return convert


def _date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Bad(f"{show(value)} is not a date (YYYY-MM-DD)")


def _date_or_datetime(value: Any) -> date | datetime:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            pass
    raise _Bad(f"{show(value)} is not a date or a date and time (2026-08-03 or 2026-08-03T09:00)")


def _day_list(value: Any) -> tuple[int, ...]:
    """["mon", "wed"], full names, or ranges such as "mon-fri"."""
    if not isinstance(value, list) or not value:
        raise _Bad('must be a list of days such as ["mon", "tue"]')
    days: set[int] = set()
    for item in value:
        if not isinstance(item, str):
            raise _Bad(f"{show(item)} is not a day")
        ends = [part.strip().lower() for part in item.split("-")]
        try:
            idx = [_day_index(part) for part in ends]
        except KeyError:
            raise _Bad(f"{show(item)} is not a day (use mon, tue, ... sun)") from None
        if len(idx) == 1:
            days.add(idx[0])
        elif len(idx) == 2 and idx[0] <= idx[1]:
            days.update(range(idx[0], idx[1] + 1))
        else:
            raise _Bad(f'{show(item)} is not a day range such as "mon-fri"')
    return tuple(sorted(days))


def _day_index(name: str) -> int:
    if name in DAYS:
        return DAYS.index(name)
    if name in _FULL_DAYS:
        return _FULL_DAYS.index(name)
    raise KeyError(name)


def _name_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _Bad('must be a list of names such as ["Riverside"]')
    return value


def _minutes_of(t: time, *, end: bool) -> int:
    value = t.hour * 60 + t.minute
    return 24 * 60 if end and value == 0 else value


def _span_ok(reader: _Reader, place: str, start: time | None, end: time | None) -> bool:
    if start is None or end is None:
        return False
    if _minutes_of(end, end=True) <= _minutes_of(start, end=False):
        reader.problem(f"{place}.end", f"{end:%H:%M} is not after the start ({start:%H:%M})")
        return False
    return True


_CLINIC_KEYS = {
    "name": ("name", _text(200, allow_empty=False)),
    "zone": ("zone", _zone),
    "reminder_offsets_hours": ("reminder_offsets", _offsets),
    "slot_grid_minutes": ("slot_grid", _minutes(5, 120)),
    "minimum_notice_minutes": ("minimum_notice", _minutes(0, 60 * 24 * 60)),
    "booking_horizon_days": ("booking_horizon", lambda v: timedelta(days=_whole(1, 3660)(v))),
    "phone_region": ("phone_region", _region),
    "names_in_calendar": ("names_in_calendar", _bool),
    "locale": ("locale", _text(20, allow_empty=False)),
}

_LOCATION_KEYS = {
    "zone": _zone,
    "address_line1": _text(200),
    "address_line2": _text(200),
    "city": _text(100),
    "region": _text(100),
    "postal_code": _text(20),
    "country": _country,
    "phone": _text(20),
}

_SERVICE_KEYS = {
    "duration_minutes": ("duration", _minutes(1, 720)),
    "buffer_before_minutes": ("buffer_before", _minutes(0, 240)),
    "buffer_after_minutes": ("buffer_after", _minutes(0, 240)),
    "price": ("price_cents", _money),
    "deposit": ("deposit_cents", _money),
    "currency": ("currency", _currency),
    "online": ("online", _bool),
    "colour": ("colour", _colour),
    "active": ("active", _bool),
}

_PROVIDER_KEYS = {
    "title": _text(50),
    "colour": _colour,
    "email": _email,
    "active": _bool,
}


def parse_setup_text(text: str) -> SetupSpec:
    """Read a setup file's text; raise SetupInvalid listing every problem found."""
    spec, problems = read_setup_text(text)
    if problems:
        raise SetupInvalid(problems)
    return spec


def parse_setup(data: dict[str, Any]) -> SetupSpec:
    spec, problems = read_setup(data)
    if problems:
        raise SetupInvalid(problems)
    return spec


def read_setup_text(text: str) -> tuple[SetupSpec, tuple[Problem, ...]]:
    """The spec of what is well-formed, and the problems of what is not.

    Text that is not TOML at all raises SetupInvalid: there is nothing to check further.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupInvalid([Problem("", f"not valid TOML: {exc}")]) from None
    return read_setup(data)


def read_setup(data: dict[str, Any]) -> tuple[SetupSpec, tuple[Problem, ...]]:
    """Records with problems are left out of the spec (or keep only their good keys)."""
    reader = _Reader()
    reader.table(data, "", ("clinic", "locations", "services", "providers"))
    clinic = _clinic(reader, data["clinic"]) if "clinic" in data else None
    locations = [
        loc
        for i, raw in enumerate(reader.array_of_tables(data.get("locations", []), "locations"))
        if (loc := _location(reader, raw, f"locations[{i}]")) is not None
    ]
    services = [
        svc
        for i, raw in enumerate(reader.array_of_tables(data.get("services", []), "services"))
        if (svc := _service(reader, raw, f"services[{i}]")) is not None
    ]
    providers = [
        prov
        for i, raw in enumerate(reader.array_of_tables(data.get("providers", []), "providers"))
        if (prov := _provider(reader, raw, f"providers[{i}]")) is not None
    ]
    for kind, records in (("location", locations), ("service", services), ("provider", providers)):
        seen: dict[str, str] = {}
        for rec in records:
            if rec.name in seen:
                reader.problem(
                    f"{rec.place}.name",
                    f"{show(rec.name)} is already used by {seen[rec.name]}; each {kind} once",
                )
            seen.setdefault(rec.name, rec.place)
    spec = SetupSpec(clinic, tuple(locations), tuple(services), tuple(providers))
    return spec, tuple(reader.problems)


def _clinic(reader: _Reader, raw: Any) -> ClinicSpec | None:
    table = reader.table(raw, "clinic", _CLINIC_KEYS)
    if table is None:
        return None
    values: dict[str, Any] = {}
    for key, (target, convert) in _CLINIC_KEYS.items():
        reader.get(table, key, "clinic", convert, values, target)
    return ClinicSpec(values)


def _location(reader: _Reader, raw: Any, place: str) -> LocationSpec | None:
    table = reader.table(raw, place, ["name", *_LOCATION_KEYS, "rooms"])
    if table is None:
        return None
    name = reader.required(table, "name", place, _text(200, allow_empty=False))
    values: dict[str, Any] = {}
    for key, convert in _LOCATION_KEYS.items():
        reader.get(table, key, place, convert, values)
    rooms: list[str] = []
    for i, room in enumerate(reader.get(table, "rooms", place, _name_list) or []):
        try:
            text = _text(100, allow_empty=False)(room)
        except _Bad as bad:
            reader.problem(f"{place}.rooms[{i}]", bad.message)
            continue
        if text in rooms:
            reader.problem(f"{place}.rooms[{i}]", f"{show(text)} is listed twice")
        else:
            rooms.append(text)
    return None if name is None else LocationSpec(place, name, values, tuple(rooms))


def _service(reader: _Reader, raw: Any, place: str) -> ServiceSpec | None:
    table = reader.table(raw, place, ["name", *_SERVICE_KEYS])
    if table is None:
        return None
    name = reader.required(table, "name", place, _text(200, allow_empty=False))
    values: dict[str, Any] = {}
    for key, (target, convert) in _SERVICE_KEYS.items():
        reader.get(table, key, place, convert, values, target)
    price, deposit = values.get("price_cents"), values.get("deposit_cents")
    if price is not None and deposit is not None and deposit > price:
        reader.problem(f"{place}.deposit", "is more than the price")
    return None if name is None else ServiceSpec(place, name, values)


def _names(reader: _Reader, table: dict[str, Any], key: str, place: str) -> Any:
    raw = reader.get(table, key, place, _name_list)
    if raw is None:
        return None
    out: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        spot = f"{place}.{key}[{i}]"
        try:
            text = _text(200, allow_empty=False)(item)
        except _Bad as bad:
            reader.problem(spot, bad.message)
            continue
        if any(text == seen for _, seen in out):
            reader.problem(spot, f"{show(text)} is listed twice")
        else:
            out.append((spot, text))
    return tuple(out)


def _provider(reader: _Reader, raw: Any, place: str) -> ProviderSpec | None:
    keys = ["name", *_PROVIDER_KEYS, "locations", "services", "hours", "time_off", "extra_hours"]
    table = reader.table(raw, place, keys)
    if table is None:
        return None
    name = reader.required(table, "name", place, _text(200, allow_empty=False))
    values: dict[str, Any] = {}
    for key, convert in _PROVIDER_KEYS.items():
        reader.get(table, key, place, convert, values)
    locations = _names(reader, table, "locations", place)
    services = _names(reader, table, "services", place)
    hours = None
    if "hours" in table:
        raw_hours = reader.array_of_tables(table["hours"], f"{place}.hours")
        hours = tuple(
            h
            for i, item in enumerate(raw_hours)
            if (h := _hours(reader, item, f"{place}.hours[{i}]")) is not None
        )
        _check_overlaps(reader, hours)
    time_off = tuple(
        off
        for i, item in enumerate(
            reader.array_of_tables(table.get("time_off", []), f"{place}.time_off")
        )
        if (off := _time_off(reader, item, f"{place}.time_off[{i}]")) is not None
    )
    extra = tuple(
        ex
        for i, item in enumerate(
            reader.array_of_tables(table.get("extra_hours", []), f"{place}.extra_hours")
        )
        if (ex := _extra(reader, item, f"{place}.extra_hours[{i}]")) is not None
    )
    if name is None:
        return None
    refs = tuple(
        (f"{place}.{key}[{i}].location", item["location"].strip())
        for key in ("hours", "extra_hours")
        if isinstance(table.get(key), list)
        for i, item in enumerate(table[key])
        if isinstance(item, dict) and isinstance(item.get("location"), str)
    )
    return ProviderSpec(place, name, values, locations, services, hours, time_off, extra, refs)


def _hours(reader: _Reader, raw: Any, place: str) -> HoursSpec | None:
    keys = ("location", "days", "start", "end", "valid_from", "valid_until", "breaks")
    table = reader.table(raw, place, keys)
    if table is None:
        return None
    before = len(reader.problems)
    location = reader.required(table, "location", place, _text(200, allow_empty=False))
    days = reader.required(table, "days", place, _day_list)
    start = reader.required(table, "start", place, _clock(end=False))
    end = reader.required(table, "end", place, _clock(end=True))
    span = _span_ok(reader, place, start, end)
    valid_from = reader.get(table, "valid_from", place, _date)
    valid_until = reader.get(table, "valid_until", place, _date)
    if valid_from and valid_until and valid_until < valid_from:
        reader.problem(f"{place}.valid_until", f"{valid_until} is before valid_from")
    head_ok = len(reader.problems) == before
    breaks = []
    for i, item in enumerate(reader.array_of_tables(table.get("breaks", []), f"{place}.breaks")):
        spot = f"{place}.breaks[{i}]"
        btable = reader.table(item, spot, ("start", "end", "label"))
        if btable is None:
            continue
        b_start = reader.required(btable, "start", spot, _clock(end=False))
        b_end = reader.required(btable, "end", spot, _clock(end=True))
        label = reader.get(btable, "label", spot, _text(100)) or "Break"
        if not _span_ok(reader, spot, b_start, b_end):
            continue
        if span and (
            _minutes_of(b_start, end=False) < _minutes_of(start, end=False)
            or _minutes_of(b_end, end=True) > _minutes_of(end, end=True)
        ):
            reader.problem(spot, f"{b_start:%H:%M}–{b_end:%H:%M} lies outside these hours")
            continue
        breaks.append(BreakSpec(spot, b_start, b_end, label))
    if not head_ok:
        return None
    return HoursSpec(place, location, days, start, end, valid_from, valid_until, tuple(breaks))


def _check_overlaps(reader: _Reader, hours: tuple[HoursSpec, ...]) -> None:
    """A provider is in one place at a time: no two rules may share a moment of a weekday."""
    for i, a in enumerate(hours):
        for b in hours[:i]:
            common = set(a.weekdays) & set(b.weekdays)
            periods_meet = (a.valid_from or date.min) <= (b.valid_until or date.max) and (
                b.valid_from or date.min
            ) <= (a.valid_until or date.max)
            overlap = _minutes_of(a.start, end=False) < _minutes_of(
                b.end, end=True
            ) and _minutes_of(b.start, end=False) < _minutes_of(a.end, end=True)
            if common and periods_meet and overlap:
                day = DAYS[min(common)]
                reader.problem(
                    a.place, f"overlaps {b.place} on {day} ({b.start:%H:%M}–{b.end:%H:%M})"
                )


def _time_off(reader: _Reader, raw: Any, place: str) -> TimeOffSpec | None:
    table = reader.table(raw, place, ("start", "end", "reason", "zone"))
    if table is None:
        return None
    before = len(reader.problems)
    start = reader.required(table, "start", place, _date_or_datetime)
    end = reader.required(table, "end", place, _date_or_datetime)
    reason = reader.get(table, "reason", place, _text(200)) or ""
    zone = reader.get(table, "zone", place, _zone)
    if len(reader.problems) > before:
        return None
    spec = TimeOffSpec(place, start, end, reason, zone)
    probe_start, probe_end = spec.instants("UTC")
    if probe_end <= probe_start:
        reader.problem(f"{place}.end", "is not after the start")
        return None
    return spec


def _extra(reader: _Reader, raw: Any, place: str) -> ExtraHoursSpec | None:
    table = reader.table(raw, place, ("location", "date", "start", "end"))
    if table is None:
        return None
    before = len(reader.problems)
    location = reader.required(table, "location", place, _text(200, allow_empty=False))
    day = reader.required(table, "date", place, _date)
    start = reader.required(table, "start", place, _clock(end=False))
    end = reader.required(table, "end", place, _clock(end=True))
    _span_ok(reader, place, start, end)
    if len(reader.problems) > before:
        return None
    return ExtraHoursSpec(place, location, day, start, end)


__all__ = [
    "BreakSpec",
    "ClinicSpec",
    "ExtraHoursSpec",
    "HoursSpec",
    "LocationSpec",
    "Problem",
    "ProviderSpec",
    "ServiceSpec",
    "SetupInvalid",
    "SetupSpec",
    "TimeOffSpec",
    "parse_setup",
    "parse_setup_text",
    "read_setup",
    "read_setup_text",
    "show",
]
