"""A spare imports its framework at idle priority, and runs the learner's program at normal.

The replacement spare starts the moment a run takes the current one, so it imports torch or
tensorflow while the learner's program trains. At normal priority that import slowed a torch
training run by 32 % (FACTS.md); at idle priority it only uses a core nothing else wants.

Two levers, because each one alone fails somewhere:

* **Autogroup nice.** With ``kernel.sched_autogroup_enabled`` (most desktop kernels, and these
  machines), every session is its own scheduling group and groups share the CPU equally,
  whatever the nice value or policy of the threads inside. Each worker starts its own session,
  so ``SCHED_IDLE`` alone changed nothing: two CPU-bound loops on one core, one of them
  SCHED_IDLE in its own session, still split 50.0 % / 50.0 %; with the spare's autogroup at
  nice 19 the spare got 1.9 % (a throwaway ``taskset -c 0`` script, 3 s each, 6.18 kernel).
  Raising an autogroup's nice back to 0 needs no privilege (only negative values do), though
  the kernel rate-limits changes to one per 100 ms machine-wide for non-admins.
* **SCHED_IDLE** for every thread, where the autogroup does not apply (autogroups off, or the
  process in a CPU cgroup). Lowering is always allowed; going back to SCHED_OTHER needs
  CAP_SYS_NICE or an RLIMIT_NICE of 20 (``ulimit -e``; 0 on most distributions). Back is a must:
  threads inherit the policy, so a program started at SCHED_IDLE would train at idle priority.
  So SCHED_IDLE is used only where this process proves it can undo it.

Only while a run goes on: a spare that imports while nothing else runs has the machine to
itself, and at idle priority it could wait forever on a busy one (measured: with the load
average at 8 on these 2 cores, a keras spare was not ready after 5 minutes). So the pool lowers
its spares when a run starts and raises them back when the last run ends, and raises the one a
run takes before handing it the program. All from the engine's side (``lower``/``restore`` on
the spare's process tree): inside its user namespace the worker holds no capability that counts
for the scheduler. The engine lowers a spare right after spawning it, before its interpreter
has started (let alone forked its sandbox or a framework's threads), so everything inherits it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Iterable

# The user's choice: "normal" turns idle priority off (bench/spare_cost.py compares both).
CHOICE_ENV = "FWLEARN_SPARE_PRIORITY"
AUTOGROUP = "autogroup"  # the session's autogroup at nice 19
IDLE = "idle"  # every thread SCHED_IDLE (and the autogroup too, where there is one)
NORMAL = "normal"  # no lever available (or chosen): spares import at normal priority
AUTOGROUP_SWITCH = "/proc/sys/kernel/sched_autogroup_enabled"
LOW_NICE = 19


@functools.lru_cache(maxsize=1)
def mode() -> str:
    """The levers this machine lets the engine pull and undo: ``idle``, ``autogroup`` or
    ``normal``. Asked once per process (the answer does not change)."""
    if os.environ.get(CHOICE_ENV, "").lower() in ("normal", "off", "0"):
        return NORMAL
    if not sys.platform.startswith("linux"):
        return NORMAL
    if _idle_is_undoable():
        return IDLE
    if autogroups_on():
        return AUTOGROUP
    return NORMAL


def describe() -> str:
    """One line for ``fwlearn doctor``."""
    current = mode()
    if current == IDLE:
        return "idle (SCHED_IDLE + autogroup nice 19), normal once a run takes the spare"
    if current == AUTOGROUP:
        return "low (autogroup nice 19), normal once a run takes the spare"
    why = (
        f"{CHOICE_ENV}=normal"
        if os.environ.get(CHOICE_ENV)
        else "no autogroups and SCHED_IDLE cannot be undone here (RLIMIT_NICE 0, no CAP_SYS_NICE)"
    )
    return f"normal ({why}): replacements wait until runs end"


def autogroups_on() -> bool:
    try:
        with open(AUTOGROUP_SWITCH, encoding="ascii") as handle:
            return handle.read().strip() == "1"
    except OSError:
        return False


def _idle_is_undoable() -> bool:
    """Lower a throwaway thread to SCHED_IDLE and try to bring it back (the same kernel check
    as for another process of ours: CAP_SYS_NICE or RLIMIT_NICE)."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    undone: list[bool] = []

    def probe() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            undone.append(True)
        except OSError:
            undone.append(False)

    thread = threading.Thread(target=probe, name="fwlearn-priority-probe")
    thread.start()
    thread.join()
    return bool(undone and undone[0])


def lower(pids: Iterable[int], lever: str) -> bool:
    """Every thread of these processes (a spare's tree) to idle priority; False where the
    autogroup's rate limit refused (try again in 100 ms)."""
    return _apply(list(pids), lever, low=True)


def restore(pids: Iterable[int], lever: str) -> bool:
    """Every thread of these processes back to normal priority (same False as ``lower``)."""
    return _apply(list(pids), lever, low=False)


def _apply(pids: list[int], lever: str, low: bool) -> bool:
    if lever == IDLE:
        policy = os.SCHED_IDLE if low else os.SCHED_OTHER
        seen: set[int] = set()
        for _ in range(5):  # a thread started while we walk the list: walk again
            tids = {tid for pid in pids for tid in _threads(pid)} - seen
            if not tids:
                break
            for tid in tids:
                with contextlib.suppress(OSError):  # gone meanwhile
                    os.sched_setscheduler(tid, policy, os.sched_param(0))
            seen |= tids
    if lever in (IDLE, AUTOGROUP) and pids:
        # One autogroup per session: the spare's first process speaks for the whole tree.
        return _set_autogroup(str(pids[0]), LOW_NICE if low else 0)
    return True


def _threads(pid: int) -> list[int]:
    try:
        return [int(name) for name in os.listdir(f"/proc/{pid}/task")]
    except (OSError, ValueError):
        return []


def _set_autogroup(pid: str, nice: int) -> bool:
    try:
        with open(f"/proc/{pid}/autogroup", "w", encoding="ascii") as handle:
            handle.write(str(nice))
        return True
    except FileNotFoundError:  # no autogroup support in this kernel: nothing to undo
        return True
    except OSError:
        return False


def autogroup_nice(pid: int) -> int | None:
    """The autogroup nice of ``pid``'s session (tests and doctor); None without autogroups."""
    try:
        with open(f"/proc/{pid}/autogroup", encoding="ascii") as handle:
            return int(handle.read().rsplit("nice", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


def policy_of(pid: int) -> int | None:
    """The scheduling policy of ``pid``'s main thread (tests); None if it is gone."""
    try:
        return os.sched_getscheduler(pid)
    except OSError:
        return None
