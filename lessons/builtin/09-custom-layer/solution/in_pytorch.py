"""A custom PyTorch layer with its own trainable weight, an nn.Parameter."""

import numpy as np
import torch
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from fwlearn import report, report_fact

np.random.seed(0)
torch.manual_seed(0)

# %% Load the data
iris = load_iris()  # 150 flowers, 4 measurements, 3 species
X_train, X_test, y_train, y_test = train_test_split(
    iris.data, iris.target, test_size=0.2, random_state=0, stratify=iris.target
)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)


# %% A layer with its own weight
class MyLinear(nn.Module):
    """y = x @ w + b, with w of shape (inputs, units) and b of shape (units,)."""

    def __init__(self, inputs, units):
        super().__init__()
        # nn.Parameter registers the tensor: it shows up in parameters(), state_dict() and .to()
        self.w = nn.Parameter(torch.empty(inputs, units))
        nn.init.xavier_uniform_(self.w)  # the same scheme as Keras's glorot_uniform
        self.b = nn.Parameter(torch.zeros(units))

    def forward(self, x):
        return x @ self.w + self.b


layer = MyLinear(4, 3)  # PyTorch wants the input size up front
print("parameters:", [tuple(p.shape) for p in layer.parameters()])

# %% Use it in a Sequential
model = nn.Sequential(
    MyLinear(4, 16),
    nn.ReLU(),
    MyLinear(16, 3),  # logits
)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(1, 31):
    model.train()
    order = torch.randperm(len(X_train))
    total, correct = 0.0, 0
    for start in range(0, len(order), 16):
        idx = order[start : start + 16]
        optimizer.zero_grad()
        logits = model(X_train[idx])
        loss = loss_fn(logits, y_train[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
        correct += (logits.argmax(dim=1) == y_train[idx]).sum().item()
    model.eval()
    with torch.no_grad():
        logits = model(X_test)
        val_loss = loss_fn(logits, y_test).item()
        val_accuracy = (logits.argmax(dim=1) == y_test).float().mean().item()
    report(
        epoch=epoch,
        loss=total / len(order),
        accuracy=correct / len(order),
        val_loss=val_loss,
        val_accuracy=val_accuracy,
    )
shapes = [tuple(p.shape) for p in model.parameters()]
count = sum(p.numel() for p in model.parameters())
print(f"trainable weights: {shapes} = {count} parameters")
print(f"final epoch: val_loss {val_loss:.4f}, val_accuracy {val_accuracy:.4f}")
report_fact("weight_shapes", shapes)


# %% The articles' version
class BrokenLinear(nn.Module):
    def __init__(self, units):
        super().__init__()
        self.w = nn.Parameter(torch.randn(units))  # (units,) only

    def forward(self, x):
        return x * self.w  # elementwise, not a matrix product


try:
    BrokenLinear(16)(X_train[:2])  # (2, 4) * (16,)
except RuntimeError as error:
    message = str(error).strip().splitlines()[0]
    print(f"BrokenLinear(16): {type(error).__name__}: {message}")
    report_fact("broken_layer_error", type(error).__name__)
scaled = BrokenLinear(4)(X_train[:2])  # runs when units happens to equal the input size...
print("BrokenLinear(4) output", tuple(scaled.shape), "from only 4 weights: it scales each input")
