"""A custom loss in PyTorch: MSE plus alpha times L1, as an nn.Module."""

import numpy as np
import torch
from torch import nn

from fwlearn import report, report_fact

np.random.seed(0)
torch.manual_seed(0)

ALPHA = 0.5

# %% Make the data
rng = np.random.default_rng(0)
X = rng.normal(size=(1000, 3)).astype("float32")
y = (2 * X[:, 0] - 3 * X[:, 1] + X[:, 0] * X[:, 2]).astype("float32")
y += rng.normal(scale=0.1, size=1000).astype("float32")  # y has shape (1000,)
X, y = torch.from_numpy(X), torch.from_numpy(y)
X_train, X_test, y_train, y_test = X[:800], X[800:], y[:800], y[800:]
X_fit, X_val, y_fit, y_val = X_train[:720], X_train[720:], y_train[:720], y_train[720:]
print("X", tuple(X_train.shape), "y", tuple(y_train.shape))


# %% The loss
class MseL1Loss(nn.Module):
    """mean((y_pred - y_true)**2) + alpha * mean(|y_pred - y_true|)"""

    def __init__(self, alpha=0.5):
        super().__init__()
        self.alpha = alpha

    def forward(self, y_pred, y_true):  # PyTorch order: prediction first
        error = y_pred - y_true
        return torch.mean(error**2) + self.alpha * torch.mean(torch.abs(error))


loss_fn = MseL1Loss(alpha=ALPHA)

# %% Check the loss by hand
y_true = torch.tensor([1.0, 2.0, 3.0])  # shape (3,), like y
y_pred = torch.tensor([[1.5], [2.0], [2.0]])  # shape (3, 1), like the model's output
value = loss_fn(y_pred, y_true).item()
expected = (0.25 + 0 + 1) / 3 + ALPHA * (0.5 + 0 + 1) / 3  # mse 0.4167 + alpha * l1 0.5
print(f"loss {value:.4f}, by hand {expected:.4f}")
report_fact("hand_check_loss", value)
builtin = nn.functional.mse_loss(y_pred, y_true).item()  # the same two shapes: it warns
print(f"built-in mse_loss {builtin:.4f} (by hand 0.4167)")
report_fact("builtin_mse", builtin)

# %% Train
model = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
mse = nn.MSELoss()  # built-in: warns if the shapes differ
for epoch in range(1, 21):
    model.train()
    order = torch.randperm(len(X_fit))
    total, total_mse = 0.0, 0.0
    for start in range(0, len(order), 32):
        idx = order[start : start + 32]
        optimizer.zero_grad()
        output = model(X_fit[idx])  # shape (batch, 1)
        loss = loss_fn(output, y_fit[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
        total_mse += mse(output.squeeze(1), y_fit[idx]).item() * len(idx)
    model.eval()
    with torch.no_grad():
        output = model(X_val)
        val_loss = loss_fn(output, y_val).item()
        val_mse = mse(output.squeeze(1), y_val).item()
    stats = dict(
        loss=total / len(order), mse=total_mse / len(order), val_loss=val_loss, val_mse=val_mse
    )
    report(epoch=epoch, **stats)
    print(f"epoch {epoch:2d} " + " ".join(f"{k} {v:.4f}" for k, v in stats.items()))

# %% Evaluate
with torch.no_grad():
    output = model(X_test)
    test_loss = loss_fn(output, y_test).item()
    test_mse = mse(output.squeeze(1), y_test).item()
report(split="test", loss=test_loss, mse=test_mse)
print(f"test loss {test_loss:.4f}, test mse {test_mse:.4f}")
baseline = y_test.var(correction=0)  # population variance, as NumPy computes it
print(f"variance of y_test (the mse of always predicting the mean): {baseline:.4f}")
report_fact("mean_baseline_mse", baseline)

# %% The article's sum
# The article writes the L1 term as torch.sum(torch.abs(...)). Same errors, both terms:
with torch.no_grad():
    errors = model(X_test).reshape(-1) - y_test  # aligned: (200,)
terms = {
    "mse_term": torch.mean(errors**2),
    "l1_mean_term": ALPHA * torch.mean(torch.abs(errors)),  # this lesson: alpha * mean
    "l1_sum_term_32": ALPHA * torch.sum(torch.abs(errors[:32])),  # the article, batch 32
    "l1_sum_term_200": ALPHA * torch.sum(torch.abs(errors)),  # the same sum, 200 test rows
}
for name, value in terms.items():
    print(f"{name:16} {value.item():.4f}")
    report_fact(name, value.item())
