"""One provider's week: seven day columns (Monday first), the same tiles as the day view.

Row r of column d is the r-th appointment (by start) of that provider on day d. The shared
`CalendarModel` does the filtering, colouring and in-place reloads; this model says what a
week is and how a line finds its day (the local date of its start, as the agenda reads it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import QDate, QLocale

from medbookings_desktop.services import agenda, setup
from medbookings_desktop.services.agenda import AgendaLine
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.day_model import (
    CalendarModel,
    Column,
    DayData,
    by_start,
    service_colours,
)
from medbookings_desktop.ui.tasks import TaskRunner

DAYS = 7


def week_start(on: date) -> date:
    """The Monday of `on`'s week."""
    return on - timedelta(days=on.weekday())


def load_week(ctx: Context, first: date, *, provider_id: int) -> DayData:
    """Runs on a pool thread: the provider's lines and hours on `first` and the six days after."""
    providers = {p.id: p for p in setup.all_providers(ctx)}
    provider = providers.get(provider_id)
    name = provider.display_name if provider else ""
    colour = provider.colour if provider else "#808080"
    locations = provider.location_ids if provider else frozenset()
    services = provider.service_ids if provider else frozenset()
    days = [first + timedelta(days=n) for n in range(DAYS)]
    columns = tuple(Column(provider_id, name, colour, d, locations, services) for d in days)
    lines: list[AgendaLine] = []
    for d in days:
        lines += agenda.day(ctx, d, provider_id=provider_id, include_cancelled=True)
    hours = agenda.hours_between(ctx, days[0], days[-1], provider_ids=[provider_id])
    return DayData(first, columns, tuple(by_start(lines)), hours, service_colours(ctx))


class WeekModel(CalendarModel):
    """`show_week(provider_id, any_day)` loads the week holding `any_day`."""

    def __init__(self, ctx: Context, tasks: TaskRunner, zone: str, parent: Any = None) -> None:
        super().__init__(ctx, tasks, zone, parent)
        self.provider_id: int | None = None
        self.locale = QLocale()

    STEP = timedelta(days=DAYS)

    def show_week(self, provider_id: int, any_day: date) -> None:
        if provider_id != self.provider_id:
            self.forget_ahead()  # the weeks read ahead were another provider's
        self.provider_id = provider_id
        self.load(week_start(any_day))

    def load(self, on: date) -> None:
        """Overrides CalendarModel.load: the week from `on` (a Monday) of the chosen provider."""
        if self.provider_id is not None:
            super().load(on)

    def _fetcher(self) -> Callable[[Context, date], DayData]:
        return partial(load_week, provider_id=self.provider_id or -1)

    def _column_key(self, column: Column) -> Any:
        return column.on

    def _line_key(self, line: AgendaLine) -> Any:
        return line.local_start.date()

    def _filtered_columns(self, data: DayData) -> tuple[Column, ...]:
        return data.columns  # the days stay; the filters pick tiles

    def column_day(self, column: int) -> date:
        return self._columns[column].on

    def column_title(self, column: int) -> str:
        on = self._columns[column].on
        return self.locale.toString(QDate(on.year, on.month, on.day), "ddd d MMM")

    @property
    def last_day(self) -> date:
        return self.day + timedelta(days=DAYS - 1)
