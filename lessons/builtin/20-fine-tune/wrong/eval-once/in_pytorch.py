# Wrong: backbone.eval() once before the loop, but the loop's model.train() switches it back each epoch
"""Freezing and fine-tuning in PyTorch: requires_grad_(False), the optimizer, and train/eval."""

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from fwlearn import report, report_fact, run_label

torch.manual_seed(0)  # the layers' initial weights

# %% Two tasks, one data set
digits = load_digits()  # 1797 images of 8x8 pixels, values 0..16, classes 0..9
X = (digits.data / 16.0).astype("float32")
y = digits.target
low = y < 5  # task A: digits 0-4, plenty of images; task B: digits 5-9, only a few labelled
xa_train, xa_val, ya_train, ya_val = train_test_split(
    X[low], y[low], test_size=0.2, random_state=0, stratify=y[low]
)
xb_train, xb_val, yb_train, yb_val = train_test_split(
    X[~low], y[~low] - 5, train_size=150, random_state=0, stratify=y[~low]
)  # classes 0-4 of the new head mean digits 5-9
xa_train, xa_val, xb_train, xb_val = map(torch.from_numpy, (xa_train, xa_val, xb_train, xb_val))
ya_train, ya_val, yb_train, yb_val = map(torch.from_numpy, (ya_train, ya_val, yb_train, yb_val))
print(f"task A: {len(xa_train)} training images; task B: {len(xb_train)}")


# %% Pre-train on digits 0-4
def make_backbone():
    """64 pixels -> 32 features; BatchNorm1d with its defaults (momentum 0.1, eps 1e-5)."""
    return nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU())


def one_epoch(net, optimizer, x, y, batch_size, set_to_none=True):
    """One pass over the rows, in order like Keras' fit(shuffle=False) (train_test_split has
    shuffled them with a seed), in whatever mode `net` is in. Mean loss and accuracy."""
    seen, total_loss, correct = 0, 0.0, 0
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False):
        optimizer.zero_grad(set_to_none=set_to_none)
        logits = net(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        seen += len(yb)
        total_loss += loss.item() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum().item()
    return total_loss / seen, correct / seen


def evaluate(net, x, y):
    """Loss and accuracy in eval mode (BatchNorm uses its running statistics), no gradients."""
    net.eval()
    with torch.no_grad():
        logits = net(x)
        return loss_fn(logits, y).item(), (logits.argmax(dim=1) == y).float().mean().item()


loss_fn = nn.CrossEntropyLoss()  # takes logits
backbone = make_backbone()
pretrain = nn.Sequential(backbone, nn.Linear(32, 5))
optimizer = torch.optim.Adam(pretrain.parameters(), lr=0.01)
run_label("pretrain")
for epoch in range(1, 4):
    pretrain.train()
    loss, accuracy = one_epoch(pretrain, optimizer, xa_train, ya_train, 32)
    report(epoch=epoch, loss=loss, accuracy=accuracy)
    print(f"pre-train epoch {epoch}: loss {loss:.4f} - accuracy {accuracy:.4f}")
task_a_before = evaluate(pretrain, xa_val, ya_val)[1]
print(f"task A validation accuracy: {task_a_before:.4f}")
report_fact("task_a_before", task_a_before)

# %% Freeze the backbone
run_label("")
backbone.requires_grad_(False)  # every parameter inside it: no gradients, nothing to update
model = nn.Sequential(backbone, nn.Linear(32, 5))  # a new head for digits 5-9
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(trainable, lr=0.05)  # only what should learn
bn = backbone[1]
# Keras counts BatchNormalization's moving mean and variance as (non-trainable) weights;
# PyTorch keeps them as buffers, not parameters. Add them to compare the two counts.
total = (
    sum(p.numel() for p in model.parameters()) + bn.running_mean.numel() + bn.running_var.numel()
)
print(f"trainable {sum(p.numel() for p in trainable)} of {total} weights")
report_fact("trainable_params", sum(p.numel() for p in trainable))
report_fact("total_params", total)

# %% Fine-tune on digits 5-9
before = {name: t.clone() for name, t in backbone.state_dict().items()}
run_label("fine-tune")
backbone.eval()  # the frozen part in eval mode, for the whole fine-tuning
for epoch in range(1, 9):
    model.train()  # training mode for every module inside, frozen or not
    loss, accuracy = one_epoch(model, optimizer, xb_train, yb_train, 50)
    val_loss, val_accuracy = evaluate(model, xb_val, yb_val)
    report(epoch=epoch, loss=loss, accuracy=accuracy, val_loss=val_loss, val_accuracy=val_accuracy)
    print(f"fine-tune epoch {epoch}: val_loss {val_loss:.4f} - val_accuracy {val_accuracy:.4f}")
after = backbone.state_dict()
learned = [name for name, _ in backbone.named_parameters()]  # Linear and BatchNorm weights
stats = [name for name in before if "running_" in name]  # BatchNorm's running mean and var
weight_change = max((after[n] - before[n]).abs().max().item() for n in learned)
stat_change = max((after[n] - before[n]).abs().max().item() for n in stats)
task_a_after = evaluate(pretrain, xa_val, ya_val)[1]  # the old head on the shared backbone
print(f"backbone weights moved by at most {weight_change:.2e}")
print(f"BatchNorm statistics moved by at most {stat_change:.2e}")
print(f"task A with the old head: accuracy {task_a_before:.4f} before, {task_a_after:.4f} after")
report_fact("backbone_max_change", weight_change)
report_fact("bn_stat_change", stat_change)
report_fact("task_a_after", task_a_after)


# %% Freeze midway
run_label("late-freeze")


def late_freeze(set_to_none):
    """A fresh copy of the pre-training setup: one epoch, freeze, one more epoch with the same
    optimizer. How far does the frozen backbone's kernel move in the second epoch?"""
    torch.manual_seed(1)
    probe = nn.Sequential(make_backbone(), nn.Linear(32, 5))
    probe_optimizer = torch.optim.Adam(probe.parameters(), lr=0.01)  # given every parameter
    probe.train()
    one_epoch(probe, probe_optimizer, xa_train[:64], ya_train[:64], 32, set_to_none)
    probe[0].requires_grad_(False)
    kernel = probe[0][0].weight.detach().clone()
    one_epoch(probe, probe_optimizer, xa_train[:64], ya_train[:64], 32, set_to_none)
    return (probe[0][0].weight.detach() - kernel).abs().max().item()


moved = late_freeze(set_to_none=True)  # the default: no gradient, so Adam skips the weight
moved_zeros = late_freeze(set_to_none=False)  # a gradient of zeros: Adam's momentum moves it
print(f"frozen midway: the kernel moved by {moved:.4f}")
print(f"the same with zero_grad(set_to_none=False): {moved_zeros:.4f}")
report_fact("late_freeze_change", moved)
report_fact("late_freeze_change_zero_grads", moved_zeros)
