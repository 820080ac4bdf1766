"""Locations page: the clinic's sites, with address fields an address lookup can fill.

The lookup (Google Places) fills name, address, town, region, postcode, country, phone and
website, and brings the place id, coordinates and opening hours, which are saved with the
location: the hours are shown read-only ("from Google"), the place id as an "Open in Maps"
link. Phone and website stay editable. Without a key or a network the address fields are
plain fields, a note says lookup is off, and a location saves without any Google data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import ClinicSettings, Location, maps_url
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.integrations.google_places import PlaceDetails, PlacesClient
from medbookings_desktop.services import clinic_admin, setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.places_picker import PlacesPicker
from medbookings_desktop.ui.settings_pages.common import (
    ProblemLabel,
    click_on,
    guarded,
    problem_text,
    set_zone,
    with_problem,
    zone_combo,
)
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex

ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "region", "postal_code", "country")


@dataclass(frozen=True, slots=True)
class PlaceInForm:
    """What the form holds from Google beyond its editable fields."""

    place_id: str = ""
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: tuple[str, ...] = ()
    formatted_address: str = ""

    @classmethod
    def of(cls, loc: Location | None) -> PlaceInForm:
        if loc is None:
            return cls()
        return cls(loc.place_id, loc.latitude, loc.longitude, loc.opening_hours)

    @classmethod
    def picked(cls, place: PlaceDetails) -> PlaceInForm:
        return cls(
            place.place_id,
            place.latitude,
            place.longitude,
            tuple(place.opening_hours),
            place.formatted_address,
        )


def with_scheme(website: str) -> str:
    """A website typed without its scheme ("clinic.example.org") as https://clinic.example.org."""
    website = website.strip()
    if website and "://" not in website and not website.lower().startswith(("http:", "https:")):
        return "https://" + website
    return website


