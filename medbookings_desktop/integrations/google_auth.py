"""Google sign-in for a provider's calendar: the installed-app OAuth flow with PKCE.

`SignIn(config, provider_id).run()` opens the system browser on Google's consent page, waits
on a loopback server (127.0.0.1, a free port) for the redirect with the code, trades the code
and the PKCE verifier for tokens (google-auth-oauthlib's InstalledAppFlow), keeps only the
refresh token, in the OS keyring under `google.refresh_token.<provider_id>`, and lists the
account's calendars so the desk can choose one. It blocks: run it off the UI thread.
`cancel()` (any thread) or the timeout stop the loopback server at once.

Scopes are the two the desk uses: `calendar.events` (write the bookings' events, read the
others) and `calendar.readonly` (the calendar list to choose from, free/busy). The account's
e-mail is the id of its primary calendar, so no profile scope is asked for.

Endpoints (DESIGN invariant 8): MEDBOOKINGS_GOOGLE_OAUTH_AUTH_URL, _TOKEN_URL (settings),
MEDBOOKINGS_GOOGLE_OAUTH_REVOKE_URL, MEDBOOKINGS_GOOGLE_API_URL (or the settings'
google_calendar_base_url). The client id from MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID (or the
keyring's `google.oauth_client_id`); its secret, when the client has one, from the keyring
(`google.oauth_client_secret`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, urljoin
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from medbookings_desktop.integrations import google_call_log
from medbookings_desktop.secrets import delete_secret, get_secret, set_secret

log = logging.getLogger(__name__)

SCOPES: tuple[str, ...] = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.readonly",
)
CLIENT_ID_KEY = "google.oauth_client_id"
CLIENT_SECRET_KEY = "google.oauth_client_secret"
DEFAULT_AUTH_URL = "https://accounts.google.com/o/oauth2/auth"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
DEFAULT_API_URL = "https://www.googleapis.com/"
DEFAULT_TIMEOUT_S = 300.0
HTTP_TIMEOUT_S = 20.0

Opener = Callable[[str], Any]


def refresh_token_key(provider_id: int) -> str:
    return f"google.refresh_token.{provider_id}"


class GoogleAuthError(Exception):
    """Sign-in or a token call failed; `message` is meant for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignInCancelled(GoogleAuthError):
    pass


class SignInTimedOut(GoogleAuthError):
    pass


class NeedsReconnect(GoogleAuthError):
    """The refresh token is missing, expired or revoked (`invalid_grant`): sign in again."""


# -- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoogleConfig:
    client_id: str
    client_secret: str | None = None
    auth_url: str = DEFAULT_AUTH_URL
    token_url: str = DEFAULT_TOKEN_URL
    revoke_url: str = DEFAULT_REVOKE_URL
    api_url: str = DEFAULT_API_URL

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"GoogleConfig(client_id={self.client_id!r}, token_url={self.token_url!r})"

    @property
    def configured(self) -> bool:
        return bool(self.client_id)

    @property
    def calendar_endpoint(self) -> str:
        """googleapiclient's api_endpoint: the base the calendar v3 paths are joined to."""
        return urljoin(self.api_url.rstrip("/") + "/", "calendar/v3/")

    @classmethod
    def load(cls, settings: Any = None, env: Mapping[str, str] | None = None) -> GoogleConfig:
        """From `settings` (a DeskSettings, optional), the environment and the keyring."""
        env = os.environ if env is None else env

        def pick(env_name: str, setting: str, default: str) -> str:
            value = (env.get(env_name) or "").strip()
            if value:
                return value
            return str(getattr(settings, setting, "") or default)

        client_id = (
            (env.get("MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID") or "").strip()
            or str(getattr(settings, "google_oauth_client_id", "") or "")
            or get_secret(CLIENT_ID_KEY, env)
            or ""
        )
        return cls(
            client_id=client_id,
            client_secret=get_secret(CLIENT_SECRET_KEY, env),
            auth_url=pick(
                "MEDBOOKINGS_GOOGLE_OAUTH_AUTH_URL", "google_oauth_auth_url", DEFAULT_AUTH_URL
            ),
            token_url=pick(
                "MEDBOOKINGS_GOOGLE_OAUTH_TOKEN_URL", "google_oauth_token_url", DEFAULT_TOKEN_URL
            ),
            revoke_url=pick(
                "MEDBOOKINGS_GOOGLE_OAUTH_REVOKE_URL", "google_oauth_revoke_url", DEFAULT_REVOKE_URL
            ),
            api_url=pick("MEDBOOKINGS_GOOGLE_API_URL", "google_calendar_base_url", DEFAULT_API_URL),
        )

    def client_config(self) -> dict[str, Any]:
        installed: dict[str, Any] = {
            "client_id": self.client_id,
            "auth_uri": self.auth_url,
            "token_uri": self.token_url,
            "redirect_uris": ["http://127.0.0.1"],
        }
        # the flow sends a secret (Basic auth); an installed client without one sends ""
        installed["client_secret"] = self.client_secret or ""
        return {"installed": installed}


