"""Warm spares: fast, still one fresh process per run, and nothing left behind."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from fwlearn.engine import Run, RunResult, RunSpec, SpareKey, WarmPool, priority

# Imports torch/tensorflow in its runs: not part of `make test-fast`.
pytestmark = pytest.mark.frameworks

LEAK_SET = """
import json, sys
json.fwlearn_marker = 1
sys.modules["fwlearn_leak"] = json
GLOBAL_MARK = 2
import torch
torch.manual_seed(123)
print("set", torch.rand(1).item())
"""
LEAK_CHECK = """
import json, sys
import torch
print(hasattr(json, "fwlearn_marker"), "fwlearn_leak" in sys.modules, "GLOBAL_MARK" in globals())
"""
LOADER = """
import torch
from torch.utils.data import DataLoader, TensorDataset
from fwlearn import report

torch.manual_seed(0)
data = TensorDataset(torch.randn(256, 2), torch.randint(0, 2, (256,)))
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(1, 3):
    for xb, yb in DataLoader(data, batch_size=32, num_workers=2):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.step()
    report(epoch=epoch, loss=1.0)
print("done")
"""


async def _run(pool: WarmPool, source: str, tmp_path: Path, **spec) -> tuple[Run, RunResult]:
    run = Run(RunSpec(path=tmp_path / "snippet.py", source=source, timeout=60, **spec), pool)
    events = [event async for event in run.events()]
    return run, RunResult(events)


def test_warm_runs_are_fresh_processes_with_no_shared_state(tmp_path: Path) -> None:
    async def scenario() -> list[tuple[Run, RunResult]]:
        pool = WarmPool()
        pool.want([SpareKey("pytorch")])
        assert await pool.ready(60)
        results = [await _run(pool, LEAK_SET, tmp_path)]
        assert await pool.ready(60)  # the replacement is started when the run ends
        results.append(await _run(pool, LEAK_CHECK, tmp_path))
        await pool.close()
        return results

    (first_run, first), (second_run, second) = asyncio.run(scenario())
    assert first_run.warm and second_run.warm
    assert first.ok and second.ok, second.stderr
    assert first.start.pid != second.start.pid
    assert second.stdout == "False False False"


def test_warm_worker_can_fork_dataloader_workers(tmp_path: Path) -> None:
    async def scenario() -> tuple[Run, RunResult]:
        pool = WarmPool()
        pool.want([SpareKey("pytorch")])
        assert await pool.ready(60)
        outcome = await _run(pool, LOADER, tmp_path)
        await pool.close()
        return outcome

    run, result = asyncio.run(scenario())
    assert run.warm
    assert result.ok, result.stderr
    assert [m.epoch for m in result.epoch_metrics()] == [1, 2]


def test_a_spare_that_died_while_idle_means_a_cold_run(tmp_path: Path, alive) -> None:
    async def scenario() -> tuple[Run, RunResult, int]:
        pool = WarmPool()
        pool.want([SpareKey("python")])
        assert await pool.ready(30)
        spares = pool.spares_of(SpareKey("python"))
        for spare in spares:  # every spare of the key (the app keeps two)
            os.kill(spare.pid, signal.SIGKILL)
            await spare.wait(5)
        run, result = await _run(pool, "print('still fine')\n", tmp_path, framework="python")
        await pool.close()
        return run, result, [spare.pid for spare in spares]

    run, result, dead = asyncio.run(scenario())
    assert not run.warm and result.ok and result.stdout == "still fine"
    assert dead and not [pid for pid in dead if alive(pid)]


def test_close_and_unwanted_kinds_leave_no_idle_workers(alive) -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        pool = WarmPool(depth=1)
        pool.want([SpareKey("python"), SpareKey("python", device="cpu")])
        assert await pool.ready(30)
        first = [child.pid for child in pool.spares.values()]
        pool.want([SpareKey("python")])  # the cpu one is no longer wanted
        await asyncio.sleep(0.3)
        kept = [child.pid for child in pool.spares.values()]
        await pool.close()
        await asyncio.sleep(0.3)
        return first, kept

    first, kept = asyncio.run(scenario())
    assert len(first) == 2 and len(kept) == 1
    assert not [pid for pid in first if alive(pid)]


def test_disabled_pool_runs_cold(tmp_path: Path) -> None:
    async def scenario() -> Run:
        pool = WarmPool(enabled=False)
        pool.want([SpareKey("python")])
        assert not pool.spares
        run, result = await _run(pool, "print(1)\n", tmp_path, framework="python")
        assert result.ok
        await pool.close()
        return run

    assert not asyncio.run(scenario()).warm


def test_runs_back_to_back_keep_the_pool_working(tmp_path: Path) -> None:
    """A run that starts right after another cancels the replacement before it ever ran; that
    task used to stay in the pool's books, so no spare came again and ready() spun."""

    async def scenario() -> tuple[list[Run], Run, bool]:
        pool = WarmPool()
        key = SpareKey("python")
        pool.want([key])
        assert await pool.ready(30)
        runs = [(await _run(pool, "print(1)", tmp_path, framework="python"))[0] for _ in range(3)]
        ready = await pool.ready(10)
        last, result = await _run(pool, "print(2)", tmp_path, framework="python")
        assert result.ok
        await pool.close()
        return runs, last, ready

    runs, last, ready = asyncio.run(scenario())
    assert ready
    assert runs[0].warm and last.warm


@pytest.mark.parametrize(("batch", "lever"), [(False, True), (True, True), (False, False)])
def test_replacements_start_beside_a_run_unless_nothing_can_lower_them(
    tmp_path: Path, batch: bool, lever: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Run both": the side that ends first starts its replacement while the other side still
    trains, at idle priority. Where no priority lever exists (no autogroups, SCHED_IDLE not
    undoable) the app waits for every run to end, as importing tensorflow at normal priority
    slowed a torch run by 32 %; batch work does not wait."""
    if not lever:
        monkeypatch.setattr(priority, "mode", lambda: priority.NORMAL)
    fast, slow = SpareKey("python"), SpareKey("python", device="cpu")

    async def scenario() -> tuple[bool, bool]:
        pool = WarmPool(batch=batch)
        pool.want([fast, slow])
        assert await pool.ready(30)
        long_run = Run(
            RunSpec(source="import time\ntime.sleep(1.5)\n", framework="python", device="cpu"),
            pool,
        )
        long_task = asyncio.create_task(_drain(long_run))
        await asyncio.sleep(0.2)
        _, quick = await _run(pool, "print('quick')\n", tmp_path, framework="python")
        assert quick.ok
        await asyncio.sleep(0.3)
        spawned_during = pool.held(fast) == pool.depth  # the quick run's spare was replaced
        await long_task
        await pool.ready(30)
        replenished = fast in pool.spares and slow in pool.spares
        await pool.close()
        return spawned_during, replenished

    spawned_during, replenished = asyncio.run(scenario())
    assert spawned_during == (batch or lever)
    assert replenished


async def _drain(run: Run) -> None:
    async for _ in run.events():
        pass
