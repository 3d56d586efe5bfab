"""Soak: 200 runs back to back through one warm pool, as a long session would make them.

Ok, failing (exception, ``sys.exit``, abort, SIGKILL) and cancelled runs are mixed, with a few
PyTorch runs when torch is installed; every other run waits for the spare to be ready (a learner
reading), the rest start right after the last run ended (the replacement still starting). At the end nothing may be left: no process from any run,
no file descriptor, no temp directory, and this process's memory (the UI's side of the engine)
is flat after a warm-up. Kept out of the default run: ``pytest -m soak -s`` (figures printed).
``FWLEARN_SOAK_RUNS`` changes the number of runs.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fwlearn.engine import Output, Run, RunSpec, SpareKey, WarmPool
from fwlearn.engine.proctree import descendants, rss_of

pytestmark = pytest.mark.soak

RUNS = int(os.environ.get("FWLEARN_SOAK_RUNS", "200"))
WARMUP = 20
FD_SLACK = 3
RSS_SLACK = 4 * 2**20  # allocator noise (measured: +0.0 MiB over 180 runs)
# The test keeps ~2 objects a run (a Path, a pid); a run leaking its Event list keeps 10+.
OBJECTS_PER_RUN = 5


@dataclass(frozen=True)
class Kind:
    source: str
    status: str
    error: str | None = None
    cancel: bool = False
    framework: str = "python"


KINDS = {
    "ok": Kind("print('hello')\nfor i in range(3):\n    print(i)\n", "ok"),
    "ok_metrics": Kind(
        "from fwlearn import report\nfor e in range(1, 4):\n    report(epoch=e, loss=1 / e)\n",
        "ok",
    ),
    "exception": Kind("print('about to fail')\nraise ValueError('boom')\n", "failed", "exception"),
    "sys_exit": Kind("import sys\nsys.exit(3)\n", "failed", "exit"),
    "abort": Kind("import os\nos.abort()\n", "failed", "crashed"),
    "sigkill": Kind(
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "failed", "crashed"
    ),
    "cancel_sleeping": Kind(
        "import time\nprint('started', flush=True)\nwhile True:\n    time.sleep(0.05)\n",
        "cancelled",
        cancel=True,
    ),
    "cancel_busy": Kind(
        "print('spinning', flush=True)\nx = 0\nwhile True:\n    x += 1\n", "cancelled", cancel=True
    ),
}
TORCH_KINDS = {
    "torch_ok": Kind(
        "import torch\nprint(torch.ones(3).sum().item())\n", "ok", framework="pytorch"
    ),
    "torch_cancel": Kind(
        "import torch, time\nprint(torch.zeros(1).item(), flush=True)\ntime.sleep(60)\n",
        "cancelled",
        cancel=True,
        framework="pytorch",
    ),
}
HAVE_TORCH = importlib.util.find_spec("torch") is not None


@dataclass
class Figures:
    fds: dict[str, int] = field(default_factory=dict)
    rss: dict[str, int] = field(default_factory=dict)
    objects: dict[str, int] = field(default_factory=dict)
    rss_curve: list[int] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    workdirs: list[Path] = field(default_factory=list)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    warm: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def plan(runs: int) -> list[str]:
    """Mostly quick python runs in a shuffled mix; every 25th a torch one when torch is here."""
    names = list(KINDS)
    order = [names[i % len(names)] for i in range(runs)]
    random.Random(7).shuffle(order)
    if HAVE_TORCH:
        torch_names = list(TORCH_KINDS)
        for n, i in enumerate(range(12, runs, 25)):
            order[i] = torch_names[n % len(torch_names)]
    return order


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss() -> int:
    gc.collect()
    return rss_of(os.getpid())


async def one_run(pool: WarmPool, name: str, tmp_path: Path, figures: Figures) -> None:
    kind = KINDS.get(name) or TORCH_KINDS[name]
    run = Run(
        RunSpec(
            path=tmp_path / "soak.py", source=kind.source, framework=kind.framework, timeout=60
        ),
        pool,
    )
    async for event in run.events():
        if run.child.pid and (not figures.pids or figures.pids[-1] != run.child.pid):
            figures.pids.append(run.child.pid)
        if kind.cancel and isinstance(event, Output):
            run.cancel()
    assert run.end is not None
    figures.statuses.setdefault(name, []).append(run.end.status)
    figures.warm[name] = figures.warm.get(name, 0) + int(run.warm)
    assert run.workdir is not None
    figures.workdirs.append(run.workdir)


async def soak(tmp_path: Path, figures: Figures) -> None:
    pool = WarmPool()
    keys = [SpareKey("python")] + ([SpareKey("pytorch")] if HAVE_TORCH else [])
    pool.want(keys)
    assert await pool.ready(120)
    started = time.monotonic()
    for index, name in enumerate(plan(RUNS), 1):
        if index % 2:  # a learner who reads before pressing Run again: the spare is ready
            assert await pool.ready(60)
        # else straight after the last run: the replacement is still starting, or not yet
        await one_run(pool, name, tmp_path, figures)
        if index == WARMUP:
            assert await pool.ready(120)  # measured with every spare idle, as at the end
            figures.fds["after warm-up"] = fd_count()
            figures.rss["after warm-up"] = rss()
            figures.objects["after warm-up"] = len(gc.get_objects())
        if index % 20 == 0:
            figures.rss_curve.append(rss())
    figures.seconds = time.monotonic() - started
    assert await pool.ready(120)  # the last replacement spares: the pool as after warm-up
    figures.fds["end"] = fd_count()
    figures.rss["end"] = rss()
    figures.objects["end"] = len(gc.get_objects())
    await pool.close()


def test_soak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alive) -> None:
    # A private temp folder: every fwlearn-run-* directory (and spare cwd) lands here, so
    # "nothing left" is checked exactly, whatever else the machine runs at the same time.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    before_children = set(descendants(os.getpid()))
    figures = Figures(fds={"before": fd_count()})
    asyncio.run(soak(tmp_path, figures))
    figures.fds["after close"] = fd_count()

    # Every run ended the way its kind says.
    for name, statuses in figures.statuses.items():
        kind = KINDS.get(name) or TORCH_KINDS[name]
        assert set(statuses) == {kind.status}, (name, statuses)
    assert sum(len(s) for s in figures.statuses.values()) == RUNS

    # No process: none of the runs' own, and nothing new below this one.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        survivors = [pid for pid in figures.pids if alive(pid)]
        strays = set(descendants(os.getpid())) - before_children
        if not survivors and not strays:
            break
        time.sleep(0.1)
    assert not survivors, f"run processes left: {survivors}"
    assert not strays, f"processes left below the test: {strays}"
    assert len(set(figures.pids)) == RUNS  # one fresh process per run, never reused

    # No temp directory, no file descriptor, flat memory.
    assert not [p for p in figures.workdirs if p.exists()]
    assert sorted(os.listdir(private_tmp)) == []
    assert figures.fds["end"] <= figures.fds["after warm-up"] + FD_SLACK, figures.fds
    assert figures.fds["after close"] <= figures.fds["before"] + FD_SLACK, figures.fds
    growth = figures.rss["end"] - figures.rss["after warm-up"]

    runs_per_s = RUNS / figures.seconds
    warm = sum(figures.warm.values())
    mib = 2**20
    print(
        f"\nsoak: {RUNS} runs in {figures.seconds:.1f} s ({runs_per_s:.1f} runs/s), "
        f"{warm} on a warm spare; "
        + ", ".join(f"{name} {len(s)}" for name, s in sorted(figures.statuses.items()))
        + f"\nsoak: fds {figures.fds}"
        + f"\nsoak: RSS after warm-up {figures.rss['after warm-up'] / mib:.1f} MiB, "
        f"at the end {figures.rss['end'] / mib:.1f} MiB ({growth / mib:+.2f} MiB); every 20 runs: "
        + " ".join(f"{value / mib:.1f}" for value in figures.rss_curve)
        + f"\nsoak: live Python objects {figures.objects}"
    )
    assert growth <= RSS_SLACK, f"RSS grew by {growth / mib:.1f} MiB"
    new_objects = figures.objects["end"] - figures.objects["after warm-up"]
    assert new_objects <= OBJECTS_PER_RUN * (RUNS - WARMUP), figures.objects
