"""A local Google OAuth 2.0 server (authorization, token, revoke) with a calendar list.

The authorization endpoint is what a test's "browser" GETs: it checks the client, the loopback
redirect, the scopes and the PKCE challenge (S256), then redirects back with a code. The token
endpoint checks the code's verifier, issues an access and a refresh token, refreshes, and says
`invalid_grant` for a revoked or expired refresh token (`expire_refresh_tokens()`). The revoke
endpoint forgets a token. `GET /calendar/v3/users/me/calendarList` answers with the account's
calendars, in pages, to a valid access token.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.server import FakeVendor, Request, Response

CLIENT_ID = "medbookings-test.apps.googleusercontent.example.org"
CLIENT_SECRET = "test-installed-secret"
ACCOUNT = "clinic.calendars@example.org"
ALLOWED_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/calendar",
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/calendar.readonly",
    }
)


@dataclass
class _Grant:
    redirect_uri: str
    challenge: str
    scope: str
    used: bool = False


@dataclass
class FakeCalendar:
    id: str
    summary: str
    primary: bool = False
    access_role: str = "owner"


@dataclass
class _State:
    codes: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)


def _header(request: Request, name: str) -> str:
    # httplib2 (googleapiclient) sends header names in lower case
    for key, value in request.headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class FakeGoogleOAuth(FakeVendor):
    name = "Google OAuth"

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.state = _State()
        self.calendars: list[FakeCalendar] = [
            FakeCalendar(ACCOUNT, ACCOUNT, primary=True),
            FakeCalendar("dr.mokoena.example.org_abc@group.calendar.google.com", "Dr Mokoena"),
            FakeCalendar("dr.smith.example.org_def@group.calendar.google.com", "Dr Smith"),
            FakeCalendar(
                "holidays@group.v.calendar.google.com", "UK holidays", access_role="reader"
            ),
        ]
        self.page_size = 2
        self.deny_next = False
        # the scope the token endpoint says it granted (None: what was asked), as when the
        # person leaves a box unticked on the consent page or had granted more before
        self.granted_scope: str | None = None
        self.problems: list[str] = []  # what a request got wrong, for the test to assert empty
        self._ids = itertools.count(1)

    # -- urls for the client -------------------------------------------------------------------

    @property
    def auth_url(self) -> str:
        return self.url + "/o/oauth2/auth"

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    @property
    def revoke_url(self) -> str:
        return self.url + "/revoke"

    # -- switches ------------------------------------------------------------------------------

    def expire_refresh_tokens(self) -> None:
        """Every refresh token now answers invalid_grant (revoked in the account, expired)."""
        with self.lock:
            self.state.revoked |= self.state.refresh_tokens
            self.state.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.state.access_tokens.clear()

    def _new(self, kind: str) -> str:
        return f"{kind}-{next(self._ids)}-fake"

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "message": message}}

    def _oauth_error(self, error: str, description: str = "", status: int = 400) -> Response:
        body = {"error": error}
        if description:
            body["error_description"] = description
        return Response(status, body)

    # -- routes --------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        if request.method == "GET" and request.path == "/o/oauth2/auth":
            return self._authorize(request)
        if request.method == "POST" and request.path == "/token":
            return self._token(request)
        if request.method == "POST" and request.path == "/revoke":
            return self._revoke(request)
        if request.method == "GET" and request.path == "/calendar/v3/users/me/calendarList":
            return self._calendar_list(request)
        return Response(404, self.error_body(404, f"no route {request.method} {request.path}"))

    def _problem(self, text: str) -> Response:
        self.problems.append(text)
        return Response(400, {"error": "invalid_request", "error_description": text})

    def _authorize(self, request: Request) -> Response:
        q = {k: v[0] for k, v in request.params.items()}
        if q.get("client_id") != self.client_id:
            return self._problem("unknown client_id")
        redirect = q.get("redirect_uri", "")
        parts = urlsplit(redirect)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port:
            return self._problem(f"redirect_uri is not a loopback address: {redirect}")
        if q.get("response_type") != "code":
            return self._problem("response_type must be code")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return self._problem("PKCE code_challenge with S256 is required")
        scopes = set(q.get("scope", "").split())
        if not scopes or not scopes <= ALLOWED_SCOPES:
            return self._problem(f"scopes outside the calendar ones: {sorted(scopes)}")
        back: dict[str, str] = {}
        if self.deny_next:
            self.deny_next = False
            back["error"] = "access_denied"
        else:
            code = self._new("code")
            self.state.codes[code] = _Grant(redirect, q["code_challenge"], q["scope"])
            back["code"] = code
            back["scope"] = q["scope"]
        if "state" in q:
            back["state"] = q["state"]
        sep = "&" if "?" in redirect else "?"
        return Response(302, None, {"Location": redirect + sep + urlencode(back)})

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        auth = _header(request, "Authorization")
        if auth.startswith("Basic "):
            user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            return user == self.client_id and secret == self.client_secret
        return (
            form.get("client_id") == self.client_id
            and form.get("client_secret", "") == self.client_secret
        )

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if not self._client_ok(request, form):
            return self._oauth_error("invalid_client", "The OAuth client was not found.", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.state.codes.get(form.get("code", ""))
            if grant is None or grant.used:
                return self._oauth_error("invalid_grant", "Malformed auth code.")
            grant.used = True
            if form.get("redirect_uri") != grant.redirect_uri:
                return self._oauth_error("redirect_uri_mismatch", "Bad Request")
            verifier = form.get("code_verifier", "")
            if not verifier or s256(verifier) != grant.challenge:
                self.problems.append("code_verifier does not match the challenge")
                return self._oauth_error("invalid_grant", "Invalid code verifier.")
            access, refresh = self._new("access"), self._new("refresh")
            self.state.access_tokens.add(access)
            self.state.refresh_tokens.add(refresh)
            return Response(
                200,
                {
                    "access_token": access,
                    "expires_in": 3599,
                    "refresh_token": refresh,
                    "scope": self.granted_scope or grant.scope,
                    "token_type": "Bearer",
                },
            )
        if grant_type == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.state.refresh_tokens or token in self.state.revoked:
                return self._oauth_error("invalid_grant", "Token has been expired or revoked.")
            access = self._new("access")
            self.state.access_tokens.add(access)
            return Response(
                200,
                {
                    "access_token": access,
                    "expires_in": 3599,
                    "token_type": "Bearer",
                },
            )
        return self._oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _revoke(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        token = form.get("token") or (request.params.get("token") or [""])[0]
        if token in self.state.refresh_tokens and token not in self.state.revoked:
            self.state.revoked.add(token)
            self.state.access_tokens.clear()
            return Response(200, {})
        if token in self.state.access_tokens:
            self.state.access_tokens.discard(token)
            return Response(200, {})
        return self._oauth_error("invalid_token", "Token expired or revoked")

    def _calendar_list(self, request: Request) -> Response:
        auth = _header(request, "Authorization")
        if not auth.startswith("Bearer ") or auth[7:] not in self.state.access_tokens:
            return Response(
                401,
                {
                    "error": {
                        "code": 401,
                        "message": "Invalid Credentials",
                        "status": "UNAUTHENTICATED",
                    }
                },
            )
        start = int((request.params.get("pageToken") or ["0"])[0] or 0)
        chunk = self.calendars[start : start + self.page_size]
        body: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "etag": '"p1"',
            "items": [
                {
                    "kind": "calendar#calendarListEntry",
                    "id": c.id,
                    "summary": c.summary,
                    "accessRole": c.access_role,
                    "timeZone": "Europe/London",
                    **({"primary": True} if c.primary else {}),
                }
                for c in chunk
            ],
        }
        if start + self.page_size < len(self.calendars):
            body["nextPageToken"] = str(start + self.page_size)
        return Response(200, body)


class FakeBrowser:
    """An opener for SignIn: it "is the browser", following the consent URL to the fake and
    the fake's redirect back to the desk's loopback server, on its own thread as a browser
    would. With `follow=False` it only records the URL (a person who never finishes)."""

    def __init__(self, *, follow: bool = True) -> None:
        import threading

        self.follow = follow
        self.opened: list[str] = []
        self.final_status: int | None = None
        self.final_text = ""
        self.done = threading.Event()
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        import threading

        self.opened.append(url)
        if self.follow:
            thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
            self._threads.append(thread)
            thread.start()
        return True

    def _visit(self, url: str) -> None:
        import requests

        try:
            resp = requests.get(url, timeout=10)
            self.final_status = resp.status_code
            self.final_text = resp.text
        except requests.RequestException as exc:
            self.final_text = repr(exc)
        finally:
            self.done.set()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=10)
