"""Background work: run a function on a pool, hand its result back on the UI thread.

A job never touches a widget: it returns a value (or raises), and the callbacks run on the
thread that owns the TaskRunner, through queued signals. Writes go through a pool of one
thread so status changes from one desk apply in the order they were asked for.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives on the UI thread; a worker emits on it and the slot runs on the UI thread."""

    done = Signal(int, object)
    failed = Signal(int, object)


def _job(token: int, fn: Callable[[], Any], relay: _Relay) -> Callable[[], None]:
    """What a pool thread runs: `fn`, then one signal with its result or its error."""

    def run() -> None:
        try:
            result = fn()
        except Exception as exc:
            relay.failed.emit(token, exc)
        else:
            relay.done.emit(token, result)

    return run


class TaskRunner(QObject):
    """`run(fn, on_done, on_error)`; `finished` is emitted after each job's callback ran."""

    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reads = QThreadPool(self)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._relay.failed.connect(self._fail, Qt.ConnectionType.QueuedConnection)
        self._pending: dict[int, tuple[Done | None, Failed | None]] = {}
        self._tokens = itertools.count(1)
        self._closed = False

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        *,
        write: bool = False,
    ) -> int:
        """Start `fn` on a pool thread; returns a token naming the job. After shutdown nothing
        starts and 0 is returned: a closing window's timers and watchers may still ask."""
        if self._closed:
            return 0
        token = next(self._tokens)
        self._pending[token] = (on_done, on_error)
        (self._writes if write else self._reads).start(_job(token, fn, self._relay))
        return token

    @property
    def closed(self) -> bool:
        return self._closed

    def busy(self) -> bool:
        return bool(self._pending)

    def shutdown(self) -> None:
        """Wait for running jobs (a write must not be cut off); later results are dropped."""
        self._closed = True
        self._reads.clear()
        self._reads.waitForDone()
        self._writes.waitForDone()
        self._pending.clear()

    @Slot(int, object)
    def _deliver(self, token: int, result: Any) -> None:
        on_done, _ = self._pending.pop(token, (None, None))
        try:
            if on_done is not None and not self._closed:
                on_done(result)
        finally:
            self.finished.emit()

    @Slot(int, object)
    def _fail(self, token: int, exc: BaseException) -> None:
        _, on_error = self._pending.pop(token, (None, None))
        try:
            if self._closed:
                return
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background task failed", exc_info=exc)
        finally:
            self.finished.emit()
