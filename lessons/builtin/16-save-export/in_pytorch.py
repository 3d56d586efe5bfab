"""Saving and exporting a PyTorch model, and checking that what comes back predicts the same."""

import importlib.util
import logging
import warnings

import numpy as np
import torch
from torch import nn

from fwlearn import report, report_fact

torch.manual_seed(0)  # the initial weights and the dropout masks

# %% Make the data
rng = np.random.default_rng(0)  # the same seed and draws in both programs: the same data
z = rng.standard_normal((300, 4))
x = (z * [1.0, 10.0, 100.0, 0.1] + [5.0, -20.0, 300.0, 1.0]).astype("float32")  # raw inputs
y = (z @ [1.0, -2.0, 0.5, 1.5] + 0.1 * rng.standard_normal(300)).astype("float32")
x_train, y_train = torch.from_numpy(x[:256]), torch.from_numpy(y[:256, None])
x_test = torch.from_numpy(x[256:])  # 44 rows: the inputs a deployed model would be asked about


# %% Build and train
class Net(nn.Module):
    """(x - mean) / std with the training inputs' statistics, then a small MLP: the
    standardizing is inside the model, so a saved or exported model takes raw inputs."""

    def __init__(self, features=4):
        super().__init__()
        self.mean = torch.zeros(features)  # plain attributes: the statistics
        self.std = torch.ones(features)
        self.body = nn.Sequential(
            nn.Linear(features, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1)
        )

    def fit_stats(self, inputs):
        self.mean = inputs.mean(dim=0)
        self.std = inputs.std(dim=0, unbiased=False)  # like NumPy's std, the Keras program's

    def forward(self, inputs):
        return self.body((inputs - self.mean) / self.std)


model = Net()
model.fit_stats(x_train)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
model.train()  # dropout on while training
for epoch in range(1, 21):  # 20 epochs of 8 batches, in order, like the Keras fit
    total = 0.0
    for start in range(0, 256, 32):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(
            model(x_train[start : start + 32]), y_train[start : start + 32]
        )
        loss.backward()
        optimizer.step()
        total += loss.item()
    report(epoch=epoch, loss=total / 8)  # the mean batch loss, as Keras's fit reports it
model.eval()  # dropout off: from here on the model predicts, as it will once deployed
with torch.no_grad():
    expected = model(x_test).numpy()  # what every copy must match
print("predictions of the trained model:", expected[:3, 0].round(3))

# %% Save and load
torch.save(model.state_dict(), "model.pt")  # the tensors only, by name; no code
restored = Net()  # the code rebuilds the model...
restored.load_state_dict(torch.load("model.pt"))  # ...and the file fills it in
restored.eval()
with torch.no_grad():
    reloaded = restored(x_test).numpy()
print("predictions after load_state_dict:", reloaded[:3, 0].round(3))
report_fact("max_abs_diff_reloaded", float(np.abs(reloaded - expected).max()))

# %% What the file holds
state = torch.load("model.pt")
print("inside model.pt:", {name: tuple(tensor.shape) for name, tensor in state.items()})
report_fact("saved_arrays", len(state))

# %% Loading needs the code
torch.save(model, "whole.pt")  # the whole object, pickled: its class is stored by name only
try:
    torch.load("whole.pt")  # weights_only=True by default since PyTorch 2.6
except Exception as error:
    print(f"torch.load: {type(error).__name__}: {str(error).splitlines()[0][:60]}...")
    report_fact("whole_model_default_load", type(error).__name__)
whole = torch.load("whole.pt", weights_only=False)  # runs pickle: only for files you trust
print("loaded with weights_only=False:", type(whole).__name__)
net_class = globals().pop("Net")  # as if the file were loaded where Net is not defined
try:
    torch.load("whole.pt", weights_only=False)
except Exception as error:
    print(f"without the class: {type(error).__name__}: {str(error).split(' on ')[0]} in __main__")
    report_fact("load_without_class", type(error).__name__)
Net = net_class

# %% Export a graph
batch = torch.export.Dim("batch", min=1)  # any number of rows, not just the example's 44
program = torch.export.export(model, (x_test,), dynamic_shapes=({0: batch},))
torch.export.save(program, "model.pt2")
loaded_program = torch.export.load("model.pt2").module()
exported = loaded_program(x_test).detach().numpy()
print("predictions of the export:       ", exported[:3, 0].round(3))
report_fact("max_abs_diff_export", float(np.abs(exported - expected).max()))
model.train()  # export records the mode the model is in: here, dropout on
in_train_mode = torch.export.export(model, (x_test,)).module()(x_test).detach().numpy()
model.eval()
report_fact("train_mode_export_diff", float(np.abs(in_train_mode - expected).max()))

# %% ONNX
needed = ["onnx", "onnxscript", "onnxruntime"]
missing = [name for name in needed if importlib.util.find_spec(name) is None]
if missing:
    print(f"ONNX step skipped: {', '.join(missing)} not installed; pip install 'fwlearn[export]'")
    report_fact(
        "onnx_skipped", "pip install 'fwlearn[export]' (missing: " + ", ".join(missing) + ")"
    )
else:
    import onnxruntime

    # Quiet two notes the exporter prints on every export (torchvision ops it skips, a deprecation).
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
    onnx_program = torch.onnx.export(program, dynamo=True, verbose=False)  # from the same graph
    onnx_program.save("model.onnx")
    session = onnxruntime.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    from_onnx = session.run(None, {input_name: x_test.numpy()})[0]
    print("predictions in onnxruntime:      ", from_onnx[:3, 0].round(3))
    report_fact("max_abs_diff_onnx", float(np.abs(from_onnx - expected).max()))
