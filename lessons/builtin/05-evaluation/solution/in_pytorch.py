"""Evaluation in PyTorch: a loop under model.eval() and torch.no_grad()."""

import numpy as np
import torch
from sklearn.metrics import confusion_matrix
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

from fwlearn import report, report_fact, report_predictions

np.random.seed(0)
torch.manual_seed(0)

# %% Load the data
data = np.loadtxt("points.csv", delimiter=",", skiprows=1, dtype=np.float32)
points = TensorDataset(torch.from_numpy(data[:, :2]), torch.from_numpy(data[:, 2]).long())
# The rows are in random order already: the first 160 are the test set, on both sides.
test_set, train_set = Subset(points, range(160)), Subset(points, range(160, 800))
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
test_loader = DataLoader(test_set, batch_size=32)  # evaluation: no shuffling

# %% Train a model
DROPOUT = 0.5
model = nn.Sequential(
    nn.Linear(2, 16),
    nn.ReLU(),
    nn.Dropout(DROPOUT),  # zeroes a random half of the activations, in training only
    nn.Linear(16, 16),
    nn.ReLU(),
    nn.Dropout(DROPOUT),
    nn.Linear(16, 2),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
EPOCHS = 10
for epoch in range(1, EPOCHS + 1):
    model.train()
    total = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
    report(epoch=epoch, loss=total / len(train_set))
print(f"trained {EPOCHS} epochs, last training loss {total / len(train_set):.4f}")

# %% Evaluate
model.eval()  # Dropout off (and BatchNorm would use its running statistics)
predictions, targets = [], []
test_loss = 0.0
with torch.no_grad():  # no graph for backward: less memory, faster
    for xb, yb in test_loader:
        logits = model(xb)
        test_loss += loss_fn(logits, yb).item() * len(yb)
        predictions.append(logits.argmax(dim=1))
        targets.append(yb)
predictions = torch.cat(predictions)
targets = torch.cat(targets)
test_accuracy = (predictions == targets).float().mean().item()
test_loss /= len(targets)
report(split="test", loss=test_loss, accuracy=test_accuracy)  # shown as test_loss, test_accuracy
report_fact("test_accuracy", test_accuracy)
print(f"test_loss {test_loss:.4f}  test_accuracy {test_accuracy:.4f}")

# %% Check by hand
x_test, y_test = test_set[:]  # the whole test set as two tensors
with torch.no_grad():
    by_hand = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
print(f"accuracy by hand: {by_hand:.4f} (the loop said {test_accuracy:.4f})")
report_fact("test_accuracy_by_hand", by_hand)
matrix = confusion_matrix(targets.numpy(), predictions.numpy())  # rows: actual, columns: predicted
print("confusion matrix (rows: actual 0/1, columns: predicted 0/1):")
print(matrix)
for actual in (0, 1):
    report_fact(f"count_{actual}", int(matrix[actual].sum()))
    report_fact(f"missed_{actual}", int(matrix[actual].sum() - matrix[actual, actual]))
report_predictions(x_test[:10], predictions[:10], targets[:10])


def recall(predicted, actual, label):
    """Of the points whose actual class is `label`, the share predicted as `label`."""
    return (predicted[actual == label] == label).float().mean().item()  # of the actual `label`s


recall_1 = recall(predictions, y_test, 1)
print(f"recall of class 1: {recall_1:.4f}")
report_fact("recall_1", recall_1)

# %% Why eval mode matters
model.train()  # the mistake: evaluating with Dropout still active
with torch.no_grad():
    train_mode = [model(x_test).argmax(dim=1) for _ in range(3)]
model.eval()
runs = [(p == y_test).float().mean().item() for p in train_mode]
print("accuracy in train mode, three passes:", [round(a, 4) for a in runs])
print(f"accuracy in eval mode: {test_accuracy:.4f}, the same on every pass")
report_fact("train_mode_min", min(runs))
report_fact("train_mode_max", max(runs))
logits = model(x_test[:1])  # outside no_grad, autograd records the computation
print("without no_grad the output keeps a graph: requires_grad =", logits.requires_grad)

# recall() against the confusion matrix (row `label`: its diagonal entry over the row's total),
# for both classes, on four sets of predictions with different mistakes: eval mode and the
# three train-mode passes. The largest difference is 0 (up to float rounding) only for recall.
gaps = []
for predicted in [predictions, *train_mode]:
    m = confusion_matrix(y_test.numpy(), predicted.numpy(), labels=[0, 1])
    for label in (0, 1):
        gaps.append(abs(recall(predicted, y_test, label) - m[label, label] / m[label].sum()))
report_fact("recall_gap", max(gaps))
