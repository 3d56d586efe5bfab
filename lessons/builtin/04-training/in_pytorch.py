"""Training in PyTorch: you write the loop yourself."""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset, random_split

from fwlearn import report, report_predictions

np.random.seed(0)
torch.manual_seed(0)

# %% Load the data
data = np.loadtxt("points.csv", delimiter=",", skiprows=1, dtype=np.float32)
points = TensorDataset(torch.from_numpy(data[:, :2]), torch.from_numpy(data[:, 2]).long())
# The file's rows are in random order already: both sides hold out its first 160 as the test set.
test_set, train_set = Subset(points, range(160)), Subset(points, range(160, 800))
split = torch.Generator().manual_seed(0)
fit_set, val_set = random_split(train_set, [0.9, 0.1], generator=split)
train_loader = DataLoader(fit_set, batch_size=32, shuffle=True)
val_loader = DataLoader(val_set, batch_size=256)
print(f"{len(fit_set)} training rows, {len(val_set)} validation rows")


# %% Build the model
class PointsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden1 = nn.Linear(2, 8)
        self.hidden2 = nn.Linear(8, 16)
        self.out = nn.Linear(16, 2)  # logits: no softmax here

    def forward(self, x):
        x = torch.relu(self.hidden1(x))
        x = torch.relu(self.hidden2(x))
        return self.out(x)


model = PointsNet()

# %% Loss and optimizer
loss_fn = nn.CrossEntropyLoss()  # takes logits and integer labels
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

# %% Train
EPOCHS = 3
for epoch in range(1, EPOCHS + 1):
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for xb, yb in train_loader:
        optimizer.zero_grad()  # gradients add up unless you clear them
        logits = model(xb)  # forward
        loss = loss_fn(logits, yb)
        loss.backward()  # backward: fills p.grad for every parameter
        optimizer.step()  # update the weights
        total_loss += loss.item() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum().item()
        seen += len(yb)

    model.eval()
    val_loss, val_correct, val_seen = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in val_loader:
            logits = model(xb)
            val_loss += loss_fn(logits, yb).item() * len(yb)
            val_correct += (logits.argmax(dim=1) == yb).sum().item()
            val_seen += len(yb)

    stats = {
        "loss": total_loss / seen,
        "accuracy": correct / seen,
        "val_loss": val_loss / val_seen,
        "val_accuracy": val_correct / val_seen,
    }
    report(epoch=epoch, **stats)
    print(f"Epoch {epoch}/{EPOCHS} - " + " - ".join(f"{k}: {v:.4f}" for k, v in stats.items()))

# %% Predict
x_new, y_new = test_set[:8]  # 8 rows it never trained on, the same on both sides
with torch.no_grad():
    predicted = model(x_new).argmax(dim=1)
print("predicted:", predicted.tolist())
print("actual:   ", y_new.tolist())
report_predictions(x_new, predicted, y_new)
