"""Prediction in PyTorch: eval mode, no_grad, logits, softmax and argmax."""

import numpy as np
import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from fwlearn import report, report_fact, report_predictions

np.random.seed(0)
torch.manual_seed(0)

# %% Load the data
wine = load_wine()  # 178 wines, 13 measurements, 3 cultivars (classes 0, 1, 2)
X_raw, X_test_raw, y_train, y_test = train_test_split(
    wine.data, wine.target, test_size=0.2, random_state=4, stratify=wine.target
)
scaler = StandardScaler().fit(X_raw)
X_train = torch.tensor(scaler.transform(X_raw), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test_raw), dtype=torch.float32)
y_train_t, y_test_t = torch.tensor(y_train), torch.tensor(y_test)
print(f"{len(X_train)} training wines, {len(X_test)} test wines")

# %% Train a classifier
model = nn.Sequential(nn.Linear(13, 16), nn.ReLU(), nn.Linear(16, 3))  # outputs logits
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
for epoch in range(1, 21):
    model.train()
    order = torch.randperm(len(X_train))
    total, correct = 0.0, 0
    for start in range(0, len(order), 16):
        idx = order[start : start + 16]
        optimizer.zero_grad()
        logits = model(X_train[idx])
        loss = loss_fn(logits, y_train_t[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
        correct += (logits.argmax(dim=1) == y_train_t[idx]).sum().item()
    report(epoch=epoch, loss=total / len(order), accuracy=correct / len(order))
model.eval()  # the evaluation lesson's loop, in one call: the test set is small
with torch.no_grad():
    test_logits = model(X_test)
    test_loss = loss_fn(test_logits, y_test_t).item()
    test_accuracy = (test_logits.argmax(dim=1) == y_test_t).float().mean().item()
report(split="test", loss=test_loss, accuracy=test_accuracy)  # shown as test_accuracy
print(f"test_loss {test_loss:.4f}  test_accuracy {test_accuracy:.4f}")

# %% predict or call the model
model.eval()  # dropout/batch-norm switch to inference behaviour (none here, but make it a habit)
with torch.no_grad():  # no graph for backward: less memory, faster
    logits = model(X_test)  # calling the model *is* prediction in PyTorch
print(
    "model(X) ->",
    type(logits).__name__,
    tuple(logits.shape),
    "requires_grad:",
    logits.requires_grad,
)
report_fact("call_returns", type(logits).__name__)

# %% Probabilities and class ids
probs = torch.softmax(logits, dim=1)  # only needed if you want probabilities
print("first row:", probs[0].numpy().round(3), "sums to", round(probs[0].sum().item(), 3))
report_fact("first_row_max", probs[0].max().item())
predicted = probs.max(dim=1).values  # the planted bug: this is the highest *probability*
prediction_accuracy = (predicted.numpy() == y_test).mean().item()
print(
    f"accuracy of these predictions: {prediction_accuracy:.3f} (the test loop: {test_accuracy:.3f})"
)
report_fact("prediction_accuracy", prediction_accuracy)
# Right class ids score exactly what the test loop scored on the same rows.
report_fact("gap_to_evaluate", abs(prediction_accuracy - test_accuracy))

# %% The predictions table
report_predictions(X_test_raw[:, [0, 12]], predicted, y_test)  # alcohol, proline
for inputs, p, a in zip(X_test_raw[:5, [0, 12]], predicted[:5].tolist(), y_test[:5]):
    print(f"alcohol {inputs[0]:5.2f}  proline {inputs[1]:6.0f}  predicted {p}  actual {a}")
