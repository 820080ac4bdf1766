"""The clinic's Vercel Blob store over plain HTTPS: a public URL for a file WhatsApp must fetch
(a vCard), and deleting it again once the message is through.

The requests are those `@vercel/blob`'s `put` and `del` make (API version 12):
`PUT {api}/?pathname=<path>` with the file as the body and `x-content-type`,
`x-add-random-suffix: 1`, `x-vercel-blob-access: public`; `POST {api}/delete` with
`{"urls": [...]}`. Every request carries `authorization: Bearer <read-write token>`,
`x-api-version` and the store id taken from the token (`vercel_blob_rw_<store>_<secret>`).

Files are named opaquely (`vcards/<uuid>.vcf`, plus the store's random suffix): no patient
data in a path. Errors are the channels' DeliveryError (retryable, permanent, credentials
rejected); the engine records each call in the integration log as service `vercel_blob`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests

from medbookings_desktop.messaging._scrub import scrub
from medbookings_desktop.messaging.errors import DeliveryError, from_status, network

SERVICE = "vercel_blob"  # the integration log's and the attention items' name for it
NAME = "Vercel Blob"
DEFAULT_API_URL = "https://vercel.com/api/blob"
API_VERSION = "12"
VCARD_TYPE = "text/vcard"


@dataclass(frozen=True, slots=True)
class StoredBlob:
    url: str
    download_url: str
    pathname: str
    content_type: str


def store_id(token: str) -> str:
    """The store a read-write token belongs to (its fourth `_`-separated part), or ""."""
    parts = token.split("_")
    return parts[3] if len(parts) > 3 else ""


class VercelBlobClient:
    """Uploads public files to one Blob store and deletes them. Thread-compatible: one engine
    thread uses it; every call has a timeout."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = timeout
        self._token = token
        self._http = session or requests.Session()

    def close(self) -> None:
        self._http.close()

    def _headers(self) -> dict[str, str]:
        return {
            "authorization": f"Bearer {self._token}",
            "x-api-version": API_VERSION,
            "x-vercel-blob-store-id": store_id(self._token),
        }

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        try:
            resp = self._http.request(
                method, self.api_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.Timeout as exc:
            raise network(NAME, TimeoutError(str(exc))) from None
        except requests.RequestException as exc:
            raise network(NAME, exc) from None
        if resp.status_code >= 400:
            raise _error(resp)
        return resp

    def put(self, pathname: str, data: bytes, content_type: str) -> StoredBlob:
        """Store `data` publicly under `pathname` (a random suffix is added); its URLs."""
        resp = self._request(
            "PUT",
            "/",
            params={"pathname": pathname},
            data=data,
            headers={
                "x-content-type": content_type,
                "x-add-random-suffix": "1",
                "x-vercel-blob-access": "public",
            },
        )
        try:
            answer = resp.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or not answer.get("url"):
            raise DeliveryError(f"{NAME} did not say where the file is", retryable=True)
        return StoredBlob(
            url=str(answer["url"]),
            download_url=str(answer.get("downloadUrl") or answer["url"]),
            pathname=str(answer.get("pathname") or pathname),
            content_type=str(answer.get("contentType") or content_type),
        )

    def put_vcard(self, card: bytes) -> StoredBlob:
        return self.put(f"vcards/{uuid.uuid4().hex}.vcf", card, VCARD_TYPE)

    def check(self) -> str:
        """A settings page's "test": store a small file, delete it again; the URL it had.
        Raises DeliveryError (its `reason` is readable) when the store refuses either."""
        blob = self.put(
            f"checks/{uuid.uuid4().hex}.txt", b"MedBookings Desktop test\n", "text/plain"
        )
        self.delete([blob.url])
        return blob.url

    def delete(self, urls: Sequence[str]) -> None:
        """Delete these blobs; one already gone is not an error (the store says nothing)."""
        if urls:
            self._request("POST", "/delete", json={"urls": list(urls)})


def _error(resp: requests.Response) -> DeliveryError:
    """The Blob API's `{"error": {"code", "message"}}` as a DeliveryError."""
    code = message = ""
    with contextlib.suppress(ValueError, AttributeError):
        error = resp.json().get("error") or {}
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")
    detail = scrub(f"{code}: {message}" if code and message else code or message)
    status = resp.status_code
    if code == "forbidden" and status not in (401, 403):
        status = 403  # an access error whatever the status: the token is not accepted
    return from_status(NAME, status, detail, resp.headers.get("retry-after"))
