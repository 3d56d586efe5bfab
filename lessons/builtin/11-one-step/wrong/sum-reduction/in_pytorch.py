# Wrong: transposes the kernels, but MSELoss(reduction="sum") to match Keras's "sum_over_batch_size" by name
"""One training step in PyTorch, with the same numbers as the Keras program."""

import numpy as np
import torch
from torch import nn

from fwlearn import report_fact

torch.manual_seed(0)  # PyTorch's own initial weights are overwritten below; seeded all the same

# %% Make the batch
data = np.random.default_rng(0)  # the same seed and draws in both programs: the same batch
x = torch.from_numpy(data.standard_normal((10, 4)).astype("float32"))  # 10 rows of 4 inputs
y = torch.from_numpy(data.standard_normal((10, 4)).astype("float32"))  # 4 targets per row
print("first row of x:", x[0].numpy().round(4))

# %% Build the model
model = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4))
print("weight shapes:", [tuple(p.shape) for p in model.parameters()])  # a weight is (out, in)

# %% Copy the weights
init = np.random.default_rng(1)  # the starting weights, drawn once in Keras's layout
start = [
    init.uniform(-0.9, 0.9, (4, 4)).astype("float32"),  # first kernel, (in, out)
    init.uniform(-0.5, 0.5, 4).astype("float32"),  # first bias
    init.uniform(-0.9, 0.9, (4, 4)).astype("float32"),  # second kernel, (in, out)
    init.uniform(-0.5, 0.5, 4).astype("float32"),  # second bias
]
with torch.no_grad():  # copying into parameters is not part of what autograd should record
    for linear, kernel, bias in ((model[0], start[0], start[1]), (model[2], start[2], start[3])):
        linear.weight.copy_(torch.from_numpy(kernel.T))  # (in, out) -> (out, in)
        linear.bias.copy_(torch.from_numpy(bias))

try:  # with a layer that is not square, the transpose cannot be forgotten silently
    with torch.no_grad():
        nn.Linear(4, 2).weight.copy_(torch.zeros(4, 2))  # a (4, 2) kernel, not transposed
except RuntimeError as error:
    print("untransposed (4, 2) kernel into Linear(4, 2):", str(error).splitlines()[0])


def keras_layout(tensors):
    """Weights or gradients as Keras lists them: [kernel (in, out), bias, kernel, bias]."""
    return [t.detach().numpy().T if t.ndim == 2 else t.detach().numpy() for t in tensors]


def checksum(weights):
    """Each number times its position (1, 2, 3, ... in Keras's order and layout), averaged:
    a transposed kernel or a missing bias changes it, where a plain sum would not notice."""
    flat = np.concatenate([np.ravel(w) for w in weights]).astype("float64")
    position = np.arange(1, flat.size + 1)
    return float(flat @ position / position.sum())


def loss_in_float64(weights):
    """The same forward pass and MSE in NumPy, float64: the exact value, to measure rounding."""
    k1, b1, k2, b2 = (w.astype("float64") for w in weights)
    output = np.tanh(x.numpy() @ k1 + b1) @ k2 + b2
    return float(np.mean((output - y.numpy()) ** 2))


# %% One step
loss_fn = nn.MSELoss(reduction="sum")  # Keras says "sum_over_batch_size"
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # plain SGD: no momentum
optimizer.zero_grad()
loss = loss_fn(model(x), y)
loss.backward()
optimizer.step()
loss_before = loss.item()  # computed before optimizer.step() changed the weights
grads = keras_layout(p.grad for p in model.parameters())
grad_norm = float(np.sqrt(sum(np.sum(g.astype("float64") ** 2) for g in grads)))
after = keras_layout(model.parameters())
exact = loss_in_float64(start)
print(f"loss before the step {loss_before:.7f} (float64: {exact:.7f})")
print(f"gradient norm {grad_norm:.6f}, weights checksum after {checksum(after):.7f}")
report_fact("loss_before", loss_before)
report_fact("loss_vs_float64", abs(loss_before - exact))
report_fact("grad_norm", grad_norm)
report_fact("weights_checksum", checksum(after))
report_fact("max_abs_weight", float(max(np.abs(w).max() for w in after)))

# %% A second step
optimizer.zero_grad()  # without it, backward() adds the new gradients to the old ones
loss = loss_fn(model(x), y)
loss.backward()
optimizer.step()
after = keras_layout(model.parameters())
print(f"loss before the second step {loss.item():.7f}, checksum after {checksum(after):.7f}")
report_fact("loss_second", loss.item())
report_fact("weights_checksum_2", checksum(after))
