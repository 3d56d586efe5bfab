"""Defining a model in PyTorch: an nn.Module subclass (and nn.Sequential)."""

import numpy as np
import torch
from torch import nn

from fwlearn import report_fact, report_predictions

np.random.seed(0)
torch.manual_seed(0)


# %% Define the model
class PointsNet(nn.Module):
    def __init__(self):
        super().__init__()
        # layers assigned as attributes are registered: their weights become parameters
        self.hidden1 = nn.Linear(2, 8)
        self.hidden2 = nn.Linear(8, 16)
        self.hidden3 = nn.Linear(16, 32)
        self.out = nn.Linear(32, 2)  # two logits, no softmax
        for layer in (self.hidden1, self.hidden2, self.hidden3):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")  # He init, for ReLU
            nn.init.zeros_(layer.bias)
        nn.init.xavier_uniform_(self.out.weight)  # Glorot init, for the linear output
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        x = torch.relu(self.hidden1(x))
        x = torch.relu(self.hidden2(x))
        x = torch.relu(self.hidden3(x))
        return self.out(x)


model = PointsNet()
print(model)

# %% Look at the weights
for name, p in model.named_parameters():
    print(f"{name:16s} shape {tuple(p.shape)!s:9s} std {p.std().item():.3f}")
report_fact("first_kernel_shape", list(model.hidden1.weight.shape))

# %% Count the parameters
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print("trainable parameters:", n_params)
report_fact("params", n_params)

# %% The short form
seq_model = nn.Sequential(
    nn.Linear(2, 8),
    nn.ReLU(),
    nn.Linear(8, 16),
    nn.ReLU(),
    nn.Linear(16, 2),
)
print("nn.Sequential:", sum(p.numel() for p in seq_model.parameters()), "parameters")

mnist_mlp = nn.Sequential(  # the classic MNIST MLP: 28x28 image -> 784 -> 128 -> 10
    nn.Flatten(),
    nn.Linear(784, 128),
    nn.ReLU(),
    nn.Linear(128, 10),
)
mlp_params = sum(p.numel() for p in mnist_mlp.parameters())
print("MNIST MLP:", mlp_params, "parameters")
report_fact("mlp_params", mlp_params)

# %% Forward pass
rows = np.loadtxt("points.csv", delimiter=",", skiprows=1, dtype=np.float32, max_rows=5)
x, y = torch.from_numpy(rows[:, :2]), torch.from_numpy(rows[:, 2]).long()
with torch.no_grad():  # no training here: skip recording for autograd
    logits = model(x)  # calls forward (never call model.forward directly)
probs = torch.softmax(logits, dim=1)
print("logits:", logits.shape)
print(logits)
print("probabilities:", probs)
report_fact("output_shape", list(logits.shape))
report_predictions(x, probs.argmax(dim=1), y)
