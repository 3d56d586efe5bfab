"""Losses in PyTorch: CrossEntropyLoss takes logits, class ids or class probabilities."""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from fwlearn import report, report_fact, run_label

np.random.seed(0)
torch.manual_seed(0)

EPOCHS = 5

# %% Load the data
digits = load_digits()  # 1797 images of 8x8 pixels, values 0..16, classes 0..9
X = (digits.data / 16.0).astype("float32")
y = digits.target
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
X_train, X_val = torch.from_numpy(X_train), torch.from_numpy(X_val)
y_train, y_val = torch.from_numpy(y_train), torch.from_numpy(y_val)
print(f"{len(X_train)} training images, {len(X_val)} validation images")


# %% Logits or probabilities
def make_model(softmax_output):
    torch.manual_seed(0)  # same starting weights for every model
    layers = [nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)]
    if softmax_output:
        layers.append(nn.Softmax(dim=1))
    return nn.Sequential(*layers)


def train(model, loss_fn):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    shuffle = torch.Generator().manual_seed(0)
    for epoch in range(1, EPOCHS + 1):
        model.train()
        order = torch.randperm(len(X_train), generator=shuffle)
        total, correct = 0.0, 0
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            optimizer.zero_grad()
            output = model(X_train[idx])
            loss = loss_fn(output, y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            correct += (output.argmax(dim=1) == y_train[idx]).sum().item()
        model.eval()
        with torch.no_grad():
            output = model(X_val)
            val_loss = loss_fn(output, y_val).item()
            val_accuracy = (output.argmax(dim=1) == y_val).float().mean().item()
        report(
            epoch=epoch, loss=total / len(order), accuracy=correct / len(order),
            val_loss=val_loss, val_accuracy=val_accuracy,
        )  # fmt: skip
    return total / len(order), val_accuracy


def loss_mismatch(model, loss_fn):
    """|the loss - the cross-entropy of the model's own probabilities|: 0 if they agree."""
    with torch.no_grad():
        outputs = model(X_val)
        is_probability = outputs.min() >= 0 and torch.allclose(
            outputs.sum(dim=1), torch.ones(len(outputs)), atol=1e-5
        )
        log_probs = outputs.log() if is_probability else torch.log_softmax(outputs, dim=1)
        by_hand = -log_probs[torch.arange(len(y_val)), y_val].mean()
        return abs(loss_fn(outputs, y_val).item() - by_hand.item())


# %% The reference: logits
run_label("reference")  # the chart and the checks tell the two fits apart by these labels
reference = make_model(softmax_output=False)  # last layer: plain Linear, outputs logits
loss, val_accuracy = train(reference, nn.CrossEntropyLoss())
print(f"reference (logits):   loss {loss:.4f}  val_accuracy {val_accuracy:.4f}")

# The double softmax: the same weights with a softmax on top, into CrossEntropyLoss.
double = make_model(softmax_output=True)
double.load_state_dict(reference.state_dict())  # nn.Softmax has no weights: same keys
with torch.no_grad():
    logits_loss = nn.CrossEntropyLoss()(reference(X_val), y_val).item()
    double_loss = nn.CrossEntropyLoss()(double(X_val), y_val).item()
print(f"validation loss: logits {logits_loss:.4f}, softmax output {double_loss:.4f}")
report_fact("logits_val_loss", logits_loss)
report_fact("double_softmax_val_loss", double_loss)

# %% Your model
run_label("model")
model = make_model(softmax_output=False)  # logits, as CrossEntropyLoss expects
loss_fn = nn.CrossEntropyLoss()  # it applies log-softmax itself
loss, val_accuracy = train(model, loss_fn)
print(f"model (your version): loss {loss:.4f}  val_accuracy {val_accuracy:.4f}")
mismatch = loss_mismatch(model, loss_fn)
print(f"the loss minus the cross-entropy of the model's probabilities: {mismatch:.4f}")
report_fact("loss_mismatch", mismatch)

# %% Integer labels or one-hot
run_label("")
with torch.no_grad():
    logits = reference(X_val[:4])
labels = y_val[:4]  # integer class ids (int64), shape (4,)
one_hot = nn.functional.one_hot(labels, num_classes=10).float()  # shape (4, 10)
per_sample = nn.CrossEntropyLoss(reduction="none")
print("class ids:", per_sample(logits, labels).numpy().round(4))
print("one-hot:  ", per_sample(logits, one_hot).numpy().round(4))  # same numbers
