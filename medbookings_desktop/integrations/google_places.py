"""Google Places API (New) over plain HTTPS: autocomplete as the desk types, details of a pick.

One picking session uses one session token for its autocomplete calls and the details call
that ends it (Google bills the session as one). The API key is read from the keyring
(`google.places_api_key`, or MEDBOOKINGS_GOOGLE_PLACES_API_KEY); the base URL from settings
(`google_places_base_url`, MEDBOOKINGS_GOOGLE_PLACES_BASE_URL) or MEDBOOKINGS_GOOGLE_PLACES_URL.
Nothing here touches Qt: callers run it off the UI thread.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from medbookings_desktop.integrations import google_call_log
from medbookings_desktop.secrets import get_secret

PLACES_API_KEY = "google.places_api_key"
DEFAULT_BASE_URL = "https://places.googleapis.com/"
URL_ENV = "MEDBOOKINGS_GOOGLE_PLACES_URL"
# exactly what details_from_json reads: Google bills a details call by the fields it asks
DETAILS_FIELDS = (
    "id",
    "displayName",
    "formattedAddress",
    "addressComponents",
    "location",
    "nationalPhoneNumber",
    "internationalPhoneNumber",
    "websiteUri",
    "regularOpeningHours",
)
DETAILS_FIELD_MASK = ",".join(DETAILS_FIELDS)
DEFAULT_TIMEOUT = 10.0


class PlacesError(Exception):
    """Address lookup failed; `message` is meant for a person."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class PlacesOffline(PlacesError):
    """No key or no network: the address fields stay plain fields."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    place_id: str
    text: str  # the whole suggestion, as Google words it
    main_text: str = ""
    secondary_text: str = ""


@dataclass(frozen=True, slots=True)
class PlaceDetails:
    """A picked place, from a details call asking for DETAILS_FIELDS."""

    place_id: str
    name: str = ""
    formatted_address: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, as the locations table holds it
    phone: str = ""  # as dialled in the place's own country
    international_phone: str = ""  # with its country code
    website: str = ""
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: tuple[str, ...] = field(default_factory=tuple)  # weekdayDescriptions

    def phone_for(self, region: str) -> str:
        """The phone as the clinic in `region` (ISO 3166 code) dials it: the national form
        for a place in that country, else the one with the country code."""
        if self.international_phone and (not self.phone or self.country != region.upper()):
            return self.international_phone
        return self.phone


def new_session_token() -> str:
    return str(uuid.uuid4())


def base_url_from_env(default: str = DEFAULT_BASE_URL, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get(URL_ENV) or "").strip() or default


def _settings_base_url() -> str:
    from medbookings_desktop.settings import SettingsError, load_settings

    try:
        return load_settings().google_places_base_url
    except SettingsError:
        return DEFAULT_BASE_URL


def _component(components: list[dict[str, Any]], kind: str, *, short: bool = False) -> str:
    for comp in components:
        if kind in comp.get("types", []):
            key = "shortText" if short else "longText"
            return str(comp.get(key) or comp.get("longText") or "")
    return ""


def _coordinate(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def details_from_json(data: Mapping[str, Any]) -> PlaceDetails:
    comps: list[dict[str, Any]] = list(data.get("addressComponents") or [])
    number = _component(comps, "street_number")
    route = _component(comps, "route")
    premise = _component(comps, "premise") or _component(comps, "subpremise")
    line1 = " ".join(p for p in (number, route) if p) or premise
    line2 = premise if line1 != premise else ""
    city = _component(comps, "postal_town") or _component(comps, "locality")
    location = data.get("location") or {}
    hours = data.get("regularOpeningHours") or {}
    name = data.get("displayName") or {}
    return PlaceDetails(
        place_id=str(data.get("id") or ""),
        name=str(name.get("text") or "") if isinstance(name, Mapping) else str(name),
        formatted_address=str(data.get("formattedAddress") or ""),
        address_line1=line1,
        address_line2=line2,
        city=city,
        region=_component(comps, "administrative_area_level_2")
        or _component(comps, "administrative_area_level_1"),
        postal_code=_component(comps, "postal_code"),
        country=_component(comps, "country", short=True)[:2].upper(),
        phone=str(data.get("nationalPhoneNumber") or ""),
        international_phone=str(data.get("internationalPhoneNumber") or ""),
        website=str(data.get("websiteUri") or ""),
        latitude=_coordinate(location.get("latitude")),
        longitude=_coordinate(location.get("longitude")),
        opening_hours=tuple(str(d) for d in hours.get("weekdayDescriptions") or ()),
    )


class PlacesClient:
    """autocomplete() and details(); thread-safe for one call at a time per session."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        language: str = "en-GB",
        region: str = "",
        session: requests.Session | None = None,
        calls: google_call_log.GoogleCallLog | None = None,
    ) -> None:
        """`api_key` None: read from the keyring on first use (off the UI thread);
        `base_url` None: MEDBOOKINGS_GOOGLE_PLACES_URL, else the settings, else Google's.
        Each call is recorded in `calls` (the shared Google log when None: the calendar
        sync's next pass writes it to the integration log)."""
        self._api_key = api_key
        self._key_read = api_key is not None
        self._base_url = base_url
        self.timeout = timeout
        self.language = language
        self.region = region
        log = calls if calls is not None else google_call_log.DEFAULT
        self._http = log.session(session or requests.Session())

    @property
    def api_key(self) -> str | None:
        if not self._key_read:
            self._api_key = get_secret(PLACES_API_KEY)
            self._key_read = True
        return self._api_key

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            self._base_url = base_url_from_env(_settings_base_url())
        return self._base_url.rstrip("/") + "/"

    def use_key(self, api_key: str) -> None:
        """Use `api_key` from now on (just stored in the keyring)."""
        self._api_key = api_key
        self._key_read = True

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)

    def close(self) -> None:
        self._http.close()

    def _headers(self, field_mask: str | None = None) -> dict[str, str]:
        if not self.api_key:
            raise PlacesOffline("Address lookup is off: no Google Places API key is set.")
        headers = {"X-Goog-Api-Key": self.api_key}
        if field_mask:
            headers["X-Goog-FieldMask"] = field_mask
        return headers

    def _send(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            resp = self._http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise PlacesOffline("Address lookup timed out.") from None
        except requests.RequestException:
            raise PlacesOffline("Address lookup is not reachable (no network?).") from None
        if resp.status_code >= 400:
            detail = ""
            with contextlib.suppress(ValueError):
                detail = str(resp.json().get("error", {}).get("message", ""))
            if resp.status_code in (401, 403):
                msg = "Address lookup refused the Google Places API key."
            elif resp.status_code == 429:
                msg = "Address lookup is busy (too many requests); try again shortly."
            elif resp.status_code >= 500:
                msg = "Address lookup failed at Google; try again shortly."
            else:
                msg = "Address lookup failed."
            if detail:
                msg = f"{msg} ({detail})"
            raise PlacesError(msg, status=resp.status_code)
        try:
            data = resp.json()
        except ValueError:
            raise PlacesError("Address lookup sent an answer that is not JSON.") from None
        if not isinstance(data, dict):
            raise PlacesError("Address lookup sent an unexpected answer.")
        return data

    def autocomplete(self, text: str, session_token: str) -> list[Suggestion]:
        text = text.strip()
        if not text:
            return []
        body: dict[str, Any] = {
            "input": text,
            "sessionToken": session_token,
            "languageCode": self.language,
        }
        if self.region:
            body["regionCode"] = self.region
        data = self._send(
            "POST", self.base_url + "v1/places:autocomplete", json=body, headers=self._headers()
        )
        out: list[Suggestion] = []
        for item in data.get("suggestions") or []:
            pred = item.get("placePrediction")
            if not pred:
                continue
            fmt = pred.get("structuredFormat") or {}
            out.append(
                Suggestion(
                    place_id=str(pred.get("placeId") or ""),
                    text=str((pred.get("text") or {}).get("text") or ""),
                    main_text=str((fmt.get("mainText") or {}).get("text") or ""),
                    secondary_text=str((fmt.get("secondaryText") or {}).get("text") or ""),
                )
            )
        return out

    def details(self, place_id: str, session_token: str) -> PlaceDetails:
        data = self._send(
            "GET",
            self.base_url + "v1/places/" + quote(place_id, safe=""),
            params={"sessionToken": session_token, "languageCode": self.language},
            headers=self._headers(DETAILS_FIELD_MASK),
        )
        return details_from_json(data)