class LocationsModel(QAbstractListModel):
    """The clinic's locations, by name; a handful, so the whole list is held."""

    LOCATION = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._locations: list[Location] = []

    def set_locations(self, locations: list[Location]) -> None:
        self.beginResetModel()
        self._locations = list(locations)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: a flat list has rows only at the root."""
        return 0 if parent.isValid() else len(self._locations)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: the name, the address as tooltip, the record."""
        if not index.isValid() or not 0 <= index.row() < len(self._locations):
            return None
        loc = self._locations[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return loc.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return loc.address or loc.name
        if role == self.LOCATION:
            return loc
        return None

    def location(self, row: int) -> Location | None:
        return self._locations[row] if 0 <= row < len(self._locations) else None

    def row_of(self, location_id: int | None) -> int:
        for row, loc in enumerate(self._locations):
            if loc.id == location_id:
                return row
        return -1


class LocationsPage(QWidget):
    """A list of locations and a form for the selected one (or a new one)."""

    saved = Signal(object)
    refused = Signal(str)
    loaded = Signal()

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        parent: QWidget | None = None,
        *,
        places: PlacesClient | Literal["auto"] | None = "auto",
    ) -> None:
        """`places`: the address lookup's client; "auto" builds one from this desk's
        keyring and settings (read off the UI thread), None turns lookup off."""
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.clinic = clinic
        self._editing: int | None = None  # id of the location in the form, None for a new one
        self.picked_place: PlaceDetails | None = None

        self.model = LocationsModel(self)
        self.list_view = QListView(self)
        self.list_view.setModel(self.model)
        self.list_view.setAccessibleName(self.tr("Locations"))
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.empty_label = QLabel(self.tr("No locations yet — add one."), self)
        self.empty_label.hide()

        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName(self.tr("Location name"))
        labels = {
            "address_line1": (self.tr("&Address:"), self.tr("Address, first line")),
            "address_line2": ("", self.tr("Address, second line")),
            "city": (self.tr("&Town or city:"), self.tr("Town or city")),
            "region": (self.tr("&Region:"), self.tr("Region or county")),
            "postal_code": (self.tr("Post&code:"), self.tr("Postcode")),
            "country": (self.tr("C&ountry:"), self.tr("Country")),
        }
        self.address_edits: dict[str, QLineEdit] = {}
        for key, (_, name) in labels.items():
            edit = QLineEdit(self)
            edit.setAccessibleName(name)
            self.address_edits[key] = edit
        self.phone_edit = QLineEdit(self)
        self.phone_edit.setAccessibleName(self.tr("Location phone"))
        self.phone_edit.setToolTip(
            self.tr("A number without a country code is read in the clinic's phone region")
        )
        self.website_edit = QLineEdit(self)
        self.website_edit.setAccessibleName(self.tr("Location website"))
        self.website_edit.setPlaceholderText(self.tr("https://…"))
        self.hours_label = QLabel(self)
        self.hours_label.setAccessibleName(self.tr("Opening hours, from Google"))
        self.hours_label.setTextFormat(Qt.TextFormat.PlainText)
        self.hours_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hours_label.setToolTip(
            self.tr("Read from Google with the address; change them in Google Maps")
        )
        self.maps_link = QLabel(self)
        self.maps_link.setAccessibleName(self.tr("Open in Maps"))
        self.maps_link.setTextFormat(Qt.TextFormat.RichText)
        self.maps_link.setOpenExternalLinks(True)
        self.maps_link.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.forget_button = QPushButton(self.tr("For&get the Google place"), self)
        self.forget_button.setAccessibleName(self.tr("Forget the Google place"))
        self.forget_button.setToolTip(
            self.tr("Keep the address as typed, without Google's place, coordinates and hours")
        )
        self.forget_button.clicked.connect(self.forget_place)
        self.place = PlaceInForm()
        self.places = PlacesPicker(
            tasks,
            PlacesClient(region=clinic.phone_region, language=clinic.locale.replace("_", "-"))
            if places == "auto"
            else places,
            self,
        )
        self.places.picked.connect(self.fill_from_place)
        self.place_label = QLabel(self)
        self.place_label.setAccessibleName(self.tr("Found place"))
        self.place_label.setTextFormat(Qt.TextFormat.PlainText)
        self.place_label.setWordWrap(True)
        self.place_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.place_label.hide()
        self.zone_combo = zone_combo(self, self.tr("Location time zone"))
        self.zone_combo.setToolTip(
            self.tr("Working hours at this location are read in this zone's wall clock")
        )
        self.problems = {
            "name": ProblemLabel(self.tr("the location name"), self),
            "zone": ProblemLabel(self.tr("the location time zone"), self),
            "phone": ProblemLabel(self.tr("the location phone"), self),
            "website": ProblemLabel(self.tr("the location website"), self),
        }
        self.general_problem = ProblemLabel(self.tr("the location"), self)

        form = self.form = QFormLayout()

        def add_row(text: str, field: QWidget, buddy: QWidget) -> None:
            label = QLabel(text, self)
            label.setBuddy(buddy)
            form.addRow(label, field)

        add_row(self.tr("&Look up:"), self.places, self.places.edit)
        add_row(
            self.tr("&Name:"), with_problem(self.name_edit, self.problems["name"]), self.name_edit
        )
        for key, (text, _) in labels.items():
            add_row(text, self.address_edits[key], self.address_edits[key])
        add_row(
            self.tr("&Phone:"),
            with_problem(self.phone_edit, self.problems["phone"]),
            self.phone_edit,
        )
        add_row(
            self.tr("We&bsite:"),
            with_problem(self.website_edit, self.problems["website"]),
            self.website_edit,
        )
        self.hours_caption = QLabel(self.tr("Opening hours\n(from Google):"), self)
        form.addRow(self.hours_caption, self.hours_label)
        place_row = QHBoxLayout()
        place_row.addWidget(self.place_label, 1)
        place_row.addWidget(self.maps_link)
        place_row.addWidget(self.forget_button)
        self.place_box = QWidget(self)
        self.place_box.setLayout(place_row)
        place_row.setContentsMargins(0, 0, 0, 0)
        form.addRow("", self.place_box)
        add_row(
            self.tr("Time &zone:"),
            with_problem(self.zone_combo, self.problems["zone"]),
            self.zone_combo,
        )

        self.status = QLabel(self)
        self.status.setAccessibleName(self.tr("Location saved"))
        self.new_button = QPushButton(self.tr("Ne&w location"), self)
        click_on(QKeySequence.StandardKey.New, self.new_button, self)
        self.new_button.setToolTip(self.tr("Add a location (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_location)
        self.save_button = QPushButton(self.tr("&Save location"), self)
        click_on(QKeySequence.StandardKey.Save, self.save_button, self)
        self.save_button.setToolTip(self.tr("Save this location (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)

        left = QVBoxLayout()
        left.addWidget(self.list_view, 1)
        left.addWidget(self.empty_label)
        left.addWidget(self.new_button)
        right = QVBoxLayout()
        self.form_title = QLabel(self)
        font = self.form_title.font()
        font.setBold(True)
        self.form_title.setFont(font)
        right.addWidget(self.form_title)
        right.addLayout(form)
        right.addWidget(self.general_problem)
        right.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 2)

        self.new_location()
        self.reload()

    # -- loading -----------------------------------------------------------------------------

    def reload(self, select_id: int | None = None) -> None:
        ctx = self._ctx
        self._tasks.run(
            lambda: clinic_admin.locations(ctx),
            guarded(self, lambda found: self._loaded(found, select_id)),
            guarded(self, self._not_loaded),
        )

    def _not_loaded(self, exc: BaseException) -> None:
        message = problem_text(exc, self.tr("Could not read the locations: {error}"))
        self.general_problem.show_problem(message)
        self.refused.emit(message)

    def _loaded(self, locations: list[Location], select_id: int | None) -> None:
        self.model.set_locations(locations)
        self.empty_label.setVisible(not locations)
        row = self.model.row_of(select_id) if select_id is not None else -1
        if row < 0 and self._editing is not None:
            row = self.model.row_of(self._editing)
        if row >= 0:
            self.list_view.selectionModel().setCurrentIndex(
                self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        self.loaded.emit()

    # -- the form ----------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        loc = self.model.location(current.row()) if current.isValid() else None
        if loc is not None:
            self.show_location(loc)

    def new_location(self) -> None:
        # no current row either: choosing the location shown before loads it again
        self.list_view.selectionModel().clear()
        self.show_location(None)
        self.name_edit.setFocus()

    def show_location(self, loc: Location | None) -> None:
        self._editing = loc.id if loc else None
        self.form_title.setText(
            self.tr("New location")
            if loc is None
            else self.tr("Location: {name}").format(name=loc.name)
        )
        self.name_edit.setText(loc.name if loc else "")
        for key, edit in self.address_edits.items():
            edit.setText(str(getattr(loc, key)) if loc else "")
        self.phone_edit.setText(loc.phone if loc else "")
        self.website_edit.setText(loc.website if loc else "")
        set_zone(self.zone_combo, loc.zone if loc else self.clinic.zone)
        self.picked_place = None
        self.places.reset()
        self._show_place(PlaceInForm.of(loc))
        self._clear_problems()

    def fill_from_place(self, place: PlaceDetails) -> None:
        """Fill the form from a looked-up place; nothing is saved until Save."""
        self.picked_place = place
        if place.name:
            self.name_edit.setText(place.name)
        values = {
            "address_line1": place.address_line1,
            "address_line2": place.address_line2,
            "city": place.city,
            "region": place.region,
            "postal_code": place.postal_code,
            "country": place.country,
        }
        if not any(values.values()) and place.formatted_address:
            # no address parts came back: the one-line address is better than nothing
            values["address_line1"] = place.formatted_address
        for key, value in values.items():
            self.address_edits[key].setText(value)
        # what Google knows replaces the form's; an empty answer leaves the typed value
        phone = place.phone_for(self.clinic.phone_region)
        if phone:
            self.phone_edit.setText(phone)
        if place.website:
            self.website_edit.setText(place.website)
        self._show_place(PlaceInForm.picked(place))
        self._clear_problems()

    def forget_place(self) -> None:
        """Drop Google's place id, coordinates and hours from the form (saved with Save)."""
        self.picked_place = None
        self._show_place(PlaceInForm())

    def _show_place(self, place: PlaceInForm) -> None:
        self.place = place
        self.hours_label.setText("\n".join(place.opening_hours))
        self.form.setRowVisible(self.hours_label, bool(place.opening_hours))
        self.form.setRowVisible(self.place_box, bool(place.place_id))
        self.place_label.setText(self._place_text(place) if place.place_id else "")
        self.place_label.setVisible(bool(place.place_id))
        url = self.maps_url()
        self.maps_link.setText(
            '<a href="{url}">{text}</a>'.format(
                url=url.replace("&", "&amp;").replace('"', "&quot;"),
                text=self.tr("Open in Maps"),
            )
            if url
            else ""
        )
        self.maps_link.setToolTip(self.tr("Open this place in Google Maps in the browser"))
        self.maps_link.setVisible(bool(url))
        self.forget_button.setVisible(bool(place.place_id))

    def maps_url(self) -> str:
        """The "Open in Maps" link of the place in the form ("" without a Google place)."""
        place = self.place
        if place.latitude is not None and place.longitude is not None:
            query = f"{place.latitude},{place.longitude}"
        else:
            query = self.name_edit.text().strip() or place.formatted_address
        return maps_url(place.place_id, query)

    def _place_text(self, place: PlaceInForm) -> str:
        lines = []
        if place.formatted_address:
            lines.append(self.tr("Google: {address}").format(address=place.formatted_address))
        if place.latitude is not None and place.longitude is not None:
            locale = self.locale()
            lines.append(
                self.tr("Coordinates: {lat}, {lng}").format(
                    lat=locale.toString(place.latitude, "f", 5),
                    lng=locale.toString(place.longitude, "f", 5),
                )
            )
        lines.append(self.tr("Google place {id}").format(id=place.place_id))
        return "\n".join(lines)

    def _clear_problems(self) -> None:
        for problem in self.problems.values():
            problem.clear_problem()
        self.general_problem.clear_problem()

    def location_in_form(self) -> Location:
        """The form as a Location; raises InvalidInput for a missing name or unknown zone."""
        place = self.place
        return Location(
            name=self.name_edit.text().strip(),
            zone=self.zone_combo.currentText().strip(),
            phone=self.phone_edit.text().strip(),
            website=with_scheme(self.website_edit.text()),
            place_id=place.place_id,
            latitude=place.latitude,
            longitude=place.longitude,
            opening_hours=place.opening_hours,
            id=self._editing,
            **{key: edit.text().strip() for key, edit in self.address_edits.items()},
        )

    def save(self) -> None:
        self._clear_problems()
        self.status.clear()
        try:
            loc = self.location_in_form()
        except InvalidInput as exc:
            self._show_refusal(exc)
            return
        ctx = self._ctx
        self.save_button.setEnabled(False)
        self._tasks.run(
            lambda: setup.save_location(ctx, loc),
            guarded(self, self._saved),
            guarded(self, self._show_refusal),
            write=True,
        )

    def _saved(self, loc: Location) -> None:
        self.save_button.setEnabled(True)
        self._editing = loc.id
        self.status.setText(self.tr("Saved {name}.").format(name=loc.name))
        self.reload(select_id=loc.id)
        self.saved.emit(loc)

    def _show_refusal(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        message = problem_text(exc, self.tr("The location was not saved: {error}"))
        field = getattr(exc, "field", None)
        self.problems.get(field or "", self.general_problem).show_problem(message)
        self.refused.emit(message)
