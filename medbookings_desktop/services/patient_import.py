"""Import patients from a CSV file, all or nothing, with a row-by-row report.

The report names a line, a column and a reason, never the value itself, so it can be shared
and logged. A file with any bad row imports nothing unless bad rows are to be skipped; rows
that look like patients already known (same name and date of birth) are skipped unless
duplicates are allowed. The import is one unit of work: it all lands, or none of it.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.patients import (
    Channel,
    Patient,
    fold,
    new_patient,
    normalize_email,
    normalize_phone,
)
from medbookings_desktop.domain.search import PatientQuery, parse_birth_date
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import UnitOfWork

log = logging.getLogger(__name__)

FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "preferred_channel",
    "consent_sms",
    "consent_whatsapp",
    "consent_email",
    "notes",
)

# Header spellings accepted for each column, compared without case, spaces or punctuation.
HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "first", "given name", "forename", "forenames"),
    "last_name": ("last name", "lastname", "last", "surname", "family name"),
    "date_of_birth": ("date of birth", "dob", "birth date", "birthdate", "birthday", "born"),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "mobile number",
        "mobile phone",
        "cell",
        "cell phone",
        "telephone",
        "tel",
    ),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail"),
    "preferred_channel": (
        "preferred channel",
        "channel",
        "contact by",
        "contact preference",
        "preferred contact",
    ),
    "consent_sms": ("consent sms", "sms consent", "sms"),
    "consent_whatsapp": ("consent whatsapp", "whatsapp consent", "whatsapp"),
    "consent_email": ("consent email", "email consent", "e-mail consent", "consent e-mail"),
    "notes": ("notes", "note", "comments", "comment", "remarks"),
}

TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", ""})
CHANNEL_WORDS = {
    "sms": Channel.SMS,
    "text": Channel.SMS,
    "whatsapp": Channel.WHATSAPP,
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "none": Channel.NONE,
}
NAME_LIMIT = 100  # the patients table's name columns
BATCH = 1000


def _key(header: str) -> str:
    return re.sub(r"[^0-9a-z]", "", header.casefold())


_HEADER_INDEX = {
    _key(variant): name
    for name, variants in HEADER_VARIANTS.items()
    for variant in (name, *variants)
}


@dataclass(frozen=True, slots=True)
class RowIssue:
    """An error or warning about one line of the file; `column` is the file's own header."""

    line: int
    column: str | None
    message: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f'line {self.line}, column "{self.column}"' if self.column else f"line {self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int  # data rows read (blank lines not counted)
    importable: int  # rows that passed every check and are not skipped as duplicates
    imported: int  # rows written (0 on a dry run or when bad rows stopped the import)
    skipped: int  # bad rows left out (with skip_bad_rows) and duplicates left out
    errors: tuple[RowIssue, ...]
    warnings: tuple[RowIssue, ...]
    dry_run: bool
    stopped: bool  # bad rows and no skip_bad_rows: nothing imported

    @property
    def bad_rows(self) -> int:
        return len({e.line for e in self.errors})

    def as_json(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "skipped": self.skipped,
            "errors": [e.as_json() for e in self.errors],
            "warnings": [w.as_json() for w in self.warnings],
            "rows": self.rows,
            "importable": self.importable,
            "dry_run": self.dry_run,
            "stopped": self.stopped,
        }


@dataclass
class CsvTable:
    """A decoded CSV file: which file column holds which field, and the rows as text."""

    columns: dict[str, tuple[int, str]]  # field -> (index in row, header as written)
    width: int
    rows: list[tuple[int, list[str]]]  # (line number where the row starts, cells)
    warnings: list[RowIssue] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 text, a byte-order mark dropped; anything else refused with where it went wrong."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"The file is not UTF-8 text (line {line} has a byte that is not UTF-8). "
            "Save it as 'CSV UTF-8' and import again."
        ) from None


def detect_delimiter(text: str) -> str:
    """`,`, `;` or tab: the one the header uses, else what csv.Sniffer makes of the start."""
    header = text.split("\n", 1)[0]
    used = [d for d in ",;\t" if d in header]
    if len(used) == 1:
        return used[0]
    sample = text[:65536]
    if "\n" in sample and len(sample) < len(text):
        sample = sample[: sample.rindex("\n")]
    try:
        found = csv.Sniffer().sniff(sample, delimiters="".join(used) or ",;\t").delimiter
    except csv.Error:
        found = ""
    if found in used:
        return found
    return max(used, key=header.count) if used else ","


