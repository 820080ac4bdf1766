"""SendGrid mails share one kept-open connection (the package's urllib opened one per mail),
with the package's own requests, answers and errors; the real `sendgrid` package against the
local fake."""

from __future__ import annotations

import select
import socket
import threading
import time
from typing import Any

import pytest

from medbookings_desktop.messaging.errors import DeliveryError
from medbookings_desktop.messaging.message import OutgoingMessage
from medbookings_desktop.messaging.sendgrid_mail import SendGridChannel
from tests.fakes.sendgrid_server import API_KEY, FakeSendGrid


class Accepted:
    """The fake's accepted connections, counted and kept (to close one from the server)."""

    def __init__(self, fake: FakeSendGrid) -> None:
        server = fake._server
        assert server is not None
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        accept = server.process_request

        def counted(request: Any, client_address: Any) -> None:
            with self._lock:
                self.sockets.append(request)
            accept(request, client_address)

        server.process_request = counted  # type: ignore[method-assign]

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.sockets)


def channel(fake: FakeSendGrid) -> SendGridChannel:
    return SendGridChannel(
        API_KEY, "desk@clinic.example.org", "Riverside Clinic", host=fake.url, timeout=2.0
    )


def message(n: int) -> OutgoingMessage:
    return OutgoingMessage(
        channel="email",
        to=f"patient{n}@example.org",
        kind="reminder",
        subject="Your appointment tomorrow",
        text="See you tomorrow.",
        reference=f"outbox:{n}:reminder:email",
    )


def test_mails_share_one_connection(sendgrid_fake: FakeSendGrid) -> None:
    accepted = Accepted(sendgrid_fake)
    sender = channel(sendgrid_fake)
    ids = [sender.send(message(n)) for n in range(5)]
    sender.close()

    assert accepted.count == 1
    assert [m.message_id for m in sendgrid_fake.mails] == ids
    assert [m.to for m in sendgrid_fake.mails] == [[f"patient{n}@example.org"] for n in range(5)]
    assert not sendgrid_fake.violations


def test_a_connection_the_server_closed_is_opened_again(sendgrid_fake: FakeSendGrid) -> None:
    accepted = Accepted(sendgrid_fake)
    sender = channel(sendgrid_fake)
    sender.send(message(1))
    # the server closes the idle connection (as servers do after their keep-alive time)
    accepted.sockets[0].shutdown(socket.SHUT_RDWR)
    client = sender._connection._conn if sender._connection else None
    assert client is not None and client.sock is not None
    deadline = time.monotonic() + 5
    while not select.select([client.sock], [], [], 0.05)[0]:
        assert time.monotonic() < deadline, "the close never reached the client"

    sender.send(message(2))
    sender.close()

    assert accepted.count == 2
    assert len(sendgrid_fake.mails) == 2


def test_errors_on_a_kept_connection_are_the_packages_own(sendgrid_fake: FakeSendGrid) -> None:
    accepted = Accepted(sendgrid_fake)
    sender = channel(sendgrid_fake)
    sender.send(message(1))
    sendgrid_fake.fail_next(429, retry_after=7)
    with pytest.raises(DeliveryError) as caught:
        sender.send(message(2))
    assert caught.value.retryable is True
    assert caught.value.retry_after == pytest.approx(7)
    sendgrid_fake.fail_next(401)
    with pytest.raises(DeliveryError) as refused:
        sender.send(message(3))
    assert refused.value.credentials_rejected is True
    sender.send(message(4))
    sender.close()

    assert accepted.count == 1  # an error answer is still an answer: the line stays open
    assert [m.to for m in sendgrid_fake.mails] == [
        ["patient1@example.org"],
        ["patient4@example.org"],
    ]


def test_with_a_proxy_set_mails_go_the_packages_own_way(
    sendgrid_fake: FakeSendGrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.clinic.example.org:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.clinic.example.org:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert channel(sendgrid_fake)._connection is None

    # the fake's own address bypasses the proxy: the kept connection again
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    sender = channel(sendgrid_fake)
    assert sender._connection is not None
    sender.send(message(1))
    sender.close()
    assert len(sendgrid_fake.mails) == 1
