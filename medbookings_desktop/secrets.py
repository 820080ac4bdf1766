"""Secrets in the OS keyring (DESIGN invariant 5), never in settings or the database.

An environment variable wins over the keyring, for headless runs and tests:
`MEDBOOKINGS_SENDGRID_API_KEY` for "sendgrid.api_key", and so on (the key upper-cased, dots
as underscores). Values are kept small: Windows Credential Manager caps one at 2560 bytes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from medbookings_desktop.settings import KEYRING_SERVICE as SERVICE

MAX_BYTES = 2560

SENDGRID_API_KEY = "sendgrid.api_key"
TWILIO_AUTH_TOKEN = "twilio.auth_token"
# the clinic's Vercel Blob read-write token: WhatsApp media (vCards) need a public URL
VERCEL_BLOB_TOKEN = "vercel_blob.token"
# the desk's Google OAuth client (installed app): the id and, when Google issued one, the
# secret (integrations/google_auth.py reads both; Settings → Google writes them)
GOOGLE_OAUTH_CLIENT_ID = "google.oauth_client_id"
GOOGLE_OAUTH_CLIENT_SECRET = "google.oauth_client_secret"
KNOWN = (
    SENDGRID_API_KEY,
    TWILIO_AUTH_TOKEN,
    VERCEL_BLOB_TOKEN,
    GOOGLE_OAUTH_CLIENT_ID,
    GOOGLE_OAUTH_CLIENT_SECRET,
)

log = logging.getLogger(__name__)


class SecretsError(Exception):
    """The keyring cannot be used; the message is meant for a person."""


def env_name(key: str) -> str:
    return "MEDBOOKINGS_" + key.upper().replace(".", "_")


def get_secret(key: str, env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    value = env.get(env_name(key), "").strip()
    if value:
        return value
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, key)
    except KeyringError as exc:
        # the secret itself never reaches the log, only that the store could not be read
        log.warning("cannot read %s from the keyring: %s", key, type(exc).__name__)
        return None


def set_secret(key: str, value: str) -> None:
    value = value.strip()
    if not value:
        raise SecretsError("An empty secret cannot be stored; delete it instead.")
    if len(value.encode()) > MAX_BYTES:
        raise SecretsError(f"A secret is kept to {MAX_BYTES} bytes (the smallest OS limit).")
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, key, value)
    except KeyringError as exc:
        raise SecretsError(f"The system keyring refused to store {key}: {exc}") from None


def delete_secret(key: str) -> None:
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        keyring.delete_password(SERVICE, key)
    except PasswordDeleteError:
        pass
    except KeyringError as exc:
        raise SecretsError(f"The system keyring refused to delete {key}: {exc}") from None


def has_secret(key: str, env: Mapping[str, str] | None = None) -> bool:
    return bool(get_secret(key, env))
