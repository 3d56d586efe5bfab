# Wrong: reshapes the Dense kernel to (channel, row, col) instead of permuting: order unchanged
"""A small CNN on 8 x 8 digits in PyTorch: channels-first images, Conv2d and MaxPool2d."""

from collections import OrderedDict

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from fwlearn import report, report_fact, run_label

# %% Load the digits
digits = load_digits()  # 1797 images of 8 x 8 pixels (values 0-16), bundled with scikit-learn
images = (digits.images / 16.0).astype("float32")  # (1797, 8, 8): no channel axis yet
x_train, x_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
)
print(f"{len(x_train)} training and {len(x_test)} test images of {images.shape[1:]} pixels")

# %% Shape the images
# PyTorch layers are channels-first: a batch of images is (batch, channels, height, width), NCHW.
x_train = torch.from_numpy(x_train).unsqueeze(1)  # a channel axis right AFTER the batch axis
x_test = torch.from_numpy(x_test).unsqueeze(1)
y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)
print("one batch of inputs:", tuple(x_train.shape), "= (batch, channels, height, width)")
report_fact("input_shape", list(x_train.shape[1:]))
# Images from NumPy, PIL or a Keras pipeline come channels-last. With one channel any reshape
# works; with three, only permute moves the channel axis. One 2 x 2 RGB image, values 0..11:
rgb = torch.arange(12).reshape(1, 2, 2, 3)  # NHWC: each pixel's (R, G, B) side by side
print("red channel, permute:", rgb.permute(0, 3, 1, 2)[0, 0].tolist())  # [[0, 3], [6, 9]]
print("red channel, reshape:", rgb.reshape(1, 3, 2, 2)[0, 0].tolist())  # [[0, 1], [2, 3]]
try:  # Keras's layout fed to a PyTorch layer: the 8 rows of each image are read as 8 channels
    nn.Conv2d(1, 8, kernel_size=3)(x_train[:1].permute(0, 2, 3, 1))  # (1, 8, 8, 1)
except RuntimeError as error:
    print("NHWC into Conv2d:", str(error).splitlines()[0])


# %% Build the CNN
def build_cnn():
    """The Keras model's layers; named, so the port below can reach each one."""
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(1, 8, kernel_size=3, padding="same"),  # 8 filters, 1 channel, 3 x 3
            relu=nn.ReLU(),
            pool=nn.MaxPool2d(2),  # the largest of each 2 x 2 block: 8 x 8 -> 4 x 4
            flatten=nn.Flatten(),  # 8 * 4 * 4 = 128 features
            dense=nn.Linear(128, 32),
            relu2=nn.ReLU(),
            out=nn.Linear(32, 10),  # logits, one per digit
        )
    )


torch.manual_seed(0)  # the layers' initial weights: the same in every run
model = build_cnn()
shape = x_train[:1]
for name, layer in model.named_children():
    shape = layer(shape)
    params = sum(p.numel() for p in layer.parameters())
    print(f"{name:8} out {tuple(shape.shape)!s:16} {params:5} params")
print("weight shapes:", [tuple(p.shape) for p in model.parameters()])  # conv: (out, in, h, w)
report_fact("params", sum(p.numel() for p in model.parameters()))

# %% Train
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64)  # in order, like Keras here
run_label("trained")
for epoch in range(1, 6):
    model.train()
    total, correct = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum().item()
    report(epoch=epoch, loss=total / len(y_train), accuracy=correct / len(y_train))
    print(f"epoch {epoch}: loss {total / len(y_train):.4f}, accuracy {correct / len(y_train):.4f}")
model.eval()
with torch.no_grad():
    test_accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
report(split="test", accuracy=test_accuracy)  # shown as test_accuracy
print(f"test accuracy {test_accuracy:.4f}")

# %% Flatten order
# A 2 x 2 feature map with 3 channels, each value naming its place: 100*channel + 10*row + col.
channel, row, col = np.meshgrid(np.arange(3), np.arange(2), np.arange(2), indexing="ij")
codes = torch.from_numpy(100 * channel + 10 * row + col)[None]  # (1, 3, 2, 2): channels first
print("Flatten order (100*channel + 10*row + col):", nn.Flatten()(codes)[0].tolist())


# %% Port the weights
def checksum(values):
    """Each number times its position, averaged: one float both programs can compare."""
    flat = np.ravel(values).astype("float64")
    position = np.arange(1, flat.size + 1)
    return float(flat @ position / position.sum())


run_label("ported")
shipped = {name: torch.from_numpy(w) for name, w in np.load("keras_cnn_weights.npz").items()}
ported = build_cnn()
with torch.no_grad():
    # Conv2D kernel (height, width, in, out) -> Conv2d weight (out, in, height, width)
    ported.conv.weight.copy_(shipped["conv_kernel"].permute(3, 2, 0, 1))
    ported.conv.bias.copy_(shipped["conv_bias"])
    # Dense kernel (in, out) -> Linear weight (out, in), its rows made channels-first
    rows = shipped["dense_kernel"].reshape(8, 4, 4, 32).reshape(128, 32)
    ported.dense.weight.copy_(rows.T)
    ported.dense.bias.copy_(shipped["dense_bias"])
    ported.out.weight.copy_(shipped["out_kernel"].T)
    ported.out.bias.copy_(shipped["out_bias"])

ported.eval()
with torch.no_grad():
    logits = ported(x_test)
    pooled = ported.pool(ported.relu(ported.conv(x_test)))  # (450, 8, 4, 4): what Flatten gets
    dense_out = ported.dense(ported.flatten(pooled))
    # What Keras's Flatten and Dense compute from the same feature map: channels-last order.
    keras_dense = pooled.permute(0, 2, 3, 1).flatten(1) @ shipped["dense_kernel"]
    dense_gap = (dense_out - (keras_dense + shipped["dense_bias"])).abs().max().item()
ported_accuracy = (logits.argmax(dim=1) == y_test).float().mean().item()
report(split="test", accuracy=ported_accuracy)
print(f"shipped weights: test accuracy {ported_accuracy:.4f}; largest dense gap {dense_gap:.6f}")
report_fact("dense_gap", dense_gap)
report_fact("logits_checksum", checksum(logits.numpy()))
