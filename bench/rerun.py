"""Edit and run again: first output of every re-run from a warm pool, beside a cold start.

    .venv/bin/python bench/rerun.py [--runs 10] [--gaps 1 2 5] [--only torch keras/tensorflow ...]

The learner's loop: run, read, change a line, run again. One pool per case is made ready once;
then ``--runs`` runs per gap, each started ``gap`` seconds after the previous one ended (the
pool is never waited for again: whatever the replacement managed in the meantime is what the
run gets). Each program prints a line right after importing its framework, then trains a
little, so the replacement imports beside a running program, as it does for a learner.
"F7" runs the PyTorch and the Keras/TensorFlow program at once, as "run both" does; its rows
hold both sides' first lines. "cold" is the same program through the engine with no pool.
Prints p50/p95 of run-to-first-output per gap and cold/warm as a ratio of medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from fwlearn.engine import Output, Run, RunSpec, SpareKey, WarmPool

TORCH = """import torch
print("ready", torch.__version__)
torch.manual_seed(0)
x, y = torch.randn(2048, 16), torch.randint(0, 2, (2048,))
model = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
opt = torch.optim.Adam(model.parameters())
for epoch in range(20):
    for i in range(0, 2048, 64):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64]).backward()
        opt.step()
print("done")
"""
KERAS = """import keras
import numpy as np
print("ready", keras.__version__)
keras.utils.set_random_seed(0)
x, y = np.random.rand(2048, 16).astype("float32"), np.random.randint(0, 2, 2048)
model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x, y, epochs=2, batch_size=64, verbose=0)
print("done")
"""
SIDES = {
    "torch": ("pytorch", "tensorflow", TORCH),
    "keras/tensorflow": ("keras", "tensorflow", KERAS),
    "keras/torch": ("keras", "torch", KERAS),
}
CASES = {**{name: (name,) for name in SIDES}, "F7": ("torch", "keras/tensorflow")}


def spec(side: str) -> RunSpec:
    framework, backend, source = SIDES[side]
    return RunSpec(source=source, framework=framework, keras_backend=backend, timeout=300)


async def first_output(run: Run) -> float:
    """Seconds from Run to the program's first full line; the run is drained to its end."""
    start = time.perf_counter()
    first = None
    async for event in run.events():
        if first is None and isinstance(event, Output) and not event.partial:
            first = time.perf_counter() - start
        if run.end is not None:
            assert run.end.status == "ok", run.end
    assert first is not None
    return first


async def together(runs: list[Run]) -> list[float]:
    return list(await asyncio.gather(*(first_output(run) for run in runs)))


async def measure(case: str, runs: int, gaps: list[float]) -> dict[str, list[float]]:
    sides = CASES[case]
    rows: dict[str, list[float]] = {"cold": []}
    for _ in range(max(3, runs // 2)):
        rows["cold"] += await together([Run(spec(side)) for side in sides])
    pool = WarmPool()
    pool.want(SpareKey.for_spec(*SIDES[side][:2], "auto") for side in sides)
    assert await pool.ready(300)
    warm = 0
    for gap in gaps:
        rows[f"gap {gap:g} s"] = times = []
        for _ in range(runs):
            await asyncio.sleep(gap)
            batch = [Run(spec(side), pool) for side in sides]
            times += await together(batch)
            warm += sum(run.warm for run in batch)
    await pool.close()
    rows["warm runs"] = [float(warm)]
    return rows


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--gaps", type=float, nargs="+", default=[1.0, 2.0, 5.0])
    parser.add_argument("--only", nargs="+", choices=list(CASES), default=list(CASES))
    args = parser.parse_args()
    print(
        f"re-run to first output, p50 / p95 (ms), {args.runs} runs per gap, "
        f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.1f}"
    )
    print(f"{'case':<18}{'row':<12}{'p50':>9}{'p95':>9}{'max':>9}  cold p50 / p50")
    for case in args.only:
        began = time.perf_counter()
        rows = asyncio.run(measure(case, args.runs, args.gaps))
        warm_runs = int(rows.pop("warm runs")[0])
        cold = statistics.median(rows["cold"])
        for name, values in rows.items():
            p50 = statistics.median(values)
            ratio = "" if name == "cold" else f"{cold / p50:8.0f}x"
            print(
                f"{case:<18}{name:<12}{p50 * 1000:9.1f}{pct(values, 0.95) * 1000:9.1f}"
                f"{max(values) * 1000:9.1f}  {ratio}"
            )
        total = args.runs * len(args.gaps) * len(CASES[case])
        print(
            f"{case:<18}({warm_runs}/{total} runs warm, {time.perf_counter() - began:.0f} s, "
            f"load average now {os.getloadavg()[0]:.1f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
