"""Saving and exporting a Keras model, and checking that what comes back predicts the same."""

import importlib.util
import io
import zipfile

import h5py  # Keras writes its weights files with it
import keras
import numpy as np

from fwlearn import report_fact

# No keras.utils.set_random_seed, which would seed (and import) TensorFlow on any backend: the
# data come from a seeded NumPy generator, the layers take seeded initializers and seeds, and fit
# does not shuffle.

# %% Make the data
rng = np.random.default_rng(0)  # the same seed and draws in both programs: the same data
z = rng.standard_normal((300, 4))
x = (z * [1.0, 10.0, 100.0, 0.1] + [5.0, -20.0, 300.0, 1.0]).astype("float32")  # raw inputs
y = (z @ [1.0, -2.0, 0.5, 1.5] + 0.1 * rng.standard_normal(300)).astype("float32")
x_train, y_train = x[:256], y[:256, None]
x_test = x[256:]  # 44 rows: the inputs a deployed model would be asked about


# %% Build and train
@keras.saving.register_keras_serializable(package="lesson")  # a .keras file names it by this
class Standardize(keras.layers.Layer):
    """(x - mean) / std with the training inputs' statistics, inside the model, so that a saved
    or exported model takes raw inputs like the ones it was trained on."""

    def __init__(self, features=4, **kwargs):
        super().__init__(**kwargs)
        self.mean = np.zeros(features, "float32")  # plain attributes: the statistics
        self.std = np.ones(features, "float32")

    def fit_stats(self, inputs):
        self.mean = inputs.mean(axis=0)
        self.std = inputs.std(axis=0)

    def call(self, inputs):
        return keras.ops.divide(keras.ops.subtract(inputs, self.mean), self.std)


standardize = Standardize()
standardize.fit_stats(x_train)
model = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        standardize,
        keras.layers.Dense(
            16, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed=0)
        ),
        keras.layers.Dropout(0.2, seed=0),  # active in fit only: predict and export run without it
        keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=1)),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
model.fit(x_train, y_train, epochs=20, batch_size=32, shuffle=False, verbose=0)
expected = model.predict(x_test, verbose=0)  # a NumPy array: what every copy must match
print("predictions of the trained model:", expected[:3, 0].round(3))

# %% Save and load
model.save("model.keras")  # architecture (config), weights and optimizer state in one zip
restored = keras.saving.load_model("model.keras")
reloaded = restored.predict(x_test, verbose=0)
print("predictions after load_model:  ", reloaded[:3, 0].round(3))
report_fact("max_abs_diff_reloaded", float(np.abs(reloaded - expected).max()))

# %% What the file holds
held = {}  # the layers' arrays in the weights file (the optimizer's state is stored beside them)


def collect(name, item):
    if isinstance(item, h5py.Dataset):
        held[name] = item.shape


with zipfile.ZipFile("model.keras") as archive:
    print("inside model.keras:", sorted(archive.namelist()))
    with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights_file:
        weights_file["layers"].visititems(collect)
print("arrays in model.weights.h5:", held)
report_fact("saved_arrays", len(held))

# %% Loading needs the code
registered = keras.saving.get_custom_objects().pop("lesson>Standardize")  # as if never imported
try:
    keras.saving.load_model("model.keras")
except Exception as error:  # the config names the class; without its code Keras cannot build it
    reason = next((line for line in str(error).splitlines() if "Could not locate" in line), "")
    print(f"load_model without the class: {type(error).__name__}: {reason.split('. ')[0]}")
    report_fact("load_without_class", type(error).__name__)
keras.saving.get_custom_objects()["lesson>Standardize"] = registered

# %% Export a graph
backend = keras.backend.backend()
if backend == "tensorflow":
    import tensorflow as tf

    model.export("served", verbose=False)  # the default format: a TensorFlow SavedModel folder
    served = tf.saved_model.load("served")  # keep a reference: its functions use its variables
    exported = served.serve(x_test).numpy()
    report_fact("export_format", "tf_saved_model")
elif backend == "torch":
    import torch

    # The SavedModel path goes through torch_xla on this backend; "torch" writes a torch.export
    # program (.pt2) that plain PyTorch loads. dynamic_shapes: any batch size, not just 1.
    batch = {0: torch.export.Dim("batch", min=1)}
    model.export("model.pt2", format="torch", verbose=False, dynamic_shapes=(batch,))
    program = torch.export.load("model.pt2").module()
    exported = program(torch.from_numpy(x_test)).detach().numpy()
    report_fact("export_format", "torch")
else:
    raise SystemExit(f"this lesson exports on the tensorflow and torch backends, not {backend}")
print("predictions of the export:     ", exported[:3, 0].round(3))
report_fact("max_abs_diff_export", float(np.abs(exported - expected).max()))

# %% ONNX
needed = ["onnx", "onnxruntime", "tf2onnx" if backend == "tensorflow" else "onnxscript"]
missing = [name for name in needed if importlib.util.find_spec(name) is None]
if missing:
    print(f"ONNX step skipped: {', '.join(missing)} not installed; pip install 'fwlearn[export]'")
    report_fact(
        "onnx_skipped", "pip install 'fwlearn[export]' (missing: " + ", ".join(missing) + ")"
    )
else:
    import onnxruntime

    model.export("model.onnx", format="onnx", verbose=False)  # tf2onnx or torch.onnx underneath
    session = onnxruntime.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    from_onnx = session.run(None, {input_name: x_test})[0]
    print("predictions in onnxruntime:    ", from_onnx[:3, 0].round(3))
    report_fact("max_abs_diff_onnx", float(np.abs(from_onnx - expected).max()))
