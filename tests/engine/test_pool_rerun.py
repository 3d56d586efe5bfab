"""The next run is warm too: replacements start with the run, import at idle priority beside
it, stay within the memory budget, and batch work never waits on a half-ready spare.

These use the plain-Python key (a spare imports only numpy), so they need no framework; the
framework-sized versions are in bench/rerun.py and tests/engine/test_warm_equals_cold.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from fwlearn.engine import Run, RunResult, RunSpec, SpareKey, WarmPool, priority, spare_budget

PY = SpareKey("python")
# What the program itself sees of its priority: the policy of its thread, its autogroup's nice.
SHOW_PRIORITY = """
import os, time
nice = open("/proc/self/autogroup").read().rsplit("nice", 1)[1].strip() if os.path.exists("/proc/self/autogroup") else "0"
print(os.sched_getscheduler(0), nice)
"""


def python_spec(source: str) -> RunSpec:
    return RunSpec(source=source, framework="python", timeout=60)


async def drain(run: Run) -> RunResult:
    return RunResult([event async for event in run.events()])


def test_the_replacement_starts_with_the_run_that_took_the_spare() -> None:
    async def scenario() -> tuple[str, str, Run, Run, RunResult]:
        pool = WarmPool()
        pool.want([PY])
        assert await pool.ready(60)
        first = Run(python_spec("import time\ntime.sleep(2)\nprint('one')\n"), pool)
        task = asyncio.create_task(drain(first))
        await asyncio.sleep(0.3)
        during = pool.readiness(PY)  # the replacement was started with the run
        # (Whether it is ready before the run ends depends on the machine's load: it imports
        # at idle priority. bench/rerun.py measures that; here only that it came.)
        await task
        assert await pool.ready(30)
        ready_during = pool.readiness(PY)
        second = Run(python_spec("print('two')\n"), pool)
        result = await drain(second)
        await pool.close()
        return during, ready_during, first, second, result

    during, ready_during, first, second, result = asyncio.run(scenario())
    assert during in ("warming up", "ready")
    assert ready_during == "ready"
    assert first.warm and second.warm and result.stdout == "two"


@pytest.mark.skipif(priority.mode() == priority.NORMAL, reason="no priority lever here")
def test_a_replacement_beside_a_run_is_idle_and_the_program_it_runs_is_not() -> None:
    """Lowered while a run goes on, raised when a run takes it and when the runs are over."""

    async def scenario() -> tuple[int | None, int | None, int | None, int | None, RunResult]:
        pool = WarmPool(depth=1)  # one spare: the second run must take the lowered replacement
        pool.want([PY])
        assert await pool.ready(60)
        # Runs until cancelled: a loaded machine must not end it while the spare imports.
        long_run = Run(python_spec("import time\ntime.sleep(60)\n"), pool)
        long = asyncio.create_task(drain(long_run))
        # Not waiting for it to be ready: at idle priority on a loaded machine that can take
        # minutes (measured: not ready in 30 s with the load average at 13 on 2 cores).
        for _ in range(200):
            await asyncio.sleep(0.05)
            spare = pool.spares.get(PY)
            if spare is not None and spare.pid is not None and long_run.child.pid is not None:
                break
        assert spare is not None and spare.pid is not None
        low = (priority.autogroup_nice(spare.pid), priority.policy_of(spare.pid))
        # A second run while the first goes on takes that lowered spare: its program must run
        # at normal priority.
        shown = await drain(Run(python_spec(SHOW_PRIORITY), pool))
        long_run.cancel()
        await long
        assert await pool.ready(30)
        after = pool.spares[PY]
        assert after.pid is not None
        normal = (priority.autogroup_nice(after.pid), priority.policy_of(after.pid))
        await pool.close()
        return *low, *normal, shown

    low_nice, low_policy, nice, policy, shown = asyncio.run(scenario())
    if priority.autogroups_on():
        assert low_nice == priority.LOW_NICE and nice == 0
    if priority.mode() == priority.IDLE:
        assert low_policy == os.SCHED_IDLE and policy == os.SCHED_OTHER
    assert shown.ok, shown.stderr
    assert shown.stdout == f"{os.SCHED_OTHER} 0"


def test_a_half_ready_spare_is_taken_by_the_app_and_left_alone_by_batch_work() -> None:
    async def scenario(batch: bool) -> tuple[bool, str, bool, str]:
        pool = WarmPool(batch=batch)
        pool.want([PY])
        spare = None
        while spare is None or spare.pid is None:  # spawned, surely not ready yet
            await asyncio.sleep(0.01)
            spare = pool.spares.get(PY)
        os.killpg(spare.pid, signal.SIGSTOP)  # held half-ready while the run is asked for
        was_ready = spare.ready
        run = Run(python_spec("print('hi')\n"), pool)
        said = run.readiness()
        os.killpg(spare.pid, signal.SIGCONT)
        result = await drain(run)
        assert result.ok and result.stdout == "hi"
        assert await pool.ready(60)
        after = pool.readiness(PY)
        await pool.close()
        return was_ready, said, run.warm, after

    was_ready, said, warm, after = asyncio.run(scenario(batch=False))
    assert (said, warm, after) == ("ready" if was_ready else "warming up", True, "ready")
    was_ready, said, warm, after = asyncio.run(scenario(batch=True))
    if not was_ready:  # batch work starts cold; the spare goes on importing for the next job
        assert (said, warm, after) == ("cold", False, "ready")


def test_idle_spares_stay_within_the_memory_budget() -> None:
    cpu = SpareKey("python", device="cpu")

    async def scenario() -> tuple[dict[SpareKey, str], float]:
        budget = spare_budget.estimate_mb("python", "tensorflow") + 1
        pool = WarmPool(budget_mb=budget)
        pool.want([PY, cpu])  # the first one wanted is the first one kept
        assert await pool.ready(60)
        states = {key: pool.readiness(key) for key in (PY, cpu)}
        measured = pool.cost_mb(PY)
        await pool.close()
        return states, measured

    states, measured = asyncio.run(scenario())
    assert states == {PY: "ready", cpu: "cold"}
    assert 5 < measured < 400  # the spare's tree as measured, not the estimate


def test_the_default_budget_is_a_fifth_of_memory_up_to_two_and_a_half_gigabytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 16 GB: two spares each of torch and keras/tensorflow (pool.DEPTH) fit; 8 GB: not both.
    two_each = 2 * (spare_budget.estimate_mb("pytorch", "tensorflow"))
    two_each += 2 * spare_budget.estimate_mb("keras", "tensorflow")
    assert two_each <= spare_budget.default_budget_mb(16384) == 2560
    assert spare_budget.default_budget_mb(8192) == 1638 < two_each
    assert spare_budget.default_budget_mb(4096) == 819
    monkeypatch.setenv(spare_budget.BUDGET_ENV, "700")
    assert spare_budget.budget_mb() == 700
    assert "700 MB" in spare_budget.describe()
    monkeypatch.setenv(spare_budget.BUDGET_ENV, "lots")
    assert spare_budget.budget_mb() == spare_budget.default_budget_mb()
    assert "ignored" in spare_budget.describe()


def test_a_spare_tells_nothing_of_having_been_a_spare(tmp_path: Path) -> None:
    """The environment a warm program sees is the one a cold program sees."""
    show = "import os\nprint(sorted(k for k in os.environ if k.startswith('FWLEARN')))\n"

    async def scenario() -> tuple[RunResult, RunResult]:
        pool = WarmPool()
        pool.want([PY])
        assert await pool.ready(60)
        warm = await drain(Run(python_spec(show), pool))
        cold = await drain(Run(python_spec(show)))
        await pool.close()
        return warm, cold

    warm, cold = asyncio.run(scenario())
    assert warm.ok and cold.ok
    assert warm.stdout == cold.stdout


def test_a_run_right_after_a_run_finds_a_ready_spare() -> None:
    """The app keeps two spares per key: the run right after a run takes the second one, ready,
    while the first one's replacement is still starting (with one spare it would wait for that
    replacement: "warming up")."""

    async def scenario() -> tuple[int, list[str], list[bool]]:
        pool = WarmPool()
        pool.want([PY])
        assert await pool.ready(60)
        held = len(pool.spares_of(PY))
        said, warm = [], []
        for text in ("one", "two"):
            run = Run(python_spec(f"print('{text}')\n"), pool)
            said.append(run.readiness())
            result = await drain(run)
            assert result.ok and result.stdout == text
            warm.append(run.warm)
        await pool.close()
        return held, said, warm

    held, said, warm = asyncio.run(scenario())
    assert held == 2
    assert said == ["ready", "ready"] and warm == [True, True]
