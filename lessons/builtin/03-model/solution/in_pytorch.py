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
    print(f"{name:16s} shape {tuple(p.shape)!s:9s} std {p.std(correction=0).item():.3f}")
report_fact("first_kernel_shape", list(model.hidden1.weight.shape))
report_fact("std_1", model.hidden1.weight.std(correction=0).item())
report_fact("std_2", model.hidden2.weight.std(correction=0).item())

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
default_max = seq_model[0].weight.abs().max().item()  # default init: uniform in ±1/sqrt(fan_in)
print(f"nn.Linear default: |w| <= {default_max:.3f}, 1/sqrt(fan_in) = {2**-0.5:.3f}")
report_fact("default_max", default_max)

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
rows = np.loadtxt("points.csv", delimiter=",", skiprows=1, dtype=np.float32)
x, y = torch.from_numpy(rows[:5, :2]), torch.from_numpy(rows[:5, 2]).long()
with torch.no_grad():  # no training here: skip recording for autograd
    logits = model(x)  # calls forward (never call model.forward directly)
probs = torch.softmax(logits, dim=1)
print("logits:", logits.shape)
print(logits)
print("probabilities:", probs)
report_fact("output_shape", list(logits.shape))
report_predictions(x, probs.argmax(dim=1), y)

# All rows through the model, with a hook on every Linear layer that forward really calls: the
# width of each, and how many get an input that passed a ReLU (no negative values, some zeros).
every_x = torch.from_numpy(rows[:, :2])
widths, relu_fed = [every_x.shape[1]], []


def trace(layer, inputs, output):  # PyTorch calls it after each call of the layer
    widths.append(layer.out_features)
    relu_fed.append(bool((inputs[0] >= 0).all() and (inputs[0] == 0).any()))


for layer in model.modules():
    if isinstance(layer, nn.Linear):
        layer.register_forward_hook(trace)
with torch.no_grad():
    every_logit = model(every_x)
every_y = torch.from_numpy(rows[:, 2]).long()
accuracy = (every_logit.argmax(dim=1) == every_y).float().mean().item()
print("Linear widths:", widths, "- fed by a ReLU:", sum(relu_fed), f"- accuracy {accuracy:.3f}")
report_fact("widths", widths)
report_fact("relu_fed", sum(relu_fed))
report_fact("untrained_accuracy", accuracy)
