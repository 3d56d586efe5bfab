"""Warm spares: a worker per framework that has already imported it and waits for one job.

A fresh ``python`` that imports torch takes ~1.2 s before its first line, tensorflow/keras ~2.5-3 s.
A spare that did that ahead of time answers in milliseconds, and it still runs exactly one
snippet and exits, so no state survives from run to run.

The learner's loop is run, read, edit, run again, so a ready spare must be there for the *next*
run too: when a run of a wanted key takes its spare (or starts cold), the replacement starts at
once, at idle priority (``priority``), so it imports beside the learner's training without
slowing it; the spare a run takes is back at normal priority before its program starts. A spare
still importing when a run wants it is taken anyway: it is never behind a cold start (the same
import, begun earlier), and the app can say "warming up" (``readiness``). Batch work
(``fwlearn check``) takes ready spares only: a half-ready one keeps importing for the next job
while this one starts cold. Idle spares stay within a memory budget (``spare_budget``).

One spare per key is not enough at a learner's pace: measured with ``bench/rerun.py --runs 3``
on an idle 2-core machine, a replacement started with a short run was still importing 1-2 s
after it ended (first output p95 825-1363 ms for torch, p50 2115 ms for keras/tensorflow at 2 s
gaps), since importing tensorflow alone takes ~5.7 s of CPU. So the app keeps ``DEPTH`` spares
per key where the budget allows: a run takes the ready one, and its replacement has two runs'
time to import. The second spares are the first to go when memory is short (they come last in
the wanted order).

Two spares were still not enough for "run both" (F7) at a learner's pace: a pair needs ~7 s of
CPU of imports (torch ~2, tensorflow and keras ~5) and 2 cores have 4 in a 2 s pause, so the
third pair 2 s apart waited (first output p95 4.2 s, ``bench/rerun.py --runs 5``). So each
framework key also gets a zygote (``zygote.py``): a process that imported the framework and
ran nothing, from which spares are forked in milliseconds, sharing its memory. Its first spare
is still started the usual way (the zygote imports at idle priority beside it), a key with a
zygote keeps one spare instead of ``DEPTH``, and a run that finds no spare waits for a fork
(``FORK_WAIT``) rather than start cold. Measured the same way with zygotes: F7 pairs 1 s apart,
first output p50 7.9 ms, p95 16.6 ms (cold 3.3 s). A zygote whose import fails is not retried;
its key's spares are started as before and report the error to the learner.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from . import priority, spare_budget
from .environment import CONTROL_FD_ENV, WORKER_ARGV, child_env, default_threads
from .forking import Zygote
from .process import ChildProcess
from .proctree import descendants
from .runtime import ENV_FD
from .workdirs import make_workdir, work_folder

# A spare's private /tmp and /dev/shm are sized before its run's memory cap is known: at the
# default cap. The cap itself is enforced by the engine, which counts what they hold.
SPARE_MEMORY_MB = 4096
DEPTH = 2  # spares per key for the app; batch work (fwlearn check) keeps one
# What a spare forked from a zygote holds of its own: it shares the framework's pages with the
# zygote. Measured: 8 MB keras/tensorflow, 6 MB torch (Private_Clean + Private_Dirty in
# /proc/PID/smaps_rollup over the spare's tree, ready and idle; RSS says 808 and 679 MB).
FORKED_SPARE_MB = 32
FORK_WAIT = 2.0  # seconds a run waits for a fork before it starts cold

Slot = tuple["SpareKey", int]  # a key and which of its spares (0 first)


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
    """Up to ``depth`` idle spares per wanted key, within the memory budget; ``close()`` when
    done."""

    def __init__(
        self,
        enabled: bool = True,
        spawn_while_running: bool = False,
        *,
        batch: bool = False,
        budget_mb: int | None = None,
        depth: int | None = None,
        fork: bool | None = None,
    ) -> None:
        """``batch``: for batch work (``fwlearn check``): hand out ready spares only (a
        half-ready one keeps importing for the next job). ``spawn_while_running`` is its old
        name. ``budget_mb``: idle spares' memory (default ``spare_budget.budget_mb()``).
        ``depth``: spares per key (default ``DEPTH``, 1 for batch work). ``fork``: keep a zygote
        per key and fork spares from it (default: on Linux, unless ``FWLEARN_NO_FORK=1``)."""
        self.enabled = enabled
        self.batch = batch or spawn_while_running
        self.depth = max(1, depth if depth is not None else (1 if self.batch else DEPTH))
        self.budget_mb = spare_budget.budget_mb() if budget_mb is None else budget_mb
        self.lever = priority.mode()
        # Where no priority lever exists, a replacement importing beside a run slows it (+32 %
        # measured): the app then waits for its runs to end, as before; batch work does not.
        self._defer = self.lever == priority.NORMAL and not self.batch
        self._wanted: list[SpareKey] = []  # in order of preference: the budget cuts the tail
        self._spares: dict[Slot, ChildProcess] = {}
        self._starting: dict[Slot, asyncio.Task[None]] = {}
        self._measured_mb: dict[SpareKey, float] = {}
        self._low: set[ChildProcess] = set()  # spares lowered while a run goes on
        self._running = 0  # runs under way with this pool, warm or cold
        self._closed = False
        self.fork = fork_enabled_by_env() if fork is None else fork
        self._zygotes: dict[SpareKey, Zygote] = {}
        self._zygote_tasks: dict[SpareKey, asyncio.Task[None]] = {}
        self._retired: list[Zygote] = []  # no longer wanted; they leave after their children
        self._failed: set[SpareKey] = set()  # keys whose zygote could not import

    @property
    def spares(self) -> dict[SpareKey, ChildProcess]:
        """The spare a run of each key would take now (ready first, else one still importing)."""
        best: dict[SpareKey, ChildProcess] = {}
        for key in dict.fromkeys(slot[0] for slot in self._spares):
            spare = self._best(key)
            if spare is not None:
                best[key] = spare[1]
        return best

    def spares_of(self, key: SpareKey) -> list[ChildProcess]:
        """Every live spare of ``key``, ready or still importing (at most ``depth``)."""
        return [c for (k, _), c in sorted(self._spares.items(), key=_slot_order) if k == key]

    def starting(self, key: SpareKey) -> bool:
        """Whether a spare of ``key`` is being started (its interpreter not up yet, or importing)."""
        return any(slot[0] == key for slot in self._starting)

    def held(self, key: SpareKey) -> int:
        """Spares of ``key`` there are or are being started (at most ``depth``)."""
        return len({slot for slot in (*self._spares, *self._starting) if slot[0] == key})

    @property
    def wanted(self) -> list[SpareKey]:
        return list(self._wanted)

    def want(self, keys: Iterable[SpareKey]) -> None:
        """Keep spares for exactly these keys (the open lesson's), the first ones first."""
        if not self.enabled or self._closed:
            return
        self._wanted = list(dict.fromkeys(keys))
        for key in [key for key in self._zygotes if key not in self._wanted]:
            self._retire(key)
        for slot in list(self._spares):
            if slot[0] not in self._wanted:
                self._discard(slot)
        for slot in list(self._starting):
            if slot[0] not in self._wanted:
                self._starting.pop(slot).cancel()
        self._replenish_all()

    def readiness(self, key: SpareKey) -> str:
        """What a run of ``key`` would get now: "ready" (output in milliseconds), "warming up"
        (a spare still importing: the run waits for it) or "cold" (a fresh start)."""
        best = self._best(key)
        if best is None:
            return "cold"
        if best[1].ready:
            return "ready"
        return "cold" if self.batch else "warming up"

    def cost_mb(self, key: SpareKey) -> float:
        """An idle spare of ``key``: measured here once one was ready, else the estimate."""
        measured = self._measured_mb.get(key)
        if measured is not None:
            return measured
        return spare_budget.estimate_mb(key.framework, key.keras_backend)

    @property
    def running(self) -> int:
        """Runs under way with this pool, this one included once ``run_started`` was called:
        the engine splits the cores between them (``environment.default_threads``)."""
        return self._running

    def run_started(self) -> None:
        """A run begins: spares still importing go to idle priority until every run ended."""
        self._running += 1
        for spare in self._spares.values():
            if not spare.ready:
                self._set_low(spare, True)

    async def take(self, key: SpareKey) -> ChildProcess | None:
        """A live spare for ``key`` (ready, or still importing), or None for a cold start.

        Either way the key's replacement starts now, at idle priority, so it is ready for the
        learner's next run. The spare handed out is back at normal priority first.
        """
        for slot, child in list(self._spares.items()):
            if slot[0] == key and child.returncode is not None and slot not in self._starting:
                self._discard(slot)  # died while idle (e.g. killed): replaced below
        best = self._best(key)
        if best is None and self.zygote_ready(key):
            best = await self._fork_now(key)
        if best is None:
            self._replenish_all()
            return None
        if not best[1].ready and self.batch:
            return None  # it goes on importing, for the next job
        slot = best[0]
        # Popped here, not only in _spawn's finally: a task cancelled before it ever ran never
        # reaches that finally, and left in _starting it blocked every later spare for the key
        # (and made ready() spin). The soak test (tests/faults/test_soak.py) found it.
        starting = self._starting.pop(slot, None)
        if starting is not None:  # its readiness watcher reads the run's event pipe: stop it
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        spare = self._spares.pop(slot, None)
        self._replenish_all()
        if spare is None:
            return None
        if spare.returncode is not None:  # died while idle (e.g. killed): start cold
            self._low.discard(spare)
            spare.close()
            _remove_workdir(spare)
            return None
        self._set_low(spare, False)  # the learner's program runs at normal priority
        return spare

    def release(self) -> None:
        """A run ended: replace what is missing (a spare that died, one deferred); once no run
        is left, the spares import at normal priority (at idle, a busy machine starves them)."""
        self._running = max(0, self._running - 1)
        if not self._running:
            for spare in list(self._low):
                self._set_low(spare, False)
        self._replenish_all()

    async def ready(self, timeout: float = 30.0) -> bool:
        """Wait until every wanted spare has imported its framework (for tests and benches)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._all_ready(), timeout)
            return True
        return False

    async def _all_ready(self) -> None:
        """Every spare started, and every zygote imported (or given up)."""
        while self._starting or self._zygote_tasks:
            tasks = [*self._starting.values(), *self._zygote_tasks.values()]
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        for task in [*self._starting.values(), *self._zygote_tasks.values()]:
            task.cancel()
        reaping = [self._discard(slot) for slot in list(self._spares)]
        await asyncio.gather(*(task for task in reaping if task is not None))
        zygotes = [*self._zygotes.values(), *self._retired]
        self._zygotes, self._retired = {}, []
        await asyncio.gather(*(zygote.close() for zygote in zygotes))

    def zygote_ready(self, key: SpareKey) -> bool:
        """Whether spares of ``key`` are forked from a zygote (milliseconds) now."""
        zygote = self._zygotes.get(key)
        return zygote is not None and zygote.ready

    def zygote_pid(self, key: SpareKey) -> int | None:
        zygote = self._zygotes.get(key)
        return zygote.pid if zygote is not None else None

    async def _fork_now(self, key: SpareKey) -> tuple[Slot, ChildProcess] | None:
        """No spare of ``key`` (its replacement is being forked, or the budget had none): a
        fork is ready in tens of milliseconds, where a cold start takes seconds."""
        self._replenish_all()
        task = self._starting.get((key, 0))
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), FORK_WAIT)
            except (asyncio.TimeoutError, OSError):
                pass  # a cold start, then
            except asyncio.CancelledError:
                if not task.cancelled():  # the run itself was cancelled: let it go
                    raise
        return self._best(key)

    def _best(self, key: SpareKey) -> tuple[Slot, ChildProcess] | None:
        """The live spare of ``key`` a run would take: a ready one, else one still importing
        (the lower slot's; either is behind no cold start)."""
        alive = [
            (slot, child)
            for slot, child in sorted(self._spares.items(), key=_slot_order)
            if slot[0] == key and child.returncode is None
        ]
        return next((pair for pair in alive if pair[1].ready), alive[0] if alive else None)

    def _replenish_all(self) -> None:
        if self._closed or not self.enabled or (self._defer and self._running):
            return
        # Every key's first spare, then its zygote, then the second spares, which a key with a
        # zygote does not need (its next spare is a fork away): a tight budget cuts the last.
        loop = asyncio.get_running_loop()
        for index in range(self.depth):
            for key in self._wanted:
                slot = (key, index)
                if index and key in self._zygotes:
                    continue
                if slot not in self._spares and slot not in self._starting and self._fits(key):
                    self._starting[slot] = loop.create_task(self._spawn(slot))
            if index == 0 and self.fork:
                for key in self._wanted:
                    if not self._wants_zygote(key):
                        continue
                    if key not in self._zygotes and self._fits(key):
                        self._zygotes[key] = Zygote()
                        self._zygote_tasks[key] = loop.create_task(self._start_zygote(key))

    def _fits(self, key: SpareKey) -> bool:
        """Would a spare of ``key`` keep the idle spares (and those importing) in budget?"""
        held = sum(self._slot_mb(slot[0]) for slot in {*self._spares, *self._starting})
        held += sum(self.cost_mb(zygote_key) for zygote_key in self._zygotes)
        return held + self._slot_mb(key) <= self.budget_mb

    def _wants_zygote(self, key: SpareKey) -> bool:
        """A framework's key (plain python starts in ~60 ms anyway), whose zygote did not fail."""
        return key.framework != "python" and key not in self._failed

    def _slot_mb(self, key: SpareKey) -> float:
        """A spare of ``key``: a fork of its zygote shares the framework's memory."""
        return FORKED_SPARE_MB if self.zygote_ready(key) else self.cost_mb(key)

    def _set_low(self, child: ChildProcess, low: bool) -> None:
        """Lower or raise a spare's whole tree (a no-op when it already is, or cannot be)."""
        if self.lever == priority.NORMAL or child.pid is None or (child in self._low) == low:
            return
        if low:
            self._low.add(child)
        else:
            self._low.discard(child)
        change = priority.lower if low else priority.restore
        pids = [child.pid, *descendants(child.pid)]
        if not change(pids, self.lever):  # the autogroup's 100 ms rate limit: once more
            asyncio.get_running_loop().call_later(0.11, change, pids, self.lever)

    async def _spawn(self, slot: Slot) -> None:
        key = slot[0]
        child = ChildProcess()
        try:
            # The spare's sandbox is built now, before its job is known: its work dir too,
            # so the run that takes it fills that one (the sandbox binds it in at start).
            child.workdir = make_workdir()
            env = {**_key_env(key, binds=[str(child.workdir)]), "FWLEARN_WARM": "1"}
            cwd = work_folder(child.workdir)
            zygote = self._zygotes.get(key)
            forked = bool(zygote and zygote.ready and await child.start_forked(zygote, env, cwd))
            if not forked:
                await child.start(WORKER_ARGV, env, cwd, ENV_FD, CONTROL_FD_ENV)
            self._spares[slot] = child
            if self._running:  # beside a run: idle priority (before its interpreter is up)
                self._set_low(child, True)
            if await child.wait_ready() and not forked:  # a fork's RSS counts shared pages
                self._measured_mb[key] = child.usage().rss / (1 << 20)
        except OSError:
            _remove_workdir(child)
        except asyncio.CancelledError:
            if self._spares.get(slot) is not child:  # cancelled while starting: nobody owns it
                self._low.discard(child)
                child.kill_tree()
                child.close()
                _remove_workdir(child)
            raise
        finally:
            if self._starting.get(slot) is asyncio.current_task():
                del self._starting[slot]

    async def _start_zygote(self, key: SpareKey) -> None:
        zygote = self._zygotes[key]
        try:
            if not await zygote.start_low(_key_env(key), self.lever):
                self._failed.add(key)  # e.g. the framework is not installed: spares say so
                self._retire(key)
        except OSError:
            self._failed.add(key)
            self._zygotes.pop(key, None)
        finally:
            self._zygote_tasks.pop(key, None)

    def _retire(self, key: SpareKey) -> None:
        zygote = self._zygotes.pop(key, None)
        task = self._zygote_tasks.pop(key, None)
        if task is not None:
            task.cancel()
        if zygote is not None:
            zygote.retire()
            self._retired.append(zygote)

    def _discard(self, slot: Slot) -> asyncio.Task[int | None] | None:
        """Kill an idle spare; the returned task reaps it (so its pipes close cleanly)."""
        spare = self._spares.pop(slot, None)
        if spare is None:
            return None
        self._low.discard(spare)
        spare.kill_tree()
        spare.close()
        _remove_workdir(spare)
        return asyncio.get_running_loop().create_task(spare.wait(5))


def _key_env(key: SpareKey, binds: list[str] | None = None) -> dict[str, str]:
    """A spare's environment (and its zygote's, which has no work dir to bind)."""
    return child_env(
        key.framework,
        key.keras_backend,
        key.device,
        default_threads(1),
        network=key.network,
        memory_mb=SPARE_MEMORY_MB,
        binds=binds or [],
    )


def _slot_order(item: tuple[Slot, ChildProcess]) -> int:
    return item[0][1]


def _remove_workdir(child: ChildProcess) -> None:
    if child.workdir is not None:
        shutil.rmtree(child.workdir, ignore_errors=True)
        child.workdir = None


def fork_enabled_by_env() -> bool:
    """Zygotes need fork and Linux namespaces; ``FWLEARN_NO_FORK=1`` turns them off."""
    return sys.platform.startswith("linux") and os.environ.get("FWLEARN_NO_FORK", "") in ("", "0")


def pool_enabled_by_env() -> bool:
    """``FWLEARN_NO_WARM=1`` turns warm spares off everywhere (the app's ``--no-warm``)."""
    return os.environ.get("FWLEARN_NO_WARM", "") in ("", "0")
