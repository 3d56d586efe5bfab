# Wrong: inserts the 32-unit layer before the 16-unit one instead of after it (2-8-32-16-2).
"""Defining a model in Keras 3: Sequential (and the functional API)."""

import keras
import numpy as np
from keras import layers, ops

from fwlearn import report_fact, report_predictions

keras.utils.set_random_seed(0)

# %% Define the model
model = keras.Sequential(
    [
        keras.Input(shape=(2,)),  # declares the input: the model is built right away
        layers.Dense(8, activation="relu", kernel_initializer="he_normal"),
        layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
        layers.Dense(16, activation="relu", kernel_initializer="he_normal"),
        layers.Dense(2, kernel_initializer="glorot_uniform"),  # two logits, no softmax
    ],
    name="points_net",
)
model.summary()

unbuilt = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(2)])  # no Input
unbuilt.summary()  # lists the layers, each with "0 (unbuilt)" parameters
try:
    unbuilt.count_params()
except ValueError as err:
    print("count_params() on a model that has not seen data:", type(err).__name__, err)

old_style = keras.Sequential([layers.Dense(8, input_shape=(2,))])  # builds, with a UserWarning
print("input_shape= still works:", old_style.count_params(), "parameters")

# %% Look at the weights
for layer in model.layers:
    kernel, bias = layer.weights
    init = layer.kernel_initializer
    print(
        f"{layer.name:8s} kernel {kernel.shape!s:8s} std {np.std(ops.convert_to_numpy(kernel)):.3f}"
        f" | bias {bias.shape} | {type(init).__name__} ({init.distribution})"
    )
report_fact("first_kernel_shape", list(model.layers[0].kernel.shape))
report_fact("std_1", float(np.std(ops.convert_to_numpy(model.layers[0].kernel))))
report_fact("std_2", float(np.std(ops.convert_to_numpy(model.layers[1].kernel))))

# %% Count the parameters
n_params = model.count_params()
print("trainable parameters:", n_params)
report_fact("params", n_params)

# %% The short form
inputs = keras.Input(shape=(2,))  # the functional API: call layers on symbolic tensors
first = layers.Dense(8, activation="relu")  # no initializer named: the defaults
h = first(inputs)
h = layers.Dense(16, activation="relu")(h)
outputs = layers.Dense(2)(h)
functional_model = keras.Model(inputs, outputs)
print("functional API:", functional_model.count_params(), "parameters")
defaults = first.kernel_initializer, first.bias_initializer
print("Dense defaults:", *(type(d).__name__ for d in defaults))

mnist_mlp = keras.Sequential(  # the classic MNIST MLP: 28x28 image -> 784 -> 128 -> 10
    [
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10),
    ]
)
mlp_params = mnist_mlp.count_params()
print("MNIST MLP:", mlp_params, "parameters")
report_fact("mlp_params", mlp_params)

# %% Forward pass
rows = np.loadtxt("points.csv", delimiter=",", skiprows=1, dtype=np.float32)
x, y = rows[:5, :2], rows[:5, 2].astype("int64")
logits = model(x)  # or model.predict(x) for large inputs (it batches)
probs = keras.ops.softmax(logits, axis=1)
print("logits:", logits.shape)
print(logits)
print("probabilities:", probs)
report_fact("output_shape", list(logits.shape))
report_predictions(x, keras.ops.convert_to_numpy(keras.ops.argmax(probs, axis=1)), y)

# All rows through the layers one by one, as a Sequential calls them: the width of each Dense
# layer, and how many get an input that passed a ReLU (no negative values, some exact zeros).
h = ops.convert_to_tensor(rows[:, :2])
widths, relu_fed = [int(h.shape[1])], 0
for layer in model.layers:
    if isinstance(layer, layers.Dense):
        widths.append(layer.units)
        relu_fed += bool(ops.all(h >= 0)) and bool(ops.any(h == 0))
    h = layer(h)
accuracy = float(np.mean(ops.convert_to_numpy(ops.argmax(h, axis=1)) == rows[:, 2]))
print("Dense widths:", widths, "- fed by a ReLU:", relu_fed, f"- accuracy {accuracy:.3f}")
report_fact("widths", widths)
report_fact("relu_fed", relu_fed)
report_fact("untrained_accuracy", accuracy)