@dataclass(frozen=True, slots=True)
class CalendarChoice:
    id: str
    summary: str
    primary: bool = False
    access_role: str = ""

    @property
    def writable(self) -> bool:
        return self.access_role in ("owner", "writer")


@dataclass(frozen=True, slots=True)
class SignInResult:
    provider_id: int
    account_email: str
    calendars: tuple[CalendarChoice, ...]


# -- the loopback server -----------------------------------------------------------------------

_DONE_PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>MedBookings</title></head>"
    b"<body><p>MedBookings Desktop: sign-in finished. You can close this tab.</p></body></html>"
)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no codes in any log
        pass


class LoopbackServer:
    """A one-shot redirect catcher on 127.0.0.1: `wait()` returns the redirect's query."""

    def __init__(self) -> None:
        self._got = threading.Event()
        self._query: dict[str, list[str]] = {}
        self._server: WSGIServer = make_server(
            "127.0.0.1", 0, self._app, handler_class=_QuietHandler
        )
        self._server.timeout = 0.1
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="google-sign-in-loopback",
            daemon=True,
        )
        self._stopped = False

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") != "/" or self._got.is_set():
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found"]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if "code" not in query and "error" not in query:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"Missing code"]
        self._query = query
        self._got.set()
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(_DONE_PAGE))),
            ],
        )
        return [_DONE_PAGE]

    def wait(self, cancel: threading.Event, timeout: float) -> dict[str, str]:
        """The redirect's query (first values); raises on cancel or timeout."""
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.daemon = True
        timer.start()
        try:
            while not self._got.wait(0.05):
                if cancel.is_set():
                    raise SignInCancelled("Sign-in was cancelled.")
                if deadline.is_set():
                    raise SignInTimedOut(
                        "Sign-in timed out: the browser did not come back in time. Try again."
                    )
        finally:
            timer.cancel()
        return {k: v[0] for k, v in self._query.items() if v}

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return not self._stopped


# -- sign-in ----------------------------------------------------------------------------------


