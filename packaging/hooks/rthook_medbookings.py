"""Runtime hook of the frozen MedBookings: runs before the app's first import.

- TLS: sendgrid and twilio use the standard library's TLS, which looks for the system's CA
  file; on Windows and macOS, and on a Linux without the usual path, there is none the bundled
  OpenSSL can find. Point SSL_CERT_FILE at the bundled certifi file, unless the desk's
  administrator set a file that exists (a clinic's own proxy CA, for instance).
- keyring: its backends are found through package entry points; the spec ships keyring's
  metadata and its backend modules, and this hook names no backend so `keyring` still picks
  the best one the desk offers (PYTHON_KEYRING_BACKEND and keyringrc.cfg work as usual).
"""

import os
import sys
from pathlib import Path


def _set_ca_bundle() -> None:
    given = os.environ.get("SSL_CERT_FILE", "")
    if given and Path(given).is_file():
        return
    bundle = Path(getattr(sys, "_MEIPASS", "")) / "certifi" / "cacert.pem"
    if bundle.is_file():
        os.environ["SSL_CERT_FILE"] = str(bundle)


_set_ca_bundle()