def read_table(text: str) -> CsvTable:
    """Parse the header and rows; a header that cannot be used raises InvalidInput."""
    if not text.strip():
        raise InvalidInput("The file is empty: it needs a header row and one row per patient.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InvalidInput(f"Line 1 (the header) cannot be read as CSV: {exc}.") from None
    columns: dict[str, tuple[int, str]] = {}
    warnings: list[RowIssue] = []
    for index, raw in enumerate(header):
        name = raw.strip()
        target = _HEADER_INDEX.get(_key(name))
        if target is None:
            if name:
                warnings.append(RowIssue(1, name, "unknown column, ignored"))
            continue
        if target in columns:
            raise InvalidInput(
                f'Columns "{columns[target][1]}" and "{name}" are both {target}: keep one.'
            )
        columns[target] = (index, name)
    if "first_name" not in columns and "last_name" not in columns:
        raise InvalidInput(
            "The header row has no first_name or last_name column "
            "(see docs/patient-import.md for the column names)."
        )
    rows: list[tuple[int, list[str]]] = []
    last = reader.line_num
    try:
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(c.strip() for c in cells):
                rows.append((start, cells))
    except csv.Error as exc:
        raise InvalidInput(f"Line {last + 1} cannot be read as CSV: {exc}.") from None
    return CsvTable(columns, len(header), rows, warnings)


@dataclass
class _Row:
    line: int
    patient: Patient


class _Checker:
    """Turns one row's cells into a Patient, or into issues naming the columns at fault."""

    def __init__(self, table: CsvTable, region: str, today: date) -> None:
        self.table = table
        self.order = {header: index for index, header in table.columns.values()}
        self.region = region
        self.today = today

    def cell(self, cells: list[str], name: str) -> str:
        spot = self.table.columns.get(name)
        if spot is None or spot[0] >= len(cells):
            return ""
        return cells[spot[0]].strip()

    def column(self, name: str) -> str:
        spot = self.table.columns.get(name)
        return spot[1] if spot else name

    def check(self, line: int, cells: list[str]) -> _Row | list[RowIssue]:
        issues: list[RowIssue] = []

        def bad(name: str | None, message: str) -> None:
            issues.append(RowIssue(line, self.column(name) if name else None, message))
            # in the order of the file's columns
            issues.sort(key=lambda i: self.order.get(i.column or "", -1))

        if len(cells) > self.table.width:
            bad(None, f"has {len(cells)} fields but the header has {self.table.width}")
            return issues
        first, last = self.cell(cells, "first_name"), self.cell(cells, "last_name")
        if not first and not last:
            which = "last_name" if "last_name" in self.table.columns else "first_name"
            bad(which, "a first or a last name is needed")
        for name, value in (("first_name", first), ("last_name", last)):
            if len(value) > NAME_LIMIT:
                bad(name, f"is longer than {NAME_LIMIT} characters")
        born = None
        if text := self.cell(cells, "date_of_birth"):
            born = parse_birth_date(text, day_first=True)
            if born is None:
                bad("date_of_birth", "not a date (use YYYY-MM-DD or DD/MM/YYYY)")
            elif born > self.today:
                bad("date_of_birth", "is in the future")
            elif born.year < 1880:
                bad("date_of_birth", "is too far in the past")
        phone, email = self.cell(cells, "phone"), self.cell(cells, "email")
        channel_text = self.cell(cells, "preferred_channel").casefold()
        channel = CHANNEL_WORDS.get(channel_text)
        if not channel_text:
            channel = Channel.SMS if phone else Channel.EMAIL if email else Channel.NONE
        elif channel is None:
            bad("preferred_channel", "use sms, whatsapp, email or none")
        consents: dict[str, bool] = {}
        for name in ("consent_sms", "consent_whatsapp", "consent_email"):
            word = self.cell(cells, name).casefold()
            if word in TRUE_WORDS:
                consents[name] = True
            elif word in FALSE_WORDS:
                consents[name] = False
            else:
                bad(name, "use yes/no, true/false, y/n or 1/0")
        if not issues:
            # new_patient validates phone and e-mail; a good row is checked once
            try:
                patient = new_patient(
                    first_name=first,
                    last_name=last,
                    region=self.region,
                    date_of_birth=born,
                    phone=phone or None,
                    email=email or None,
                    preferred_channel=channel or Channel.NONE,
                    notes=self.cell(cells, "notes"),
                    **consents,
                )
            except InvalidInput:
                pass
            else:
                return _Row(line, patient)
        # a bad row: check phone and e-mail one by one, to name every column at fault
        if phone:
            try:
                normalize_phone(phone, self.region)
            except InvalidInput:
                bad("phone", f"not a valid phone number (read as {self.region} without +country)")
        if email:
            try:
                normalize_email(email)
            except InvalidInput:
                bad("email", "not a valid e-mail address")
        if not issues:
            bad(None, "not accepted")  # a rule of new_patient the checks above do not know
        return issues


def _name_key(p: Patient) -> tuple[str, str, date | None]:
    return fold(p.first_name).strip(), fold(p.last_name).strip(), p.date_of_birth


def _known(uow: UnitOfWork, rows: Sequence[_Row]) -> dict[tuple[str, str, date | None], int]:
    """Patients already stored with the same name and date of birth as a row: key -> id."""
    found: dict[tuple[str, str, date | None], int] = {}
    wanted = {_name_key(r.patient) for r in rows}
    births = {k[2] for k in wanted if k[2] is not None}
    for born in sorted(births):
        for p in uow.patients.search(PatientQuery((), (), born), limit=100_000):
            if p.id is not None and _name_key(p) in wanted:
                found.setdefault(_name_key(p), p.id)
    # without a date of birth: look the full name up (both parts are needed to narrow it)
    for first, last, birth in wanted:
        if birth is None and first and last:
            query = PatientQuery((first, last), ())
            for p in uow.patients.search(query, limit=100_000):
                if p.id is not None and _name_key(p) == (first, last, None):
                    found.setdefault(_name_key(p), p.id)
    return found


def _check_rows(table: CsvTable, region: str, today: date) -> tuple[list[_Row], list[RowIssue]]:
    checker = _Checker(table, region, today)
    good: list[_Row] = []
    errors: list[RowIssue] = []
    for line, cells in table.rows:
        outcome = checker.check(line, cells)
        if isinstance(outcome, _Row):
            good.append(outcome)
        else:
            errors.extend(outcome)
    return good, errors


def _batches(items: Sequence[Patient], size: int) -> Iterator[Sequence[Patient]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def import_patients(
    ctx: Context,
    data: bytes,
    *,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    allow_duplicates: bool = False,
    batch_size: int = BATCH,
) -> ImportReport:
    """Check every row, then add the good ones in one unit of work (unless told not to)."""
    table = read_table(decode(data))
    with ctx.read() as uow:
        settings = uow.settings.clinic()
    today = ctx.now().astimezone(ZoneInfo(settings.zone)).date()
    good, errors = _check_rows(table, settings.phone_region, today)
    warnings = list(table.warnings)
    stopped = bool(errors) and not skip_bad_rows
    with ctx.read() if dry_run or stopped else ctx.write() as uow:
        known = {} if allow_duplicates else _known(uow, good)
        seen: dict[tuple[str, str, date | None], int] = {}
        keep: list[Patient] = []
        for row in good:
            key = _name_key(row.patient)
            if not allow_duplicates and key in known:
                warnings.append(
                    RowIssue(
                        row.line,
                        None,
                        f"possible duplicate of patient #{known[key]} "
                        "(same name and date of birth); skipped",
                    )
                )
            elif not allow_duplicates and key in seen:
                warnings.append(
                    RowIssue(
                        row.line,
                        None,
                        f"possible duplicate of line {seen[key]} "
                        "(same name and date of birth); skipped",
                    )
                )
            else:
                seen.setdefault(key, row.line)
                keep.append(row.patient)
        duplicates = len(good) - len(keep)
        bad_rows = len({e.line for e in errors})
        imported = 0
        if not stopped and not dry_run:
            now = ctx.now()
            for batch in _batches(keep, batch_size):
                uow.patients.add_many(batch, now)
            imported = len(keep)
            ctx.audit(
                uow,
                "import",
                "patient",
                None,
                None,
                {"imported": imported, "skipped": duplicates + bad_rows},
            )
            uow.commit()
    report = ImportReport(
        rows=len(table.rows),
        importable=len(keep),
        imported=imported,
        skipped=duplicates + (bad_rows if skip_bad_rows else 0),
        errors=tuple(errors),
        warnings=tuple(sorted(warnings, key=lambda w: w.line)),
        dry_run=dry_run,
        stopped=stopped,
    )
    log.info(
        "patient import: %d rows, %d imported, %d skipped, %d bad rows%s",
        report.rows,
        report.imported,
        report.skipped,
        bad_rows,
        " (dry run)" if dry_run else "",
    )
    return report
