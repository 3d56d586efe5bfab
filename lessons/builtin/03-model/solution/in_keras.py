"""Defining a model in Keras 3: Sequential (and the functional API)."""

import keras
import numpy as np
from keras import layers

from fwlearn import report_fact, report_predictions

keras.utils.set_random_seed(0)

# %% Define the model
model = keras.Sequential(
    [
        keras.Input(shape=(2,)),  # declares the input: the model is built right away
        layers.Dense(8, activation="relu", kernel_initializer="he_normal"),
        layers.Dense(16, activation="relu", kernel_initializer="he_normal"),
        layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
        layers.Dense(2, kernel_initializer="glorot_uniform"),  # two logits, no softmax
    ],
    name="points_net",
)
model.summary()

# %% Look at the weights
for layer in model.layers:
    kernel, bias = layer.weights
    print(
        f"{layer.name:8s} kernel {kernel.shape!s:8s} std {np.std(kernel.numpy()):.3f}"
        f" | bias {bias.shape}"
    )
report_fact("first_kernel_shape", list(model.layers[0].kernel.shape))

# %% Count the parameters
n_params = model.count_params()
print("trainable parameters:", n_params)
report_fact("params", n_params)

# %% The short form
inputs = keras.Input(shape=(2,))  # the functional API: call layers on symbolic tensors
h = layers.Dense(8, activation="relu")(inputs)
h = layers.Dense(16, activation="relu")(h)
outputs = layers.Dense(2)(h)
functional_model = keras.Model(inputs, outputs)
print("functional API:", functional_model.count_params(), "parameters")

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
rows = np.loadtxt("points.csv", delimiter=",", skiprows=1, dtype=np.float32, max_rows=5)
x, y = rows[:, :2], rows[:, 2].astype("int64")
logits = model(x)  # or model.predict(x) for large inputs (it batches)
probs = keras.ops.softmax(logits, axis=1)
print("logits:", logits.shape)
print(logits)
print("probabilities:", probs)
report_fact("output_shape", list(logits.shape))
report_predictions(x, keras.ops.convert_to_numpy(keras.ops.argmax(probs, axis=1)), y)
