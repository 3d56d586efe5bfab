"""What a replacement spare importing beside a training run costs that run, by priority.

    .venv/bin/python bench/spare_cost.py [--runs 5] [--epochs 30]

A PyTorch training run (cold, through the engine: what it does is the same warm or cold) is
timed, wall seconds from Run to End, in three conditions taken in turn:
  alone        nothing else from fwlearn runs
  spare idle   a Keras/TensorFlow spare (the heaviest import, ~3 s of CPU) starts with the run,
               lowered as the pool lowers it (priority.mode(): idle or autogroup)
  spare normal the same spare at normal priority (what the pool did before, had it not waited)
Prints the median (min-max) per condition and each spare's cost against "alone".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from fwlearn.engine import Run, RunSpec, SpareKey, WarmPool, priority

TRAIN = """import torch
torch.manual_seed(0)
x, y = torch.randn(8192, 32), torch.randint(0, 4, (8192,))
model = torch.nn.Sequential(torch.nn.Linear(32, 128), torch.nn.ReLU(), torch.nn.Linear(128, 4))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range({epochs}):
    for i in range(0, 8192, 128):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[i:i + 128]), y[i:i + 128]).backward()
        opt.step()
print("done")
"""
KERAS_TF = SpareKey.for_spec("keras", "tensorflow", "auto")


async def one(condition: str, source: str) -> float:
    pool = None
    if condition != "alone":
        pool = WarmPool(batch=True, budget_mb=100_000)  # batch: it never waits for the run
        if condition == "spare normal":
            pool.lever = priority.NORMAL
        pool.want([KERAS_TF])  # spawned with the run (lowered once the run has started)
    run = Run(RunSpec(source=source, framework="pytorch", timeout=600), pool)
    start = time.perf_counter()
    async for _ in run.events():
        pass
    elapsed = time.perf_counter() - start
    assert run.end is not None and run.end.status == "ok", run.end
    if pool is not None:
        await pool.close()
    await asyncio.sleep(1.0)  # the killed spare's memory is given back before the next
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    source = TRAIN.format(epochs=args.epochs)
    conditions = ("alone", "spare idle", "spare normal")
    times: dict[str, list[float]] = {name: [] for name in conditions}
    load = os.getloadavg()[0]
    for _ in range(args.runs):  # interleaved, so a change in load hits every condition
        for name in conditions:
            times[name].append(asyncio.run(one(name, source)))
    print(
        f"torch training run, wall seconds, median (min-max) of {args.runs}; {os.cpu_count()} "
        f"cores; priority lever: {priority.mode()}; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    alone = statistics.median(times["alone"])
    for name, values in times.items():
        median = statistics.median(values)
        cost = "" if name == "alone" else f"{median / alone - 1:+.1%} vs alone"
        print(f"{name:<14}{median:7.2f} ({min(values):.2f}-{max(values):.2f})  {cost}")


if __name__ == "__main__":
    main()
