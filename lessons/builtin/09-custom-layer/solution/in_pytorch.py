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
with torch.no_grad():
    zero_logits = model(torch.zeros(1, 4))
print("logits for the average flower (all inputs 0):", zero_logits.numpy().round(4))
report_fact("zero_input_logit", zero_logits.abs().max().item())


# %% The articles' version
class ArticleLinear(nn.Module):
    """The articles' layer: a weight of shape (units,), and a matrix product."""

    def __init__(self, units):
        super().__init__()
        self.w = nn.Parameter(torch.randn(units))  # (units,) only: no input size

    def forward(self, x):
        return torch.matmul(x, self.w)  # a 1-D second argument is a vector


for units in (16, 4):  # the input has 4 features
    try:
        output = ArticleLinear(units)(X_train[:2])  # x: (2, 4), w: (units,)
        print(f"ArticleLinear({units}) -> output shape {tuple(output.shape)}")
        report_fact(f"article_layer_{units}", list(output.shape))
    except RuntimeError as error:
        print(f"ArticleLinear({units}) -> RuntimeError: {str(error).splitlines()[0]}")
        report_fact(f"article_layer_{units}", type(error).__name__)