class SignIn:
    """One provider's sign-in; `run()` blocks (off the UI thread), `cancel()` from anywhere."""

    def __init__(
        self,
        config: GoogleConfig,
        provider_id: int,
        *,
        opener: Opener | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.config = config
        self.provider_id = provider_id
        self.opener: Opener = opener or webbrowser.open
        self.timeout = timeout
        self._cancel = threading.Event()
        self.loopback: LoopbackServer | None = None
        self.auth_url: str | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> SignInResult:
        if not self.config.configured:
            raise GoogleAuthError(
                "Google sign-in is not set up on this desk: no OAuth client id "
                "(MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID)."
            )
        from google_auth_oauthlib.flow import InstalledAppFlow  # type: ignore[import-untyped]

        flow = InstalledAppFlow.from_client_config(
            self.config.client_config(), scopes=list(SCOPES), autogenerate_code_verifier=True
        )
        loopback = LoopbackServer()
        self.loopback = loopback
        try:
            loopback.start()
            flow.redirect_uri = loopback.redirect_uri
            auth_url, state = flow.authorization_url(
                access_type="offline", prompt="consent", include_granted_scopes="true"
            )
            self.auth_url = auth_url
            if self._cancel.is_set():
                raise SignInCancelled("Sign-in was cancelled.")
            try:
                opened = self.opener(auth_url)
            except Exception as exc:  # a desk with no browser
                raise GoogleAuthError(f"Could not open the web browser: {exc}") from None
            if opened is False:
                raise GoogleAuthError(
                    "Could not open the web browser. Check this desk has a default browser."
                )
            answer = loopback.wait(self._cancel, self.timeout)
        except BaseException:
            flow.oauth2session.close()
            raise
        finally:
            loopback.stop()
        if answer.get("state") != state:
            raise GoogleAuthError("Sign-in answer did not match the request; try again.")
        if "error" in answer:
            if answer["error"] == "access_denied":
                raise GoogleAuthError("Access was not granted in the browser.")
            raise GoogleAuthError(f"Google refused the sign-in ({answer['error']}).")
        if self._cancel.is_set():
            raise SignInCancelled("Sign-in was cancelled.")
        try:
            refresh_token = self._exchange(flow, answer["code"])
            access_token = flow.credentials.token
        finally:
            flow.oauth2session.close()
        set_secret(refresh_token_key(self.provider_id), refresh_token)
        creds = credentials_from_refresh_token(self.config, refresh_token, access_token)
        try:
            calendars = list_calendars(self.config, creds)
        except GoogleAuthError as exc:
            log.warning("calendar list after sign-in failed: %s", type(exc).__name__)
            calendars = []
        primary = next((c for c in calendars if c.primary), None)
        return SignInResult(self.provider_id, primary.id if primary else "", tuple(calendars))

    def _exchange(self, flow: Any, code: str) -> str:
        from oauthlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
        from requests import RequestException

        calls = google_call_log.DEFAULT
        started = time.perf_counter()
        try:
            flow.fetch_token(code=code, timeout=HTTP_TIMEOUT_S)
            calls.record_answer(google_call_log.CALENDAR, "token.exchange", started, 200, b"")
        except OAuth2Error as exc:
            calls.record_exception(google_call_log.CALENDAR, "token.exchange", started, exc)
            raise GoogleAuthError(
                f"Google did not accept the sign-in ({exc.error}). Try again."
            ) from None
        except RequestException as exc:
            calls.record_exception(google_call_log.CALENDAR, "token.exchange", started, exc)
            raise GoogleAuthError("Could not reach Google to finish the sign-in.") from None
        except Warning as changed:  # tokens came, with other scopes than asked
            calls.record_answer(google_call_log.CALENDAR, "token.exchange", started, 200, b"")
            # oauthlib raises (not warns) when the scopes granted differ from those asked:
            # more (earlier grants, include_granted_scopes) is fine, fewer (a box left
            # unticked on Google's consent page) is not
            granted = set(getattr(changed, "new_scope", None) or ())
            token = getattr(changed, "token", None)
            if token is None or not set(SCOPES) <= granted:
                raise GoogleAuthError(
                    "Google was not allowed to share the calendar. Connect again and tick "
                    "every box on Google's page, so bookings can be written and calendars listed."
                ) from None
            flow.oauth2session.token = token
        refresh_token = flow.credentials.refresh_token
        if not refresh_token:
            raise GoogleAuthError(
                "Google gave no lasting access (no refresh token). Remove MedBookings from the "
                "account's third-party access and connect again."
            )
        return str(refresh_token)


# -- tokens, calendars, disconnect -------------------------------------------------------------


def credentials_from_refresh_token(
    config: GoogleConfig, refresh_token: str, access_token: str | None = None
) -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(  # type: ignore[no-untyped-call]
        token=access_token,
        refresh_token=refresh_token,
        token_uri=config.token_url,
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=list(SCOPES),
    )


def stored_refresh_token(provider_id: int) -> str | None:
    return get_secret(refresh_token_key(provider_id))


def credentials_for(config: GoogleConfig, provider_id: int) -> Any:
    """Credentials from the keyring's refresh token; NeedsReconnect when there is none."""
    token = stored_refresh_token(provider_id)
    if not token:
        raise NeedsReconnect("This provider's Google account is not connected.")
    return credentials_from_refresh_token(config, token)


def _is_invalid_grant(exc: BaseException) -> bool:
    text = str(exc)
    args: tuple[Any, ...] = exc.args
    if len(args) > 1 and isinstance(args[1], Mapping):
        return args[1].get("error") == "invalid_grant"
    return "invalid_grant" in text


def refresh(credentials: Any, calls: google_call_log.GoogleCallLog | None = None) -> None:
    """Get a fresh access token (the call recorded in `calls`, the shared log when None);
    `invalid_grant` becomes NeedsReconnect."""
    import google.auth.exceptions
    import requests
    from google.auth.transport.requests import Request

    log_ = calls if calls is not None else google_call_log.DEFAULT
    try:
        with requests.Session() as session:
            credentials.refresh(Request(log_.session(session)))  # type: ignore[arg-type]
    except google.auth.exceptions.RefreshError as exc:
        if _is_invalid_grant(exc):
            raise NeedsReconnect(
                "Google no longer accepts this provider's sign-in (expired or revoked). "
                "Reconnect the account."
            ) from None
        raise GoogleAuthError("Google refused to refresh the sign-in.") from None
    except google.auth.exceptions.TransportError:
        raise GoogleAuthError("Could not reach Google.") from None


def calendar_service(
    config: GoogleConfig, credentials: Any, calls: google_call_log.GoogleCallLog | None = None
) -> Any:
    """The real googleapiclient Calendar v3 service, from its packaged discovery document;
    its calls recorded in `calls` (the shared log when None)."""
    import google_auth_httplib2  # type: ignore[import-untyped]
    import httplib2  # type: ignore[import-untyped]
    from googleapiclient.discovery import build  # type: ignore[import-untyped]

    log_ = calls if calls is not None else google_call_log.DEFAULT
    http = google_auth_httplib2.AuthorizedHttp(
        credentials, http=log_.http(httplib2.Http(timeout=30))
    )
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": config.calendar_endpoint},
    )


