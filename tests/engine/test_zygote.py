"""Spares forked from a zygote (engine/zygote.py): warm back to back, sandboxed and seen by the
program exactly as a fresh start, and no run cut short when its key is let go.

torch only: its zygote imports in ~2 s where tensorflow takes ~5 s; the code path is the same.
bench/rerun.py measures both frameworks' first output at 1-5 s gaps.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal

import pytest

from fwlearn.engine import Run, RunResult, RunSpec, SpareKey, WarmPool
from fwlearn.engine.proctree import alive

pytestmark = pytest.mark.frameworks

TORCH = SpareKey("pytorch")
# What a program can tell about the process it runs in. A forked spare must say the same as a
# fresh worker: its environment, sandbox (pid namespace, private /tmp, no network), priority,
# open files, and the modules a fresh `import torch` leaves loaded.
LOOK_AROUND = r"""
import os, socket, sys
import torch
print("pid", os.getpid(), "ppid", os.getppid())
print("env", sorted(os.environ))
print("tmp", sorted(os.listdir("/tmp")))
print("procs", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
try:
    socket.create_connection(("10.255.255.1", 9), timeout=0.5)
    print("network", "yes")
except OSError as exc:
    print("network", type(exc).__name__)
nice = open("/proc/self/autogroup").read().rsplit("nice", 1)[1].strip()
print("priority", os.sched_getscheduler(0), nice)
fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
print("fds", len(fds), fds[:4])  # the event channel's number is the engine's pipe's: it varies
print("threads", torch.get_num_threads(), "cwd", os.getcwd() == os.path.dirname(__file__))
print("argv", sys.argv[1:], "stdin", sys.stdin.isatty())
"""


def masked(text: str) -> str:
    return re.sub(r"fwlearn-run-[\w-]+", "fwlearn-run-…", text)  # each run's own work dir


def spec(source: str) -> RunSpec:
    return RunSpec(source=source, framework="pytorch", timeout=120)


async def drain(run: Run) -> RunResult:
    return RunResult([event async for event in run.events()])


async def forked_pool() -> WarmPool:
    """A ready pool whose next torch spare is a fork (its first spare was started, and is
    taken here by a throwaway run)."""
    pool = WarmPool()
    pool.want([TORCH])
    assert await pool.ready(300)
    assert pool.zygote_ready(TORCH)
    assert (await drain(Run(spec("pass\n"), pool))).ok
    assert await pool.ready(60)
    return pool


async def runs_at_a_fast_pace(pool: WarmPool) -> list[str]:
    """What each of four runs 0.3 s apart found: a ready spare, or one still importing."""
    found = []
    for number in range(4):
        await asyncio.sleep(0.3)
        run = Run(spec(f"import torch\nprint({number}, torch.__version__)\n"), pool)
        found.append(run.readiness())
        assert (await drain(run)).ok
    await pool.close()
    return found


def test_runs_a_moment_apart_all_find_a_ready_fork() -> None:
    """0.3 s between runs: a started replacement is still importing torch (~2 s of CPU), so
    with two started spares per key the third run waited for one ("warming up")."""

    async def scenario() -> list[str]:
        return await runs_at_a_fast_pace(await forked_pool())

    assert asyncio.run(scenario()) == ["ready"] * 4


def test_a_fork_looks_like_a_fresh_start_from_inside() -> None:
    async def scenario() -> tuple[RunResult, RunResult, bool]:
        cold = await drain(Run(spec(LOOK_AROUND)))
        pool = await forked_pool()
        run = Run(spec(LOOK_AROUND), pool)
        forked = await drain(run)
        await pool.close()
        return cold, forked, run.warm

    cold, forked, warm = asyncio.run(scenario())
    assert warm and cold.ok, cold.stderr
    assert masked(forked.stdout) == masked(cold.stdout)
    assert forked.stderr == cold.stderr


def test_a_running_fork_outlives_its_key_and_nothing_outlives_the_pool() -> None:
    """The learner opens another lesson while a run goes: the zygote is retired, not killed
    (its children would die with it); closing the pool leaves no process behind."""

    async def scenario() -> tuple[RunResult, list[int]]:
        pool = await forked_pool()
        run = Run(
            spec("import time\nprint('one', flush=True)\ntime.sleep(1.5)\nprint('two')\n"), pool
        )
        task = asyncio.create_task(drain(run))
        await asyncio.sleep(0.5)
        pids = [pid for pid in (run.child.pid,) if pid is not None]
        pool.want([])  # the next lesson needs no torch
        result = await task
        await pool.close()
        return result, pids

    result, pids = asyncio.run(scenario())
    assert result.ok and result.stdout.split() == ["one", "two"]
    assert pids and not any(alive(pid) for pid in pids)


def test_a_dead_zygote_means_started_spares_again() -> None:
    async def scenario() -> tuple[bool, RunResult, bool]:
        pool = await forked_pool()
        zygote_pid = pool.zygote_pid(TORCH)
        assert zygote_pid is not None
        os.kill(zygote_pid, signal.SIGKILL)  # its idle fork dies with it
        while pool.zygote_ready(TORCH):
            await asyncio.sleep(0.01)
        run = Run(spec("print('still here')\n"), pool)
        result = await drain(run)
        await pool.close()
        return run.warm, result, alive(zygote_pid)

    _warm, result, zygote_alive = asyncio.run(scenario())
    assert result.ok and result.stdout == "still here"
    assert not zygote_alive
