# Wrong: keeps the textbook loss and lowers the learning rate, as the run log suggests: the NaN only comes later
"""Debugging in PyTorch: print in forward, forward hooks, hunting a NaN, pdb."""

import math

import numpy as np
import torch
from torch import nn

from fwlearn import report, report_fact, run_label

torch.manual_seed(0)  # the initial weights of every model below

EPOCHS = 6

# %% Make the data
data = np.random.default_rng(0)  # the same seed and draws in both programs: the same points
angle = data.uniform(0, math.pi, 1000)
label = data.integers(0, 2, 1000)  # two interleaved half-moons, class 0 and class 1
upper = np.c_[np.cos(angle), np.sin(angle)]
lower = np.c_[1 - np.cos(angle), 0.5 - np.sin(angle)]
moons = np.where(label[:, None] == 0, upper, lower) + data.normal(0, 0.15, (1000, 2))
far = data.normal(8, 0.3, (100, 2))  # and 100 easy points of class 1, far from the moons
x = np.r_[moons, far].astype("float32")
y = np.r_[label, np.ones(100)].astype("float32")
order = data.permutation(len(x))  # one shuffle, then the same batches every epoch
x, y = torch.from_numpy(x[order]), torch.from_numpy(y[order])
x_train, y_train, x_val, y_val = x[:880], y[:880], x[880:], y[880:]
print(f"{len(x_train)} training points, {len(x_val)} validation points")


# %% Print inside call
class Probe(nn.Module):
    """Passes its input through; counts every time Python runs forward, prints the first."""

    def __init__(self):
        super().__init__()
        self.calls, self.seen = 0, ""

    def forward(self, x):
        self.calls += 1
        if self.calls == 1:
            self.seen = type(x).__name__
            print(f"  first call: {self.seen} of shape {tuple(x.shape)}, x[0, :3] = {x[0, :3]}")
        return x


probe = Probe()
small = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), probe, nn.Linear(16, 1))
optimizer = torch.optim.Adam(small.parameters(), lr=0.01)
print("2 epochs of 4 steps")
for start in [0, 16, 32, 48] * 2:
    optimizer.zero_grad()
    logits = small(x_train[start : start + 16]).squeeze(1)
    nn.functional.binary_cross_entropy_with_logits(logits, y_train[start : start + 16]).backward()
    optimizer.step()
print(f"  forward ran {probe.calls} times")
report_fact("probe_calls_default", probe.calls)
report_fact("probe_type_default", probe.seen)
report_fact("probe_steps", 8)

# %% Intermediate outputs
seen = {}


def keep_output(module, inputs, output):
    """A forward hook: PyTorch calls it after the module's forward, with what it returned."""
    seen["hidden"] = output.detach()


handle = small[1].register_forward_hook(keep_output)  # the ReLU after the first Linear
with torch.no_grad():
    small(x_val)
handle.remove()  # a hook stays until it is removed
hidden = seen["hidden"].numpy()
dead = int((hidden.max(axis=0) == 0).sum())  # units that output 0 for every point
print(f"hidden layer on the validation points: shape {hidden.shape}, mean {hidden.mean():.4f}")
print(f"units that are 0 for every point: {dead} of 16")
report_fact("hidden_mean", float(hidden.mean()))
report_fact("hidden_dead_units", dead)


# %% Train
def bce(logits, target):
    """Binary cross-entropy, written out from the textbook formula."""
    p = torch.sigmoid(logits)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


loss_fn = bce
run_label("train")
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.005)  # smaller steps
nan_steps, first_nan, bad_batch, step = 0, 0, None, 0
for epoch in range(1, EPOCHS + 1):
    model.train()
    total, correct, rows = 0.0, 0, 0
    for start in range(0, len(x_train), 32):
        step += 1
        xb, yb = x_train[start : start + 32], y_train[start : start + 32]
        before = {name: value.clone() for name, value in model.state_dict().items()}  # to replay
        optimizer.zero_grad()
        logits = model(xb).squeeze(1)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
        correct += ((logits > 0).float() == yb).sum().item()
        rows += len(xb)
        weights_ok = all(torch.isfinite(p).all() for p in model.parameters())
        if not (math.isfinite(loss.item()) and weights_ok):
            nan_steps += 1
            if not first_nan:
                first_nan, bad_batch = step, (before, xb, yb)
                print(f"step {step} (epoch {epoch}): loss {loss.item()}, stopping")
            break  # what Keras's TerminateOnNaN does: stop at the first NaN
    model.eval()
    with torch.no_grad():
        val_logits = model(x_val).squeeze(1)
        val_loss = loss_fn(val_logits, y_val).item()
        val_accuracy = ((val_logits > 0).float() == y_val).float().mean().item()
    report(
        epoch=epoch, loss=total / rows, accuracy=correct / rows,
        val_loss=val_loss, val_accuracy=val_accuracy,
    )  # fmt: skip
    print(f"epoch {epoch}: loss {total / rows:.4f}, val_accuracy {val_accuracy:.4f}")
    if first_nan:
        break
run_label("")
report_fact("nan_steps", nan_steps)
report_fact("first_nan_step", first_nan)
sure = torch.tensor([40.0, -40.0])  # logits of two predictions, right and sure of it
confident = loss_fn(sure, torch.tensor([1.0, 0.0])).item()
print(f"the loss of two confident, correct predictions: {confident}")
report_fact("confident_loss", confident)

# %% Find the op
logits = torch.arange(0.0, 40.0, 0.5)
one_at = logits[torch.sigmoid(logits) == 1.0][0].item()  # float32 rounds sigmoid up to 1
print(f"sigmoid(z) is exactly 1.0 from z = {one_at}: log(1 - p) is log(0) there")
report_fact("sigmoid_one_at", one_at)
if bad_batch is None:
    print("no NaN to hunt")
else:
    before, xb, yb = bad_batch
    model.load_state_dict(before)  # the weights just before the step that went NaN
    try:
        with torch.autograd.detect_anomaly():  # checks every backward op's output for NaN
            loss_fn(model(xb).squeeze(1), yb).backward()
    except RuntimeError as error:
        message = str(error).splitlines()[0]  # the warning above it names the forward line
        print("detect_anomaly:", message)
        report_fact("nan_op", message.split("'")[1])


# %% Stop inside call
class Inspect(nn.Module):
    """Passes its input through: a place to stop and look."""

    def forward(self, x):
        # breakpoint()  # uncomment, press Run, then type `p x.shape`, `p x[0]` and `c`
        return x


out = Inspect()(x_val[:4])  # one call: with the line uncommented, one stop
print("Inspect passed on a tensor of shape", tuple(out.shape))
