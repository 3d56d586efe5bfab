"""Loading data in PyTorch: a Dataset subclass, random_split and DataLoaders."""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, random_split

from fwlearn import report_fact

np.random.seed(0)
torch.manual_seed(0)


# %% Read the CSV
class PointsDataset(Dataset):
    """The rows of a CSV with columns x1, x2, label: (features, label) pairs."""

    def __init__(self, path):
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
        self.x = torch.from_numpy(data[:, :2])  # float32, shape (n, 2)
        self.y = torch.from_numpy(data[:, 2]).long()  # int64 class labels

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        x = self.x[i]
        r = torch.linalg.vector_norm(x, keepdim=True)  # distance from the origin, shape (1,)
        return torch.cat([x, r]), self.y[i]

    def split(self, test_fraction=0.2, seed=0):
        """Two random, non-overlapping subsets: (train, test)."""
        generator = torch.Generator().manual_seed(seed)
        return random_split(self, [1 - test_fraction, test_fraction], generator=generator)


points = PointsDataset("points.csv")
features, label = points[0]  # __getitem__
print(f"{len(points)} rows; row 0:", features, label)
report_fact("rows", len(points))

raw = np.loadtxt("points.csv", delimiter=",", skiprows=1)  # no dtype: NumPy's float64
try:
    torch.nn.Linear(2, 2)(torch.from_numpy(raw[:, :2]))  # the layer's weights are float32
except RuntimeError as err:
    print("float64 rows into a float32 layer:", err)

# %% Split train and test
train_set, test_set = points.split(test_fraction=0.2)
train_labels = torch.stack([y for _, y in train_set])
print(type(train_set).__name__, "views into the same dataset:", train_set.dataset is points)
print(f"train {len(train_set)} rows, test {len(test_set)} rows")
print(f"class 1 in train: {train_labels.float().mean():.3f}")
report_fact("train_rows", len(train_set))
report_fact("test_rows", len(test_set))
report_fact("train_class1", train_labels.float().mean().item())

# %% Batches
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)  # new order every epoch
test_loader = DataLoader(test_set, batch_size=32)  # no need to shuffle for evaluation
xb, yb = next(iter(train_loader))
print("one batch:", tuple(xb.shape), xb.dtype, tuple(yb.shape), yb.dtype)
print(f"{len(train_loader)} training batches, {len(test_loader)} test batches per epoch")
report_fact("batch_shape", list(xb.shape))
report_fact("train_batches", len(train_loader))
report_fact("reshuffles", not torch.equal(xb, next(iter(train_loader))[0]))  # a second pass

# how far the batch's last column is from the distance to the origin (0 once r is added)
r = torch.linalg.vector_norm(xb[:, :2], dim=1)
report_fact("r_error", (xb[:, -1] - r).abs().max().item())
