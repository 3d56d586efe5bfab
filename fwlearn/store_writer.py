"""Write-behind for the progress store: the app's writes run on one background thread.

Why: a second ``fwlearn`` session holding the database's write lock made every save in the
app wait out SQLite's busy timeout (10 s) on the UI thread, frozen. Here a write is queued and
the caller goes on at once; the thread applies writes in order, with a short busy timeout, and
when the database stays locked it says so once (``on_error``, within a second) and keeps
retrying the same write, so nothing is lost and nothing is reordered. Other failures (disk
full, damage) are reported and that write is dropped, as the synchronous store does.

``failsafe`` is the decorator every ``Store`` method wears: it sends writes here (in the app)
and turns a failing database into a reported message; it lives here, next to the writer it
routes to, so that ``fwlearn/store.py`` holds what the learner's data means.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

LOCKED_MESSAGE = (
    "another fwlearn is using your progress database (it is locked); your changes are kept "
    "and saved as soon as it is free"
)


# SQLite's primary result codes (sqlite3 names them only from Python 3.11 on).
SQLITE_BUSY, SQLITE_LOCKED = 5, 6

Method = TypeVar("Method", bound=Callable[..., Any])


def is_busy(exc: BaseException) -> bool:
    """The database is locked by another connection (retry later), not broken."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)  # Python 3.10: no error codes


class WriteBehind:
    """One daemon thread applying queued writes in order; see the module docstring."""

    def __init__(
        self,
        on_error: Callable[[str], None],
        *,
        retry_every: float = 0.25,
        describe: Callable[[BaseException], str] = str,
    ) -> None:
        self.on_error = on_error
        self.retry_every = retry_every
        self.describe = describe
        self.blocked = False  # the head write is waiting for another session's lock
        self._jobs: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._busy = False  # a write is being applied right now
        self._stop = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="fwlearn-store", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Writes queued and not yet applied (the one being applied included)."""
        with self._wake:
            return len(self._jobs)

    def submit(self, write: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self._wake:
            self._jobs.append((write, future))
            self._wake.notify_all()
        return future

    def flush(self, timeout: float) -> bool:
        """Wait until every queued write is applied; gives up at once while the database is
        locked by someone else (the caller reads what is there) and after ``timeout``."""
        with self._wake:
            self._wake.wait_for(lambda: not self._jobs or self.blocked, timeout)
            return not self._jobs

    def close(self, timeout: float) -> bool:
        """Apply what is queued (for at most ``timeout`` seconds), then stop the thread.

        Returns whether everything was written."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        self._thread.join(timeout)
        with self._wake:
            return not self._jobs

    def _loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: bool(self._jobs) or self._stop)
                if not self._jobs:
                    return  # stopped, and everything is written
                write, future = self._jobs[0]
            try:
                result = write()
            except Exception as exc:
                if is_busy(exc):
                    self._blocked()
                    continue  # the same write again, after a pause
                self.on_error(self.describe(exc))
                result = None  # reported; this write is dropped, the next ones still go
            with self._wake:
                self._jobs.popleft()
                self.blocked = False
                self._wake.notify_all()
            future.set_result(result)

    def _blocked(self) -> None:
        with self._wake:
            first = not self.blocked
            self.blocked = True
            self._wake.notify_all()  # flush() stops waiting for a write that cannot go yet
        if first:
            self.on_error(LOCKED_MESSAGE)
        with self._wake:
            # A close() during a long lock still waits its timeout, then the process may exit.
            self._wake.wait(self.retry_every)


class Guarded(Protocol):
    """What ``failsafe`` uses of the store it guards (``fwlearn.store.Store``)."""

    busy_timeout: float
    on_error: Callable[[str], None] | None
    _writer: WriteBehind | None

    def _failure(self, exc: BaseException) -> str: ...


def failsafe(default: Callable[..., Any], *, write: bool = False) -> Callable[[Method], Method]:
    """In the app (``on_error`` set), a database that fails mid-session (disk full, a read-only
    folder, damage) must not take the app down: the failure is reported and ``default`` is
    returned, so the learner keeps working (unsaved edits stay in the editor). Without
    ``on_error`` (``fwlearn progress``) the error propagates to a clear message.

    ``write``: with the app's writer running, the change is queued and the call returns at
    once (``record_run`` waits briefly for its result: the screen shows it)."""

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        def wrapper(self: Guarded, *args: Any, **kwargs: Any) -> Any:
            writer = self._writer
            if writer is not None and write:
                future = writer.submit(functools.partial(method, self, *args, **kwargs))
                if method.__name__ != "record_run":
                    return None
                writer.flush(self.busy_timeout * 2)
                return future.result(0) if future.done() else default(*args, **kwargs)
            if writer is not None:
                writer.flush(self.busy_timeout * 2)
            try:
                return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                if self.on_error is None:
                    raise
                self.on_error(self._failure(exc))
                return default(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
