"""Warm spares: a worker per framework that has already imported it and waits for one job.

A fresh ``python`` that imports torch takes ~1.2 s before its first line, tensorflow/keras ~2.5-3 s.
A spare that did that ahead of time answers in milliseconds, and it still runs exactly one
snippet and exits, so no state survives from run to run. Spares are pre-spawned rather than
forked from a zygote: forking after a framework has run any op hangs (measured: 4/4 children).

A run takes the spare; replacements are started once no run is going on (with "run both", not
when the first side ends), so importing tensorflow never slows a training run (measured: +32 %
on a torch run).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

from .environment import CONTROL_FD_ENV, WORKER_ARGV, child_env, default_threads
from .process import ChildProcess
from .runtime import ENV_FD
from .workdirs import make_workdir, work_folder

# A spare's private /tmp and /dev/shm are sized before its run's memory cap is known: at the
# default cap. The cap itself is enforced by the engine, which counts what they hold.
SPARE_MEMORY_MB = 4096


@dataclass(frozen=True)
class SpareKey:
    """What a spare was prepared for; a run can use it only if every field matches."""

    framework: str
    keras_backend: str = "tensorflow"
    device: str = "auto"
    network: bool = False

    @classmethod
    def for_spec(
        cls, framework: str, keras_backend: str, device: str, network: bool = False
    ) -> SpareKey:
        backend = keras_backend if framework == "keras" else "tensorflow"
        return cls(framework, backend, device, network)


class WarmPool:
    """At most one idle spare per key in ``wanted``; call ``close()`` when done."""

    def __init__(self, enabled: bool = True, spawn_while_running: bool = False) -> None:
        """``spawn_while_running``: replace spares even while runs go on, for batch work with
        a core kept free for it (``fwlearn check --jobs 1``); the app never does, so importing
        a framework cannot slow the learner's training."""
        self.enabled = enabled
        self.spawn_while_running = spawn_while_running
        self._wanted: set[SpareKey] = set()
        self._spares: dict[SpareKey, ChildProcess] = {}
        self._starting: dict[SpareKey, asyncio.Task[None]] = {}
        self._running = 0  # runs under way with this pool, warm or cold
        self._closed = False

    @property
    def spares(self) -> dict[SpareKey, ChildProcess]:
        return dict(self._spares)

    def want(self, keys: Iterable[SpareKey]) -> None:
        """Keep spares for exactly these keys (e.g. the open lesson's frameworks)."""
        if not self.enabled or self._closed:
            return
        self._wanted = set(keys)
        for key in list(self._spares):
            if key not in self._wanted:
                self._discard(key)
        if not self._running or self.spawn_while_running:
            for key in self._wanted:
                self._replenish(key)

    @property
    def running(self) -> int:
        """Runs under way with this pool, this one included once ``run_started`` was called:
        the engine splits the cores between them (``environment.default_threads``)."""
        return self._running

    def run_started(self) -> None:
        """A run begins: no spare is spawned until every run has ended, so importing a
        framework never competes with a learner's training for the cores."""
        self._running += 1

    async def take(self, key: SpareKey) -> ChildProcess | None:
        """A live spare for ``key`` (ready, or still importing), or None for a cold start.

        A spare still importing is worth taking: it is further along than a cold start. Its
        readiness watcher reads the same event pipe as the run will, so it is stopped first.
        """
        # Popped here, not only in _spawn's finally: a task cancelled before it ever ran never
        # reaches that finally, and left in _starting it blocked every later spare for the key
        # (and made ready() spin). The soak test (tests/faults/test_soak.py) found it.
        starting = self._starting.pop(key, None)
        if starting is not None:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        spare = self._spares.pop(key, None)
        if spare is None:
            return None
        if spare.returncode is not None:  # died while idle (e.g. killed): start cold
            spare.close()
            _remove_workdir(spare)
            return None
        return spare

    def release(self) -> None:
        """A run ended; once none is left, prepare spares for every wanted kind."""
        self._running = max(0, self._running - 1)
        if not self._running or self.spawn_while_running:
            for wanted in self._wanted:
                self._replenish(wanted)

    async def ready(self, timeout: float = 30.0) -> bool:
        """Wait until every wanted spare has imported its framework (for tests and benches)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._all_ready(), timeout)
            return True
        return False

    async def _all_ready(self) -> None:
        while self._starting:
            await asyncio.gather(*self._starting.values(), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        for task in self._starting.values():
            task.cancel()
        reaping = [self._discard(key) for key in list(self._spares)]
        await asyncio.gather(*(task for task in reaping if task is not None))

    def _replenish(self, key: SpareKey) -> None:
        if self._closed or key in self._spares or key in self._starting:
            return
        self._starting[key] = asyncio.get_running_loop().create_task(self._spawn(key))

    async def _spawn(self, key: SpareKey) -> None:
        child = ChildProcess()
        try:
            # The spare's sandbox is built now, before its job is known: its work dir too,
            # so the run that takes it fills that one (the sandbox binds it in at start).
            child.workdir = make_workdir()
            env = child_env(
                key.framework,
                key.keras_backend,
                key.device,
                default_threads(1),
                network=key.network,
                memory_mb=SPARE_MEMORY_MB,
                binds=[str(child.workdir)],
            )
            env["FWLEARN_WARM"] = "1"
            await child.start(
                WORKER_ARGV,
                env,
                work_folder(child.workdir),
                ENV_FD,
                CONTROL_FD_ENV,
            )
            self._spares[key] = child
            await child.wait_ready()
        except OSError:
            _remove_workdir(child)
        except asyncio.CancelledError:
            if self._spares.get(key) is not child:  # cancelled while starting: nobody owns it
                child.kill_tree()
                child.close()
                _remove_workdir(child)
            raise
        finally:
            if self._starting.get(key) is asyncio.current_task():
                del self._starting[key]

    def _discard(self, key: SpareKey) -> asyncio.Task[int | None] | None:
        """Kill an idle spare; the returned task reaps it (so its pipes close cleanly)."""
        spare = self._spares.pop(key, None)
        if spare is None:
            return None
        spare.kill_tree()
        spare.close()
        _remove_workdir(spare)
        return asyncio.get_running_loop().create_task(spare.wait(5))


def _remove_workdir(child: ChildProcess) -> None:
    if child.workdir is not None:
        shutil.rmtree(child.workdir, ignore_errors=True)
        child.workdir = None


def pool_enabled_by_env() -> bool:
    """``FWLEARN_NO_WARM=1`` turns warm spares off everywhere (the app's ``--no-warm``)."""
    return os.environ.get("FWLEARN_NO_WARM", "") in ("", "0")
