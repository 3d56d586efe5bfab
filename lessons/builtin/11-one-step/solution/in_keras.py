"""One training step in Keras, with numbers a PyTorch program can reproduce."""

import keras
import numpy as np

from fwlearn import report_fact

# No keras.utils.set_random_seed: the only numbers Keras draws at random are the Dense layers'
# initial weights, and set_weights replaces them. (It would also import TensorFlow, when
# installed, to seed it too: seconds of start-up on the torch backend, for nothing here.)

# %% Make the batch
data = np.random.default_rng(0)  # the same seed and draws in both programs: the same batch
x = data.standard_normal((10, 4)).astype("float32")  # 10 rows of 4 random inputs
y = data.standard_normal((10, 4)).astype("float32")  # 4 random targets per row
print("first row of x:", x[0].round(4))

# %% Build the model
model = keras.Sequential(
    [keras.Input(shape=(4,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(4)]
)
print("weight shapes:", [w.shape for w in model.get_weights()])  # a kernel is (in, out)

# %% Copy the weights
init = np.random.default_rng(1)  # the starting weights, drawn once in Keras's layout
start = [
    init.uniform(-0.9, 0.9, (4, 4)).astype("float32"),  # first kernel, (in, out)
    init.uniform(-0.5, 0.5, 4).astype("float32"),  # first bias
    init.uniform(-0.9, 0.9, (4, 4)).astype("float32"),  # second kernel, (in, out)
    init.uniform(-0.5, 0.5, 4).astype("float32"),  # second bias
]
model.set_weights(start)  # same layout: nothing to transpose


def checksum(weights):
    """Each number times its position (1, 2, 3, ... in Keras's order and layout), averaged:
    a transposed kernel or a missing bias changes it, where a plain sum would not notice."""
    flat = np.concatenate([np.ravel(w) for w in weights]).astype("float64")
    position = np.arange(1, flat.size + 1)
    return float(flat @ position / position.sum())


def loss_in_float64(weights):
    """The same forward pass and MSE in NumPy, float64: the exact value, to measure rounding."""
    k1, b1, k2, b2 = (w.astype("float64") for w in weights)
    output = np.tanh(x @ k1 + b1) @ k2 + b2
    return float(np.mean((output - y) ** 2))


# %% One step
optimizer = keras.optimizers.SGD(learning_rate=0.1)  # plain SGD: no momentum
model.compile(optimizer=optimizer, loss=keras.losses.MeanSquaredError())  # mean of 40 errors
loss_before = float(model.train_on_batch(x, y))  # forward, loss, gradients, update: one batch
after = model.get_weights()
# train_on_batch returns the loss, not the gradients. Plain SGD moves each weight by
# -learning_rate * gradient, so the step taken gives the gradient back.
learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
grads = [(b - a) / learning_rate for b, a in zip(start, after)]
grad_norm = float(np.sqrt(sum(np.sum(g.astype("float64") ** 2) for g in grads)))
exact = loss_in_float64(start)
print(f"loss before the step {loss_before:.7f} (float64: {exact:.7f})")
print(f"gradient norm {grad_norm:.6f}, weights checksum after {checksum(after):.7f}")
report_fact("loss_before", loss_before)
report_fact("loss_vs_float64", abs(loss_before - exact))
report_fact("grad_norm", grad_norm)
report_fact("weights_checksum", checksum(after))
report_fact("max_abs_weight", float(max(np.abs(w).max() for w in after)))

# %% A second step
loss_second = float(model.train_on_batch(x, y))  # the loss at the weights the first step made
after = model.get_weights()
print(f"loss before the second step {loss_second:.7f}, checksum after {checksum(after):.7f}")
report_fact("loss_second", loss_second)
report_fact("weights_checksum_2", checksum(after))
