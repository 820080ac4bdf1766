"""What the calendar shows: location, provider and service filters, and how tiles are coloured.

`Filters` is a plain value the calendar models apply; `FilterBar` is the row of boxes above
the calendar that edits one and says so with `changed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from medbookings_desktop.domain.clinic import Location, Provider, Service


class ColourBy(StrEnum):
    PROVIDER = "provider"
    SERVICE = "service"


# a NamedTuple rather than a frozen dataclass: a tenth of the cost to define at start-up
class Filters(NamedTuple):
    """None is "any"; a provider filter keeps one provider's column."""

    location_id: int | None = None
    provider_id: int | None = None
    service_id: int | None = None

    @property
    def active(self) -> bool:
        return (self.location_id, self.provider_id, self.service_id) != (None, None, None)


class FilterBar(QWidget):
    """Location, provider and service boxes ("Any …" first) and the colour-by box."""

    changed = Signal(object)  # Filters
    colour_by_changed = Signal(object)  # ColourBy

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calendar-filters")
        self.setAccessibleName(self.tr("Calendar filters"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        self.location_box = self._box(layout, self.tr("&Location:"), self.tr("Location filter"))
        self.provider_box = self._box(layout, self.tr("P&rovider:"), self.tr("Provider filter"))
        self.service_box = self._box(layout, self.tr("S&ervice:"), self.tr("Service filter"))
        self.colour_box = self._box(layout, self.tr("C&olour by:"), self.tr("Colour tiles by"))
        self.colour_box.addItem(self.tr("Provider"), ColourBy.PROVIDER.value)
        self.colour_box.addItem(self.tr("Service"), ColourBy.SERVICE.value)
        self.colour_box.currentIndexChanged.connect(self._colour_chosen)
        layout.addStretch(1)
        for box in (self.location_box, self.provider_box, self.service_box):
            box.currentIndexChanged.connect(self._chosen)
        self.set_choices([], [], [])

    def _box(self, layout: QHBoxLayout, text: str, name: str) -> QComboBox:
        label = QLabel(text, self)
        box = QComboBox(self)
        box.setAccessibleName(name)
        box.setToolTip(name)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # as wide as its choices where there is room; a small window may squeeze it to this
        box.setMinimumWidth(box.fontMetrics().averageCharWidth() * 8)
        label.setBuddy(box)
        layout.addWidget(label)
        layout.addWidget(box)
        return box

    def set_choices(
        self,
        locations: Sequence[Location],
        providers: Sequence[Provider],
        services: Sequence[Service],
    ) -> None:
        """Fill the boxes, keeping what was chosen where it still exists."""
        kept = self.filters() if self.location_box.count() else Filters()
        for box, items, any_text in (
            (self.location_box, [(x.id, x.name) for x in locations], self.tr("Any location")),
            (
                self.provider_box,
                [(p.id, p.display_name) for p in providers],
                self.tr("All providers"),
            ),
            (self.service_box, [(s.id, s.name) for s in services], self.tr("Any service")),
        ):
            box.blockSignals(True)
            box.clear()
            box.addItem(any_text, None)
            for item_id, text in items:
                box.addItem(text, item_id)
            box.blockSignals(False)
        self.set_filters(kept)

    def filters(self) -> Filters:
        return Filters(
            location_id=self.location_box.currentData(),
            provider_id=self.provider_box.currentData(),
            service_id=self.service_box.currentData(),
        )

    def set_filters(self, filters: Filters) -> None:
        for box, value in (
            (self.location_box, filters.location_id),
            (self.provider_box, filters.provider_id),
            (self.service_box, filters.service_id),
        ):
            box.blockSignals(True)
            found = box.findData(value)
            box.setCurrentIndex(max(0, found))
            box.blockSignals(False)
        self.changed.emit(self.filters())

    def set_colour_by(self, colour_by: ColourBy) -> None:
        self.colour_box.setCurrentIndex(max(0, self.colour_box.findData(colour_by.value)))

    def colour_by(self) -> ColourBy:
        return ColourBy(self.colour_box.currentData() or ColourBy.PROVIDER.value)

    def _chosen(self, *_: Any) -> None:
        self.changed.emit(self.filters())

    def _colour_chosen(self, *_: Any) -> None:
        self.colour_by_changed.emit(self.colour_by())
