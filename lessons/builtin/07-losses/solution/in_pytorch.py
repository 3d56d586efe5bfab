"""Losses in PyTorch: CrossEntropyLoss takes logits, class ids or class probabilities."""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from fwlearn import report, report_fact

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


def train(model, loss_fn, report_epochs=False):
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
        if report_epochs:
            report(
                epoch=epoch, loss=total / len(order), accuracy=correct / len(order),
                val_loss=val_loss, val_accuracy=val_accuracy,
            )  # fmt: skip
    return total / len(order), val_accuracy


# %% The reference: logits
reference = make_model(softmax_output=False)  # last layer: plain Linear, outputs logits
loss, val_accuracy = train(reference, nn.CrossEntropyLoss())
print(f"reference (logits):   loss {loss:.4f}  val_accuracy {val_accuracy:.4f}")
report_fact("reference_loss", loss)
report_fact("reference_val_accuracy", val_accuracy)

# %% Your model
model = make_model(softmax_output=False)  # logits, as CrossEntropyLoss expects
loss, val_accuracy = train(model, nn.CrossEntropyLoss(), report_epochs=True)
print(f"model (your version): loss {loss:.4f}  val_accuracy {val_accuracy:.4f}")
report_fact("model_loss", loss)
report_fact("model_val_accuracy", val_accuracy)

# %% Integer labels or one-hot
with torch.no_grad():
    logits = reference(X_val[:4])
labels = y_val[:4]  # integer class ids (int64), shape (4,)
one_hot = nn.functional.one_hot(labels, num_classes=10).float()  # shape (4, 10)
per_sample = nn.CrossEntropyLoss(reduction="none")
print("class ids:", per_sample(logits, labels).numpy().round(4))
print("one-hot:  ", per_sample(logits, one_hot).numpy().round(4))  # same numbers
