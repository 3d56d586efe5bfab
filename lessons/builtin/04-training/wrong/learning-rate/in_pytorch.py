# Wrong: keeps 3 epochs and raises the learning rate tenfold instead of training longer
"""Training in PyTorch: you write the loop yourself."""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

from fwlearn import report, report_fact, report_predictions

np.random.seed(0)
torch.manual_seed(0)

# %% Load the data
data = np.loadtxt("points.csv", delimiter=",", skiprows=1, dtype=np.float32)
points = TensorDataset(torch.from_numpy(data[:, :2]), torch.from_numpy(data[:, 2]).long())
# The file's rows are in random order already: both sides hold out its first 160 as the test set,
# and validate on the last 64 rows, the ones Keras' validation_split=0.1 takes.
test_set = Subset(points, range(160))
fit_set, val_set = Subset(points, range(160, 736)), Subset(points, range(736, 800))
shuffling = torch.Generator()  # reseeded before each training: the same batches every time
train_loader = DataLoader(fit_set, batch_size=32, shuffle=True, generator=shuffling)
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
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

# %% Train
EPOCHS = 3


def validate(model):
    """Validation loss and accuracy, in eval mode and without recording gradients."""
    model.eval()
    val_loss, val_correct, val_seen = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in val_loader:
            logits = model(xb)
            val_loss += loss_fn(logits, yb).item() * len(yb)
            val_correct += (logits.argmax(dim=1) == yb).sum().item()
            val_seen += len(yb)
    return val_loss / val_seen, val_correct / val_seen


def train_one_epoch(model, optimizer):
    """One pass over the training rows; the epoch's mean loss and accuracy."""
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
    return total_loss / seen, correct / seen


shuffling.manual_seed(0)
for epoch in range(1, EPOCHS + 1):
    loss, accuracy = train_one_epoch(model, optimizer)
    val_loss, val_accuracy = validate(model)
    report(epoch=epoch, loss=loss, accuracy=accuracy, val_loss=val_loss, val_accuracy=val_accuracy)
    print(
        f"Epoch {epoch}/{EPOCHS} - loss: {loss:.4f} - accuracy: {accuracy:.4f}"
        f" - val_loss: {val_loss:.4f} - val_accuracy: {val_accuracy:.4f}"
    )
report_fact("epochs_trained", epoch)

# %% Optimizer or initialisation?
# Keras' recipe differs from this one twice: Adam instead of SGD with momentum, and Keras'
# default initialisation (Glorot uniform weights, zero biases) instead of PyTorch's (weights and
# biases uniform in +-1/sqrt(fan_in)). Change one at a time, same seed, same batches.


torch.manual_seed(0)
fresh = PointsNet()
largest = fresh.hidden2.weight.abs().max().item()
print(f"a fresh hidden2 starts within +-{largest:.3f}; 1/sqrt(fan_in) = 1/sqrt(8) = {8**-0.5:.3f}")


def keras_init(model):
    for layer in (model.hidden1, model.hidden2, model.out):
        nn.init.xavier_uniform_(layer.weight)  # Keras calls it glorot_uniform
        nn.init.zeros_(layer.bias)


def retrain(opt_name, init_name):
    """A fresh PointsNet trained for EPOCHS epochs; its final validation loss."""
    torch.manual_seed(0)  # as at the top of the file: the same starting weights
    candidate = PointsNet()
    if init_name == "keras":
        keras_init(candidate)
    if opt_name == "sgd":
        opt = torch.optim.SGD(candidate.parameters(), lr=0.01, momentum=0.9)
    else:
        opt = torch.optim.Adam(candidate.parameters(), lr=0.001, eps=1e-7)  # Keras' defaults
    shuffling.manual_seed(0)  # the same batches as the run above
    for _ in range(EPOCHS):
        train_one_epoch(candidate, opt)
    return validate(candidate)[0]


effects = {
    "sgd_torch_init": validate(model)[0],  # the run above
    "sgd_keras_init": retrain("sgd", "keras"),  # only the initialisation changed
    "adam_torch_init": retrain("adam", "torch"),  # only the optimizer changed
    "adam_keras_init": retrain("adam", "keras"),  # both: Keras' recipe, in PyTorch
}
for name, value in effects.items():
    report_fact(f"val_loss_{name}", value)
    print(f"{name:16} val_loss {value:.4f}")

# %% Predict
x_new, y_new = test_set[:8]  # 8 rows it never trained on, the same on both sides
with torch.no_grad():
    predicted = model(x_new).argmax(dim=1)
print("predicted:", predicted.tolist())
print("actual:   ", y_new.tolist())
report_predictions(x_new, predicted, y_new)
