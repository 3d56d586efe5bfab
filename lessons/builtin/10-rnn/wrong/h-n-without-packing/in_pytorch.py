# Wrong: takes h_n[-1] but feeds the padded batch unpacked, so h_n is the state after the zeros
"""An LSTM on variable-length sequences in PyTorch: padding plus pack_padded_sequence."""

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from fwlearn import report, report_fact, report_predictions

np.random.seed(0)
torch.manual_seed(0)

MAX_LEN = 20

# %% Make the sequences
rng = np.random.default_rng(0)
lengths = rng.integers(3, MAX_LEN + 1, size=1000)  # 3 to 20 steps
sequences = [rng.uniform(-1, 1, size=n).astype("float32") for n in lengths]
labels = np.array([int(s[-1] > s[0]) for s in sequences])  # did it end higher than it began?
print("lengths of the first five:", lengths[:5].tolist(), "labels:", labels[:5].tolist())

# %% Pad them
padded = pad_sequence([torch.from_numpy(s) for s in sequences], batch_first=True)  # zeros after
X = padded.unsqueeze(-1)  # (1000, 20, 1): batch, time steps, features per step
lengths = torch.from_numpy(lengths)  # the real lengths travel with the batch
y = torch.from_numpy(labels)
X_train, X_val, y_train, y_val = X[:800], X[800:], y[:800], y[800:]
len_train, len_val = lengths[:800], lengths[800:]
print("padded:", tuple(X.shape), "first row ends with", padded[0, -3:].numpy())


# %% The model
class SequenceClassifier(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)  # logits
        # Start like Keras's LSTM: Glorot input weights, orthogonal recurrent weights,
        # forget-gate bias 1 (PyTorch's gate order is input, forget, cell, output).
        nn.init.xavier_uniform_(self.lstm.weight_ih_l0)
        for gate in self.lstm.weight_hh_l0.data.chunk(4):
            nn.init.orthogonal_(gate)
        nn.init.zeros_(self.lstm.bias_ih_l0)
        nn.init.zeros_(self.lstm.bias_hh_l0)
        self.lstm.bias_ih_l0.data[hidden : 2 * hidden] = 1.0

    def forward(self, x, lengths):
        _, (h_n, _) = self.lstm(x)  # the padded batch, not packed: h_n comes after the zeros
        return self.head(h_n[-1])  # h_n is (layers, batch, hidden): take the top layer


model = SequenceClassifier()

# %% Train
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(1, 13):
    model.train()
    order = torch.randperm(len(X_train))
    total, correct = 0.0, 0
    for start in range(0, len(order), 32):
        idx = order[start : start + 32]
        optimizer.zero_grad()
        logits = model(X_train[idx], len_train[idx])
        loss = loss_fn(logits, y_train[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
        correct += (logits.argmax(dim=1) == y_train[idx]).sum().item()
    model.eval()
    with torch.no_grad():
        logits = model(X_val, len_val)
        val_loss = loss_fn(logits, y_val).item()
        val_accuracy = (logits.argmax(dim=1) == y_val).float().mean().item()
    stats = {
        "loss": total / len(order),
        "accuracy": correct / len(order),
        "val_loss": val_loss,
        "val_accuracy": val_accuracy,
    }
    report(epoch=epoch, **stats)
    print(f"epoch {epoch:2d} " + " ".join(f"{k} {v:.4f}" for k, v in stats.items()))

# %% Check the last step
# The same five sequences, once padded to 20 steps and once at their real length:
# if the model reads the last *real* step, padding must not change its output.
differences = []
with torch.no_grad():
    for i in range(800, 805):
        real = torch.from_numpy(sequences[i])[None, :, None]  # (1, length, 1), no padding
        with_padding = model(X[i : i + 1], lengths[i : i + 1])
        without = model(real, torch.tensor([len(sequences[i])]))
        differences.append((with_padding - without).abs().max().item())
padding_effect = max(differences)
print(f"largest change caused by padding: {padding_effect:.6f}")
report_fact("padding_effect", padding_effect)
with torch.no_grad():
    predicted = model(X_val, len_val).argmax(dim=1)
first_last = [[round(float(s[0]), 2), round(float(s[-1]), 2), len(s)] for s in sequences[800:]]
report_predictions(first_last, predicted, y_val)  # input: [first, last, length]
