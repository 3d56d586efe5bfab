# Wrong: a shortcut, y = 23x, whose slope is 23 everywhere; it is not the function the task asks for.
"""Tensors in PyTorch: creation, shape, dtype, device, NumPy, autograd."""

import numpy as np
import torch

from fwlearn import report_fact

np.random.seed(0)
torch.manual_seed(0)

# %% Create tensors
a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # from nested lists
zeros = torch.zeros(2, 3)
steps = torch.arange(6)  # 0, 1, ..., 5
noise = torch.randn(2, 3)  # standard normal, reproducible after manual_seed
print("a is a", type(a).__module__, type(a).__name__)
print("a =", a)
print("steps =", steps)
print("noise =", noise)
report_fact("noise_first", noise[0, 0].item())

# %% Shape and dtype
print("a.shape:", a.shape, "a.dtype:", a.dtype, "- NumPy would pick", np.array([1.0]).dtype)
print("steps.dtype:", steps.dtype)  # Python ints become int64
b = a.reshape(3, 2)
print("a @ b =", a @ b)  # matrix product, shape (2, 2)
print("a * 2 + 1 =", a * 2 + 1)  # elementwise, broadcast
print("mean of each column:", a.mean(dim=0))
report_fact("shape", list(a.shape))
report_fact("int_dtype", str(steps.dtype))

# %% Device
device = "cuda" if torch.cuda.is_available() else "cpu"
a_dev = a.to(device)  # a copy on that device; a itself stays where it was
print("a lives on", a.device, "- a_dev on", a_dev.device)
report_fact("device", str(a_dev.device))

# %% NumPy interop
arr = np.array([1.0, 2.0, 3.0], dtype=np.float32)
shared = torch.from_numpy(arr)  # shares memory with arr
copied = torch.tensor(arr)  # makes a copy
arr[0] = 100.0
print("from_numpy sees the change:", shared)
print("torch.tensor does not:     ", copied)
back = copied.numpy()  # a CPU tensor's .numpy() shares memory too
back[2] = -1.0
print("after changing .numpy()'s array:", copied)
report_fact("shares_memory", bool(shared[0] == 100.0))
report_fact("shared_first", shared[0].item())
report_fact("numpy_shares", bool(copied[2] == -1.0))

# %% Gradients
x = torch.tensor(3.0, requires_grad=True)  # autograd records what happens to x
y = 23 * x
y.backward()  # dy/dx, stored in x.grad
print("y =", y.item(), " dy/dx at x = 3:", x.grad.item())
report_fact("y", y.item())
report_fact("grad", x.grad.item())

try:
    torch.tensor(3, requires_grad=True)  # an integer
except RuntimeError as err:
    print("integer tensor:", err)