def list_calendars(config: GoogleConfig, credentials: Any) -> list[CalendarChoice]:
    """Every calendar on the account's list (all pages), primary first."""
    import google.auth.exceptions
    from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

    service = calendar_service(config, credentials)
    out: list[CalendarChoice] = []
    page: str | None = None
    try:
        while True:
            resp = service.calendarList().list(pageToken=page, maxResults=250).execute()
            for item in resp.get("items", []):
                out.append(
                    CalendarChoice(
                        id=str(item["id"]),
                        summary=str(
                            item.get("summaryOverride") or item.get("summary") or item["id"]
                        ),
                        primary=bool(item.get("primary")),
                        access_role=str(item.get("accessRole") or ""),
                    )
                )
            page = resp.get("nextPageToken")
            if not page:
                break
    except google.auth.exceptions.RefreshError as exc:
        if _is_invalid_grant(exc):
            raise NeedsReconnect(
                "Google no longer accepts this provider's sign-in. Reconnect the account."
            ) from None
        raise GoogleAuthError("Google refused to refresh the sign-in.") from None
    except HttpError as exc:
        raise GoogleAuthError(
            f"Google did not list the calendars (HTTP {exc.resp.status})."
        ) from None
    except (OSError, httplib2_errors()) as exc:
        raise GoogleAuthError(f"Could not reach Google ({type(exc).__name__}).") from None
    finally:
        service.close()
    out.sort(key=lambda c: (not c.primary, c.summary.casefold()))
    return out


def httplib2_errors() -> type[BaseException]:
    import httplib2

    return httplib2.HttpLib2Error  # type: ignore[no-any-return]


def account_calendars(config: GoogleConfig, provider_id: int) -> list[CalendarChoice]:
    """The calendar list with this provider's stored sign-in."""
    return list_calendars(config, credentials_for(config, provider_id))


def disconnect(config: GoogleConfig, provider_id: int) -> bool:
    """Revoke the provider's token at Google and forget it; True when Google confirmed.

    The token is deleted from the keyring even when Google cannot be reached, so the desk no
    longer uses it; the caller tells the person to remove the access in the Google account.
    """
    import requests

    token = stored_refresh_token(provider_id)
    if not token:
        return True
    revoked = False
    try:
        with google_call_log.DEFAULT.session(requests.Session()) as session:
            resp = session.request(
                "POST",
                config.revoke_url,
                data={"token": token},
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=HTTP_TIMEOUT_S,
            )
        # 400 invalid_token: already revoked or expired, which is what was wanted
        revoked = resp.status_code == 200 or (
            resp.status_code == 400 and "invalid_token" in resp.text
        )
    except requests.RequestException:
        revoked = False
    delete_secret(refresh_token_key(provider_id))
    return revoked


