# Wrong: state_dict().copy() copies the dict, not the tensors: best_state still follows the live weights
"""Early stopping, a learning-rate schedule and a checkpoint in PyTorch: a few lines of the loop."""

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from fwlearn import report, report_fact

torch.manual_seed(0)  # PyTorch's own initial weights are overwritten below; seeded all the same

# %% Make the data
digits = load_digits()  # 1797 8x8 images, bundled with scikit-learn: no download
x = (digits.data / 16).astype("float32")  # pixels 0..16 -> 0..1, 64 per image
y = digits.target.astype("int64")
rng = np.random.default_rng(0)  # the same seed and draws in both programs: the same data
order = rng.permutation(len(x))
x, y = x[order], y[order]
x_train, y_train = x[:300], y[:300].copy()  # a small training set...
x_val, y_val = x[300:700], y[300:700]  # ...and 400 validation images with their true labels
noisy = rng.random(300) < 0.3  # about 30% of the training labels replaced by a random digit
y_train[noisy] = rng.integers(0, 10, noisy.sum())
report_fact("relabelled", int(noisy.sum()))
print(
    f"{len(x_train)} training images ({noisy.sum()} relabelled at random), {len(x_val)} validation"
)
# shuffle=False: the rows are in random order already, and these are the Keras side's batches
train_loader = DataLoader(
    TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)), batch_size=32
)
x_val_t, y_val_t = torch.from_numpy(x_val), torch.from_numpy(y_val)


# %% Build the model
def make_model():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))  # logits


init = np.random.default_rng(1)  # Glorot-uniform weights, zero biases, drawn once in NumPy


def glorot(fan_in, fan_out):
    limit = np.sqrt(6 / (fan_in + fan_out))
    return init.uniform(-limit, limit, (fan_in, fan_out)).astype("float32")  # (in, out)


start = [glorot(64, 128), np.zeros(128, "float32"), glorot(128, 10), np.zeros(10, "float32")]
model = make_model()
with torch.no_grad():  # the Keras side's numbers; a Linear weight is (out, in): transpose
    for linear, kernel, bias in ((model[0], start[0], start[1]), (model[2], start[2], start[3])):
        linear.weight.copy_(torch.from_numpy(kernel).T)
        linear.bias.copy_(torch.from_numpy(bias))
loss_fn = nn.CrossEntropyLoss()  # takes logits and integer labels
optimizer = torch.optim.Adam(model.parameters(), lr=0.01, eps=1e-7)  # Keras' Adam epsilon

# %% Stop, schedule, save
EPOCHS = 25  # the most it may train: early stopping decides when it ends
PATIENCE = 5  # epochs without a better val_loss before training stops
# Halve the learning rate once val_loss has not improved for MORE than 1 epoch: the cut comes
# at the second bad epoch, as with Keras' patience=2. threshold_mode="abs": an improvement is
# a drop of more than 1e-4, as Keras' min_delta (PyTorch's default threshold is relative).
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
    optimizer, mode="min", factor=0.5, patience=1, threshold=1e-4, threshold_mode="abs"
)
best_val_loss, best_epoch, bad_epochs = float("inf"), 0, 0
best_state = None  # the weights of the best epoch, kept in memory


def train_one_epoch():
    """One pass over the training batches; the epoch's mean loss and accuracy."""
    model.train()
    total_loss, correct = 0.0, 0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum().item()
    return total_loss / len(x_train), correct / len(x_train)


def validate(net):
    """Validation loss and accuracy of the weights ``net`` holds now: one batch, no gradients."""
    net.eval()
    with torch.no_grad():
        logits = net(x_val_t)
        accuracy = (logits.argmax(dim=1) == y_val_t).float().mean().item()
        return loss_fn(logits, y_val_t).item(), accuracy


# %% Train
rates = []
for epoch in range(1, EPOCHS + 1):
    loss, accuracy = train_one_epoch()
    val_loss, val_accuracy = validate(model)
    rates.append(optimizer.param_groups[0]["lr"])  # the rate this epoch trained with
    report(
        epoch=epoch,
        loss=loss,
        accuracy=accuracy,
        val_loss=val_loss,
        val_accuracy=val_accuracy,
        learning_rate=rates[-1],
    )
    print(
        f"Epoch {epoch}/{EPOCHS} - loss: {loss:.4f} - val_loss: {val_loss:.4f}"
        f" - val_accuracy: {val_accuracy:.4f} - learning_rate: {rates[-1]:g}"
    )
    scheduler.step(val_loss)  # the schedule: may lower the rate for the next epoch
    if val_loss < best_val_loss:  # a better epoch: remember its weights, in memory and on disk
        best_val_loss, best_epoch, bad_epochs = val_loss, epoch, 0
        best_state = model.state_dict().copy()  # a copy of the dict: the same tensors
        torch.save(model.state_dict(), "best.pt")  # the checkpoint, in the working directory
    else:  # early stopping: a patience counter
        bad_epochs += 1
        if bad_epochs >= PATIENCE:
            break
stopped_epoch = epoch
first_cut = next((e for e, rate in enumerate(rates, 1) if rate < rates[0]), 0)  # 0: never cut
print(f"stopped after epoch {stopped_epoch} of {EPOCHS}; best val_loss at epoch {best_epoch}")
print("learning rate per epoch:", [f"{rate:g}" for rate in rates])
report_fact("max_epochs", EPOCHS)
report_fact("stopped_epoch", stopped_epoch)
report_fact("best_epoch", best_epoch)
report_fact("first_lr_cut_epoch", first_cut)
report_fact("best_val_loss", best_val_loss)

# %% Keep the best
model.load_state_dict(best_state)  # back to the best epoch's weights
final_val_loss, final_val_accuracy = validate(model)
print(f"val_loss: best {best_val_loss:.4f} (epoch {best_epoch}), model now {final_val_loss:.4f}")
report_fact("final_val_loss", final_val_loss)
report_fact("final_val_accuracy", final_val_accuracy)
report_fact("final_minus_best_val_loss", final_val_loss - best_val_loss)

# %% Load the checkpoint
fresh = make_model()  # a new model: only the file can give it the trained weights
fresh.load_state_dict(torch.load("best.pt", weights_only=True))
checkpoint_val_loss = validate(fresh)[0]
print(f"the checkpoint file: val_loss {checkpoint_val_loss:.4f}")
report_fact("checkpoint_val_loss", checkpoint_val_loss)
