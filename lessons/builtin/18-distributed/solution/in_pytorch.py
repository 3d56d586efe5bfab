"""Data-parallel training in PyTorch: DistributedDataParallel on two CPU processes (gloo)."""

import os
import socket

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from fwlearn import report_fact

WORLD_SIZE = 2  # processes, one model replica each
GLOBAL_BATCH = 64  # rows per optimizer step, over all processes together
PER_RANK_BATCH = GLOBAL_BATCH // WORLD_SIZE  # each process's share of a step
STEPS = 20
LEARNING_RATE = 0.1

# %% Make the data
data = np.random.default_rng(0)
x_all = data.standard_normal((2 * STEPS * GLOBAL_BATCH, 8)).astype("float32")  # room to spare
true_w = data.standard_normal((8, 1)).astype("float32")
y_all = (np.tanh(x_all @ true_w) + 0.1 * data.standard_normal((len(x_all), 1))).astype("float32")
print("rows:", len(x_all), "global batch:", GLOBAL_BATCH, "steps:", STEPS)


def make_model():
    torch.manual_seed(0)  # the same starting weights in every process and in the reference
    return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))


def batches(rank, world_size, per_rank):
    """Step by step, this process's rows: its slice of the step's rows, so the processes
    together see exactly the rows one process would see with all of them in one batch."""
    for step in range(STEPS):
        start = step * per_rank * world_size + rank * per_rank
        rows = slice(start, start + per_rank)
        yield torch.from_numpy(x_all[rows]), torch.from_numpy(y_all[rows])


# %% Train on one worker
def train_one_process():
    """The reference: one model, every step's rows in one batch. (A function, called under the
    __main__ guard below: the started processes import this file and must not train it again.)"""
    torch.set_num_threads(1)
    single = make_model()
    optimizer = torch.optim.SGD(single.parameters(), lr=LEARNING_RATE)
    for xb, yb in batches(0, 1, GLOBAL_BATCH):
        optimizer.zero_grad()
        nn.functional.mse_loss(single(xb), yb).backward()
        optimizer.step()
    return [p.detach().numpy().copy() for p in single.parameters()]


# %% Train on two workers
def worker(rank, world_size, port, results):
    """One process: join the group, wrap the model in DDP, train on this rank's shards."""
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"  # every process meets at rank 0, over loopback
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    model = nn.parallel.DistributedDataParallel(make_model())  # broadcasts rank 0's weights
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    for xb, yb in batches(rank, world_size, PER_RANK_BATCH):
        optimizer.zero_grad()
        # backward() averages the gradients of all processes (an all-reduce) before it returns
        nn.functional.mse_loss(model(xb), yb).backward()
        optimizer.step()
    weights = [p.detach().numpy().copy() for p in model.module.parameters()]
    results.put((rank, len(xb), weights))
    dist.destroy_process_group()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":  # the started processes import this file: they must not train again
    # Inside fwlearn's sandbox the host has no name: torch's store would warn about it per process.
    os.environ["TORCH_CPP_LOG_LEVEL"] = "ERROR"
    context = mp.get_context("spawn")
    results = context.SimpleQueue()
    single_weights = train_one_process()
    print("one process, final weight[0][0]:", float(single_weights[0][0, 0]))
    mp.spawn(worker, args=(WORLD_SIZE, free_port(), results), nprocs=WORLD_SIZE, join=True)
    finished = sorted(results.get() for _ in range(WORLD_SIZE))
    ranks = [rank for rank, _, _ in finished]
    replicas_diff = max(
        (
            float(np.abs(a - b).max())
            for _, _, weights in finished[1:]
            for a, b in zip(finished[0][2], weights)
        ),
        default=0.0,
    )  # DDP keeps the copies equal: every process applies the same averaged gradients
    ddp_weights = finished[0][2]
    diff = max(float(np.abs(a - b).max()) for a, b in zip(ddp_weights, single_weights))
    print("ranks that finished:", ranks, "rows per rank per step:", finished[0][1])
    print(f"max |DDP - one process| over the weights: {diff:.2e}")
    print("worker processes still alive:", len(mp.active_children()))
    report_fact("world_size", len(finished))
    report_fact("global_batch", sum(rows for _, rows, _ in finished))
    report_fact("replicas_max_diff", replicas_diff)
    report_fact("ddp_vs_single_max_diff", diff)
    report_fact("workers_alive_after", len(mp.active_children()))
