"""A local Places API (New): POST /v1/places:autocomplete and GET /v1/places/{id}.

The API key is checked, details insist on an X-Goog-FieldMask naming only known fields and
answer with just those fields, and every session token is tracked so a test can see one
token used across a session's autocomplete calls and the details call that ends it.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from typing import Any

from tests.fakes.server import FakeVendor, Request, Response

API_KEY = "places-test-key"

KNOWN_FIELDS = frozenset(
    {
        "id",
        "displayName",
        "formattedAddress",
        "addressComponents",
        "location",
        "nationalPhoneNumber",
        "internationalPhoneNumber",
        "websiteUri",
        "regularOpeningHours",
        "types",
    }
)

PLACES: dict[str, dict[str, Any]] = {
    "ChIJ-harley-street-clinic": {
        "id": "ChIJ-harley-street-clinic",
        "displayName": {"text": "Harley Street Practice", "languageCode": "en"},
        "formattedAddress": "10 Harley St, London W1G 9PF, UK",
        "addressComponents": [
            {"longText": "10", "shortText": "10", "types": ["street_number"]},
            {"longText": "Harley Street", "shortText": "Harley St", "types": ["route"]},
            {"longText": "London", "shortText": "London", "types": ["postal_town"]},
            {
                "longText": "Greater London",
                "shortText": "Greater London",
                "types": ["administrative_area_level_2", "political"],
            },
            {"longText": "W1G 9PF", "shortText": "W1G 9PF", "types": ["postal_code"]},
            {"longText": "United Kingdom", "shortText": "GB", "types": ["country", "political"]},
        ],
        "location": {"latitude": 51.5186, "longitude": -0.1477},
        "nationalPhoneNumber": "020 7946 0123",
        "websiteUri": "https://harley.example.org/",
        "regularOpeningHours": {
            "openNow": True,
            "weekdayDescriptions": [
                "Monday: 8:00 AM – 6:00 PM",
                "Tuesday: 8:00 AM – 6:00 PM",
                "Wednesday: 8:00 AM – 6:00 PM",
                "Thursday: 8:00 AM – 6:00 PM",
                "Friday: 8:00 AM – 5:00 PM",
                "Saturday: Closed",
                "Sunday: Closed",
            ],
        },
    },
    "ChIJ-hackney-health-centre": {
        "id": "ChIJ-hackney-health-centre",
        "displayName": {"text": "Hackney Health Centre", "languageCode": "en"},
        "formattedAddress": "2 Mare St, London E8 4RP, UK",
        "addressComponents": [
            {"longText": "2", "shortText": "2", "types": ["street_number"]},
            {"longText": "Mare Street", "shortText": "Mare St", "types": ["route"]},
            {"longText": "London", "shortText": "London", "types": ["postal_town"]},
            {"longText": "E8 4RP", "shortText": "E8 4RP", "types": ["postal_code"]},
            {"longText": "United Kingdom", "shortText": "GB", "types": ["country", "political"]},
        ],
        "location": {"latitude": 51.5450, "longitude": -0.0553},
    },
}


def _header(request: Request, name: str) -> str:
    for key, value in request.headers.items():
        if key.lower() == name.lower():
            return value
    return ""


class FakePlaces(FakeVendor):
    name = "Google Places"

    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.places = {k: dict(v) for k, v in PLACES.items()}
        # session token -> the calls made with it, in order ("autocomplete:<input>", "details:<id>")
        self.sessions: dict[str, list[str]] = defaultdict(list)
        self.field_masks: list[str] = []
        self._held: dict[str, threading.Event] = {}
        self.waiting: list[str] = []  # inputs whose answers were held back

    def hold(self, text: str) -> threading.Event:
        """Keep autocomplete answers for `text` back until the returned event is set (a slow
        answer that arrives after newer typing); `stop()` lets them go too."""
        gate = threading.Event()
        self._held[text] = gate
        return gate

    def handle(self, request: Request) -> Any:
        if request.path == "/v1/places:autocomplete" and self._held:
            try:
                text = str((json.loads(request.body or b"{}")).get("input") or "")
            except ValueError:
                text = ""
            gate = self._held.get(text)
            if gate is not None:
                self.waiting.append(text)
                while not gate.wait(0.05) and not self._stopping.is_set():
                    pass
        return super().handle(request)

    @property
    def autocomplete_inputs(self) -> list[str]:
        return [
            str((r.json or {}).get("input"))
            for r in list(self.requests)
            if r.path == "/v1/places:autocomplete"
        ]

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "message": message, "status": "INVALID_ARGUMENT"}}

    def _err(self, status: int, message: str) -> Response:
        return Response(status, self.error_body(status, message))

    def route(self, request: Request) -> Response:
        if _header(request, "X-Goog-Api-Key") != self.api_key:
            return self._err(403, "API key not valid. Please pass a valid API key.")
        if request.method == "POST" and request.path == "/v1/places:autocomplete":
            return self._autocomplete(request)
        if request.method == "GET" and request.path.startswith("/v1/places/"):
            return self._details(request, request.path.removeprefix("/v1/places/"))
        return self._err(404, f"no route {request.method} {request.path}")

    def _autocomplete(self, request: Request) -> Response:
        body = request.json or {}
        text = str(body.get("input") or "")
        if not text:
            return self._err(400, "input is required")
        token = body.get("sessionToken")
        if token:
            self.sessions[str(token)].append(f"autocomplete:{text}")
        needle = text.casefold()
        suggestions = []
        for place in self.places.values():
            name = place["displayName"]["text"]
            address = place["formattedAddress"]
            if needle in name.casefold() or needle in address.casefold():
                suggestions.append(
                    {
                        "placePrediction": {
                            "place": f"places/{place['id']}",
                            "placeId": place["id"],
                            "text": {"text": f"{name}, {address}"},
                            "structuredFormat": {
                                "mainText": {"text": name},
                                "secondaryText": {"text": address},
                            },
                        }
                    }
                )
        return Response(200, {"suggestions": suggestions} if suggestions else {})

    def _details(self, request: Request, place_id: str) -> Response:
        mask = _header(request, "X-Goog-FieldMask")
        if not mask:
            return self._err(400, "FieldMask is a required parameter")
        self.field_masks.append(mask)
        fields = [f.strip() for f in mask.split(",") if f.strip()]
        unknown = [f for f in fields if f not in KNOWN_FIELDS]
        if unknown and "*" not in fields:
            return self._err(400, f"unknown fields in the field mask: {', '.join(unknown)}")
        token = (request.params.get("sessionToken") or [""])[0]
        if token:
            self.sessions[token].append(f"details:{place_id}")
        place = self.places.get(place_id)
        if place is None:
            return self._err(404, f"place {place_id} not found")
        return Response(200, {k: v for k, v in place.items() if k in fields})
