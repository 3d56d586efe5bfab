"""A fair speed race, PyTorch side: the same MLP, data, batch size, epochs and threads as Keras."""

import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from fwlearn import report, report_fact, run_label

torch.manual_seed(0)  # the initial weights; the DataLoader does not shuffle

# %% Make the data
SAMPLES, FEATURES = 2048, 32
data = np.random.default_rng(0)  # the same seed and draws in both programs: the same data
x = data.standard_normal((SAMPLES, FEATURES)).astype("float32")
teacher = data.standard_normal(FEATURES).astype("float32")
y = (x @ teacher > 0).astype("float32").reshape(-1, 1)  # two classes, a linear boundary
dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
report_fact("samples", SAMPLES)

# %% Build the model
HIDDEN = 128


def build():
    """A fresh MLP, 32 -> 128 -> 128 -> 1; torch.manual_seed above makes its weights repeat."""
    return nn.Sequential(
        nn.Linear(FEATURES, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, 1),
    )


model = build()
print("parameters:", sum(p.numel() for p in model.parameters()))

# %% Threads
# fwlearn sets each run's thread count before the program starts (one thread on 2 cores).
threads = torch.get_num_threads()
print("intra-op threads:", threads)
report_fact("threads", threads)

# %% Time the epochs
EPOCHS = 4  # the first epoch also pays one-off costs: warm-up, left out of the medians


def time_fit(batch_size, epochs=EPOCHS):
    """Train a fresh model, report its timings, return its median epoch: (wall ms, CPU ms)."""
    global model
    model = build()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.BCEWithLogitsLoss()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    wall, cpu = [], []
    for epoch in range(1, epochs + 1):
        started = (time.perf_counter(), time.process_time())
        steps, total = 0, 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            steps += 1
            total += loss.item() * len(xb)  # Keras's fit keeps the epoch's mean loss too
        wall.append(time.perf_counter() - started[0])
        cpu.append(time.process_time() - started[1])
        report(epoch=epoch, loss=total / SAMPLES)
    wall_ms = 1000 * statistics.median(wall[1:])
    cpu_ms = 1000 * statistics.median(cpu[1:])
    print(
        f"batch {batch_size:4d}, {torch.get_num_threads()} thread(s): {wall_ms:6.1f} ms per epoch "
        f"({cpu_ms:6.1f} ms CPU), {wall_ms / steps:6.3f} ms per step ({steps} steps); "
        f"warm-up epoch {1000 * wall[0]:.0f} ms"
    )
    report_fact("batch_size", batch_size)
    report_fact("epochs", epochs)
    report_fact("steps_per_epoch", steps)
    report_fact("warmup_ms", 1000 * wall[0])
    report_fact("ms_per_epoch", wall_ms)
    report_fact("ms_per_step", wall_ms / steps)
    report_fact("cpu_ms_per_epoch", cpu_ms)
    report_fact("cpu_ms_per_step", cpu_ms / steps)
    return wall_ms, cpu_ms


# %% The race
BATCH_SIZE = 16
run_label("race")
race_ms, race_cpu = time_fit(BATCH_SIZE)

# %% A bigger batch
run_label("batch16")  # the race at batch 16 beside the race at BATCH_SIZE (once if the same)
batch16_cpu = race_cpu if BATCH_SIZE == 16 else time_fit(16)[1]
report_fact("batch_speedup", batch16_cpu / race_cpu)
print(f"an epoch at batch {BATCH_SIZE}: {batch16_cpu / race_cpu:.2f}x as fast as at 16 (CPU)")

# %% Compiling
# Nothing to switch on: the loop above is Python calling torch's kernels one step at a time.
# torch.compile (the graphs lesson) takes tens of seconds to compile on 2 cores: not raced here.

# %% More threads
# Wall time here: two threads use more CPU in all to finish sooner (if they do).
run_label("one_thread")  # 2 epochs (1 measured) at batch 512: a step with arithmetic to share
one_ms = time_fit(512, epochs=2)[0]
torch.set_num_threads(2)
run_label("two_threads")
report_fact("threads_speedup", one_ms / time_fit(512, epochs=2)[0])  # < 1: two were slower
torch.set_num_threads(threads)
