"""A local SendGrid v3 Mail Send for tests: POST /v3/mail/send, checked against SendGrid's own
description, with the API key checked and every accepted mail recorded."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass
from typing import Any

from tests.fakes.server import FakeVendor, Request, Response

API_KEY = "SG.test-key.medbookings"


@dataclass
class RecordedMail:
    message_id: str
    body: dict[str, Any]
    sandbox: bool

    @property
    def to(self) -> list[str]:
        return [t["email"] for p in self.body.get("personalizations", []) for t in p["to"]]

    @property
    def subject(self) -> str | None:
        return self.body.get("subject")

    @property
    def template_id(self) -> str | None:
        return self.body.get("template_id")

    @property
    def dynamic_template_data(self) -> dict[str, Any] | None:
        ps = self.body.get("personalizations") or [{}]
        return ps[0].get("dynamic_template_data")

    def content(self, mime: str) -> str | None:
        for c in self.body.get("content", []):
            if c["type"] == mime:
                return str(c["value"])
        return None

    @property
    def categories(self) -> list[str]:
        return list(self.body.get("categories", []))

    @property
    def custom_args(self) -> dict[str, str]:
        return dict(self.body.get("custom_args", {}))

    def attachment(self, filename: str) -> bytes:
        for a in self.body.get("attachments", []):
            if a["filename"] == filename:
                return base64.b64decode(a["content"])
        raise KeyError(filename)

    @property
    def attachment_types(self) -> dict[str, str]:
        return {a["filename"]: a.get("type", "") for a in self.body.get("attachments", [])}


class FakeSendGrid(FakeVendor):
    specs = ("tsg_mail_v3.json",)
    name = "SendGrid"

    def __init__(self, api_key: str = API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.mails: list[RecordedMail] = []
        self._ids = itertools.count(1)

    def route(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return Response(
                401,
                {
                    "errors": [
                        {
                            "field": None,
                            "message": "The provided authorization grant is invalid, "
                            "expired, or revoked",
                        }
                    ]
                },
            )
        body = request.json
        missing = self._semantic_problems(body)
        if missing:
            return Response(400, {"errors": [{"field": f, "message": m} for f, m in missing]})
        sandbox = bool(body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable"))
        message_id = f"fake{next(self._ids):06d}.sendgrid"
        self.mails.append(RecordedMail(message_id, body, sandbox))
        # sandbox mode: validated, not delivered, answered 200 instead of 202
        return Response(200 if sandbox else 202, None, {"X-Message-Id": message_id})

    @staticmethod
    def _semantic_problems(body: dict[str, Any]) -> list[tuple[str, str]]:
        """What the live API refuses beyond the schema."""
        problems: list[tuple[str, str]] = []
        if not body.get("from"):
            problems.append(("from", "The from object must be provided for every email send."))
        if not body.get("personalizations"):
            problems.append(("personalizations", "The personalizations field is required."))
        if not body.get("template_id"):
            if not body.get("content"):
                problems.append(
                    (
                        "content",
                        "Unless a valid template_id is provided, the "
                        "content parameter is required.",
                    )
                )
            has_subject = bool(body.get("subject")) or all(
                p.get("subject") for p in body.get("personalizations", [])
            )
            if not has_subject:
                problems.append(("subject", "The subject is required."))
        elif not str(body["template_id"]).startswith("d-"):
            problems.append(("template_id", "A dynamic template id starts with d-."))
        return problems