# -- a provider's link, as the desk shows it ---------------------------------------------------

CONNECTED = "connected"
NEEDS_RECONNECT = "needs_reconnect"
DISCONNECTED = "disconnected"
PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Link:
    """Which calendar a provider's bookings go to, through which account, in which state."""

    provider_id: int
    state: str
    account_email: str = ""
    calendar_id: str = ""
    # what the sync last recorded; not part of what a save changes
    last_sync_at: datetime | None = field(default=None, compare=False)
    last_error: str | None = field(default=None, compare=False)


class LinkStore(Protocol):
    """Where links are kept (the calendar_links table); each call is its own transaction."""

    def read(self, provider_id: int) -> Link | None: ...

    def save(self, link: Link) -> None: ...


@dataclass(frozen=True, slots=True)
class LinkView:
    """What the providers view shows for one provider."""

    link: Link
    calendars: tuple[CalendarChoice, ...] = ()
    problem: str = ""


class GoogleAccounts:
    """The providers view's Google actions, each blocking (run them on the task helper)."""

    def __init__(
        self,
        config: GoogleConfig,
        store: LinkStore,
        *,
        opener: Opener | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.config = config
        self.store = store
        self.opener = opener
        self.timeout = timeout

    @property
    def configured(self) -> bool:
        return self.config.configured

    def _log_calls(self) -> None:
        """Write the Google calls made meanwhile (sign-in, calendar list, revoke) to the
        integration log, when the store has the desk's Context (else the next calendar
        sync pass does)."""
        ctx = getattr(self.store, "ctx", None)
        if ctx is not None:
            google_call_log.DEFAULT.flush(ctx)

    def view(self, provider_id: int) -> LinkView:
        """The stored link and, when connected, the account's calendars to choose from.

        A refresh token Google no longer accepts turns the link to needs_reconnect."""
        try:
            return self._view(provider_id)
        finally:
            self._log_calls()

    def _view(self, provider_id: int) -> LinkView:
        link = self.store.read(provider_id) or Link(provider_id, DISCONNECTED)
        if link.state not in (CONNECTED, PAUSED):
            return LinkView(link)
        if not stored_refresh_token(provider_id):
            link = Link(provider_id, NEEDS_RECONNECT, link.account_email, link.calendar_id)
            self.store.save(link)
            return LinkView(link)
        try:
            calendars = account_calendars(self.config, provider_id)
        except NeedsReconnect:
            link = Link(provider_id, NEEDS_RECONNECT, link.account_email, link.calendar_id)
            self.store.save(link)
            return LinkView(link)
        except GoogleAuthError as exc:
            return LinkView(link, problem=exc.message)
        return LinkView(link, tuple(calendars))

    def needs_reconnect(self) -> frozenset[int]:
        """Providers whose link waits for a new sign-in (when the store can list them)."""
        listing = getattr(self.store, "needing_reconnect", None)
        return frozenset(listing()) if listing is not None else frozenset()

    def sign_in(self, provider_id: int) -> SignIn:
        return SignIn(self.config, provider_id, opener=self.opener, timeout=self.timeout)

    def connected(self, result: SignInResult) -> LinkView:
        """Keep the link after a sign-in: the calendar chosen before (if the account still
        has it), else the account's primary calendar."""
        before = self.store.read(result.provider_id)
        ids = {c.id for c in result.calendars}
        calendar_id = (
            before.calendar_id
            if before is not None and before.calendar_id in ids
            else result.account_email
        )
        link = Link(result.provider_id, CONNECTED, result.account_email, calendar_id)
        self.store.save(link)
        self._log_calls()
        return LinkView(link, result.calendars)

    def choose_calendar(self, provider_id: int, calendar_id: str) -> Link:
        before = self.store.read(provider_id) or Link(provider_id, DISCONNECTED)
        link = Link(provider_id, before.state, before.account_email, calendar_id)
        self.store.save(link)
        return link

    def disconnect(self, provider_id: int) -> bool:
        """Revoke and forget the token; the link stays, disconnected. True when Google
        confirmed the revocation."""
        revoked = disconnect(self.config, provider_id)
        before = self.store.read(provider_id)
        self.store.save(
            Link(
                provider_id,
                DISCONNECTED,
                before.account_email if before else "",
                before.calendar_id if before else "",
            )
        )
        self._log_calls()
        return revoked


class CalendarLinkStore:
    """LinkStore over the calendar_links table, one transaction per call.

    A link turned to needs_reconnect opens a "Needs attention" item for the provider (as the
    sync does when Google refuses the token); connecting again resolves it, so sync resumes.
    Connects and disconnects are audited (account and calendar only, never a token).
    """

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx  # services.context.Context

    def read(self, provider_id: int) -> Link | None:
        from medbookings_desktop.storage.repositories.calendars import CalendarRepository

        with self.ctx.read() as uow:
            row = CalendarRepository(uow.conn).link(provider_id)
        if row is None:
            return None
        return Link(
            row.provider_id,
            row.state,
            row.account_email,
            row.calendar_id,
            last_sync_at=row.last_sync_at,
            last_error=row.last_error,
        )

    def needing_reconnect(self) -> list[int]:
        from medbookings_desktop.storage.repositories.calendars import CalendarRepository

        with self.ctx.read() as uow:
            rows = CalendarRepository(uow.conn).links(NEEDS_RECONNECT)
        return [r.provider_id for r in rows]

    def save(self, link: Link) -> None:
        from sqlalchemy import select

        from medbookings_desktop.storage import tables as t
        from medbookings_desktop.storage.repositories.attention import CREDENTIALS_REJECTED
        from medbookings_desktop.storage.repositories.calendars import CalendarRepository

        ctx = self.ctx
        now = ctx.now()
        service = f"google:{link.provider_id}"
        with ctx.write() as uow:
            repo = CalendarRepository(uow.conn)
            before = repo.link(link.provider_id)
            repo.save_link(
                link.provider_id,
                link.state,
                now,
                account_email=link.account_email,
                calendar_id=link.calendar_id,
            )
            attention = uow.attention
            if link.state == NEEDS_RECONNECT:
                if not attention.is_open(CREDENTIALS_REJECTED, service=service):
                    provider = uow.providers.get(link.provider_id)
                    attention.add(
                        CREDENTIALS_REJECTED,
                        f"Google no longer accepts {provider.title} {provider.name}'s sign-in "
                        "(expired or revoked). Calendar sync for them is paused: reconnect the "
                        "account in Providers → Google Calendar.",
                        now,
                        service=service,
                    )
            elif link.state in (CONNECTED, DISCONNECTED):
                # reconnected (sync resumes) or disconnected (nothing left to fix)
                AI = t.attention_items
                open_ids = uow.conn.scalars(
                    select(AI.c.id).where(
                        AI.c.kind == CREDENTIALS_REJECTED,
                        AI.c.service == service,
                        AI.c.resolved_at.is_(None),
                    )
                ).all()
                for item_id in open_ids:
                    attention.resolve(int(item_id), ctx.actor_name, now)
            state_before = before.state if before else None
            if state_before != link.state or (before and before.calendar_id != link.calendar_id):
                ctx.audit(
                    uow,
                    f"google.{link.state}",
                    "provider",
                    link.provider_id,
                    before=None
                    if before is None
                    else {"state": before.state, "calendar_id": before.calendar_id},
                    after={
                        "state": link.state,
                        "account": link.account_email,
                        "calendar_id": link.calendar_id,
                    },
                )
            uow.commit()


def desk_accounts(
    settings: Any, store: LinkStore | Any, *, env: Mapping[str, str] | None = None
) -> GoogleAccounts:
    """The desk's GoogleAccounts from its settings, environment and keyring (reads the
    keyring: call it at start-up or off the UI thread). `store`: a LinkStore, or the
    desk's Context for the calendar_links table."""
    if not (hasattr(store, "read") and hasattr(store, "save")):
        store = CalendarLinkStore(store)
    return GoogleAccounts(GoogleConfig.load(settings, env), store)
