"""Patients and the typeahead search over them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import column as sql_column

from medbookings_desktop.domain.appointments import UPCOMING_STATUSES, Status
from medbookings_desktop.domain.errors import NotFound
from medbookings_desktop.domain.patients import Patient, PatientRow
from medbookings_desktop.domain.search import PatientQuery
from medbookings_desktop.storage import patient_rows
from medbookings_desktop.storage import tables as t

P = t.patients
A = t.appointments
_NAME_ORDER = (P.c.last_name_key, P.c.first_name_key, P.c.id)
_UPCOMING = [s.value for s in UPCOMING_STATUSES]
_BYTEWISE = "medbookings_bytewise_text"


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _next_prefix(prefix: str) -> str | None:
    """The smallest string above every string starting with `prefix` (None: no bound)."""
    last = ord(prefix[-1])
    return None if last >= 0x10FFFF else prefix[:-1] + chr(last + 1)


class PatientRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def get(self, patient_id: int) -> Patient:
        r = self.conn.execute(select(P).where(P.c.id == patient_id)).first()
        if r is None:
            raise NotFound(f"No patient #{patient_id}.")
        return patient_rows.patient(r)

    def get_many(self, ids: Iterable[int]) -> dict[int, Patient]:
        wanted = list(ids)
        return {
            r.id: patient_rows.patient(r)
            for r in self.conn.execute(select(P).where(P.c.id.in_(wanted)))
        }

    def add(self, patient: Patient, now: datetime) -> Patient:
        values = {**patient_rows.patient_values(patient), "created_at": now, "updated_at": now}
        new_id = self.conn.execute(insert(P).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        return patient_rows.patient(self.conn.execute(select(P).where(P.c.id == new_id)).one())

    def add_many(self, patients: Sequence[Patient], now: datetime) -> None:
        if patients:
            self.conn.execute(
                insert(P),
                [
                    {**patient_rows.patient_values(p), "created_at": now, "updated_at": now}
                    for p in patients
                ],
            )

    def update(self, patient: Patient, now: datetime) -> Patient:
        values = {**patient_rows.patient_values(patient), "updated_at": now}
        done = self.conn.execute(update(P).where(P.c.id == patient.id).values(**values))
        if done.rowcount == 0:
            raise NotFound(f"No patient #{patient.id}.")
        return patient

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(P)) or 0)

    def ids_in_order(self) -> list[int]:
        return list(
            self.conn.scalars(
                select(P.c.id).order_by(P.c.last_name_key, P.c.first_name_key, P.c.id)
            )
        )

    def ids(self, query: PatientQuery | None = None) -> list[int]:
        """Every patient `search` would find, with no limit, ids only.

        Without a query: everyone by last name, first name. With one, in search's groups
        (birth date, last-name or two-word prefix, first-name prefix, then anywhere in the
        search text), each group by last name, first name.
        """
        if query is None or query.empty:
            return self.ids_in_order()
        groups: list[Select[Any]] = []
        if query.birth_date is not None:
            groups.append(select(P.c.id).where(P.c.date_of_birth == query.birth_date))
        words = query.words
        if len(words) == 1:
            groups.append(select(P.c.id).where(self._starts_with(P.c.last_name_key, words[0])))
            groups.append(select(P.c.id).where(self._starts_with(P.c.first_name_key, words[0])))
        elif len(words) >= 2:
            groups.append(select(P.c.id).where(self._two_words(words[0], words[1])))
        substring = self._substring_ids(query)
        if substring is not None:
            groups.append(substring)
        found: dict[int, None] = {}
        for q in groups:
            found.update(dict.fromkeys(self.conn.scalars(q.order_by(*_NAME_ORDER))))
        return list(found)

    def rows(self, ids: Sequence[int], now: datetime) -> list[PatientRow]:
        """A page of the list in one query, in the order of `ids` (unknown ones left out)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        no_shows = (
            select(func.count())
            .where(A.c.patient_id == P.c.id, A.c.status == Status.NO_SHOW.value)
            .scalar_subquery()
        )
        upcoming = (
            select(func.min(A.c.start_at))
            .where(
                A.c.patient_id == P.c.id,
                A.c.status.in_(_UPCOMING),
                A.c.start_at >= now,
            )
            .scalar_subquery()
        )
        q = select(
            P.c.id,
            P.c.first_name,
            P.c.last_name,
            P.c.date_of_birth,
            P.c.phone,
            P.c.email,
            no_shows.label("no_shows"),
            upcoming.label("next_start"),
        ).where(P.c.id.in_(wanted))
        by_id = {
            r.id: PatientRow(
                id=r.id,
                first_name=r.first_name,
                last_name=r.last_name,
                date_of_birth=r.date_of_birth,
                phone=r.phone,
                email=r.email,
                no_shows=int(r.no_shows or 0),
                next_start=r.next_start,
            )
            for r in self.conn.execute(q)
        }
        return [by_id[i] for i in wanted if i in by_id]

    def _two_words(self, first: str, second: str) -> ColumnElement[bool]:
        return (
            self._starts_with(P.c.first_name_key, first)
            & self._starts_with(P.c.last_name_key, second)
        ) | (
            self._starts_with(P.c.last_name_key, first)
            & self._starts_with(P.c.first_name_key, second)
        )

    def _substring_ids(self, query: PatientQuery) -> Select[Any] | None:
        """The ids `_by_substring` matches, unlimited (None: no term long enough to match)."""
        long_terms = [s for s in query.substrings if len(s) >= 3]
        if not long_terms:
            return None
        q = select(P.c.id)
        if self.dialect == "sqlite":
            match = " AND ".join('"' + s.replace('"', '""') + '"' for s in long_terms)
            fts = (
                text("SELECT rowid FROM patients_fts WHERE patients_fts MATCH :match")
                .bindparams(match=match)
                .columns(sql_column("rowid", Integer))
            )
            q = q.where(P.c.id.in_(fts))
        else:
            for s in long_terms:
                q = q.where(P.c.search_text.like("%" + _like_escape(s) + "%", escape="\\"))
        for s in query.substrings:
            if len(s) < 3:
                q = q.where(P.c.search_text.like("%" + _like_escape(s) + "%", escape="\\"))
        return q

    def search(self, query: PatientQuery, limit: int = 20) -> list[Patient]:
        """Name prefixes first (ordered by name), then substring matches from the trigram index."""
        found: dict[int, Patient] = {}
        if query.birth_date is not None:
            q = (
                select(P)
                .where(P.c.date_of_birth == query.birth_date)
                .order_by(P.c.last_name_key, P.c.first_name_key)
                .limit(limit)
            )
            found.update((r.id, patient_rows.patient(r)) for r in self.conn.execute(q))
        if query.words and len(found) < limit:
            found.update(
                (p.id, p)
                for p in self._by_name_prefix(query.words, limit - len(found))
                if p.id is not None
            )
        if query.substrings and len(found) < limit:
            for p in self._by_substring(query, limit):
                if p.id not in found and len(found) < limit:
                    found[p.id] = p  # type: ignore[index]
        return list(found.values())

    def _starts_with(self, column: ColumnElement[str], word: str) -> ColumnElement[bool]:
        """`column` (a folded key) starts with the folded `word`.

        SQLite's LIKE ignores ASCII case, so it cannot use an ordinary index and would read
        every patient; the keys are folded to lower case, so a range on the same column says
        the same and lets SQLite walk just that stretch of the index. PostgreSQL plans LIKE
        with its text_pattern_ops indexes but, asked for the first 20 in name order, often
        walks the name index instead and filters (150 ms for "z" at 200,000 patients); where
        the database compares text bytewise ("C", "C.UTF-8") the same range is exact and
        gives it the short index walk. Under a linguistic collation the LIKE stays alone.
        """
        cond = column.like(_like_escape(word) + "%", escape="\\")
        if self._bytewise_order():
            cond = cond & (column >= word)
            upper = _next_prefix(word)
            if upper is not None:
                cond = cond & (column < upper)
        return cond

    def _bytewise_order(self) -> bool:
        """Whether the database orders the name keys by code point (as a prefix range needs)."""
        if self.dialect == "sqlite":
            return True
        info = self.conn.connection.info  # kept with the pooled connection: asked once
        if _BYTEWISE not in info:
            collation = self.conn.scalar(
                text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            )
            info[_BYTEWISE] = str(collation).lower() in {"c", "posix", "c.utf8", "c.utf-8"}
        return bool(info[_BYTEWISE])

    def _by_name_prefix(self, words: Sequence[str], limit: int) -> list[Patient]:
        first = words[0]
        if len(words) == 1:
            # last name prefix, then first name prefix ("ada" finds Ada Okafor and Adams)
            q1 = (
                select(P)
                .where(self._starts_with(P.c.last_name_key, first))
                .order_by(P.c.last_name_key, P.c.first_name_key)
                .limit(limit)
            )
            result = [patient_rows.patient(r) for r in self.conn.execute(q1)]
            if len(result) < limit:
                q2 = (
                    select(P)
                    .where(self._starts_with(P.c.first_name_key, first))
                    .order_by(P.c.first_name_key, P.c.last_name_key)
                    .limit(limit)
                )
                seen = {p.id for p in result}
                result += [
                    p
                    for p in (patient_rows.patient(r) for r in self.conn.execute(q2))
                    if p.id not in seen
                ][: limit - len(result)]
            return result
        second = words[1]
        # two words: "ada oka" as first+last, or "okafor ada" as last+first
        q = (
            select(P)
            .where(
                (
                    self._starts_with(P.c.first_name_key, first)
                    & self._starts_with(P.c.last_name_key, second)
                )
                | (
                    self._starts_with(P.c.last_name_key, first)
                    & self._starts_with(P.c.first_name_key, second)
                )
            )
            .order_by(P.c.last_name_key, P.c.first_name_key)
            .limit(limit)
        )
        return [patient_rows.patient(r) for r in self.conn.execute(q)]

    def _by_substring(self, query: PatientQuery, limit: int) -> list[Patient]:
        long_terms = [s for s in query.substrings if len(s) >= 3]
        if not long_terms:
            return []
        if self.dialect == "sqlite":
            match = " AND ".join('"' + s.replace('"', '""') + '"' for s in long_terms)
            ids_q = text(
                "SELECT rowid FROM patients_fts WHERE patients_fts MATCH :match LIMIT :limit"
            )
            ids = list(self.conn.scalars(ids_q, {"match": match, "limit": limit * 4}))
            if not ids:
                return []
            q = select(P).where(P.c.id.in_(ids))
        else:
            q = select(P)
            for s in long_terms:
                q = q.where(P.c.search_text.like("%" + _like_escape(s) + "%", escape="\\"))
        for s in query.substrings:
            if len(s) < 3:
                q = q.where(P.c.search_text.like("%" + _like_escape(s) + "%", escape="\\"))
        q = q.order_by(P.c.last_name_key, P.c.first_name_key).limit(limit)
        return [patient_rows.patient(r) for r in self.conn.execute(q)]
