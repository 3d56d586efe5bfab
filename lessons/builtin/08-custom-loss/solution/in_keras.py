"""A custom loss in Keras: MSE plus alpha times L1, as a keras.losses.Loss subclass."""

import keras
import numpy as np
from keras import ops

from fwlearn import report_fact

keras.utils.set_random_seed(0)  # seeds Python, NumPy and the backend

ALPHA = 0.5

# %% Make the data
rng = np.random.default_rng(0)
X = rng.normal(size=(1000, 3)).astype("float32")
y = (2 * X[:, 0] - 3 * X[:, 1] + X[:, 0] * X[:, 2]).astype("float32")
y += rng.normal(scale=0.1, size=1000).astype("float32")  # y has shape (1000,)
X_train, X_test, y_train, y_test = X[:800], X[800:], y[:800], y[800:]
print("X", X_train.shape, "y", y_train.shape)


# %% The loss
class MseL1Loss(keras.losses.Loss):
    """mean((y_pred - y_true)**2) + alpha * mean(|y_pred - y_true|)"""

    def __init__(self, alpha=0.5, name="mse_l1"):
        super().__init__(name=name)
        self.alpha = alpha

    def call(self, y_true, y_pred):  # Keras order: target first
        y_true = ops.reshape(y_true, ops.shape(y_pred))  # (n,) -> (n, 1), like y_pred
        error = y_pred - y_true
        return ops.mean(ops.square(error)) + self.alpha * ops.mean(ops.abs(error))


loss_fn = MseL1Loss(alpha=ALPHA)

# %% Check the loss by hand
y_true = np.array([1.0, 2.0, 3.0], dtype="float32")  # shape (3,), like y
y_pred = np.array([[1.5], [2.0], [2.0]], dtype="float32")  # shape (3, 1), like the model's output
value = float(loss_fn(y_true, y_pred))
expected = (0.25 + 0 + 1) / 3 + ALPHA * (0.5 + 0 + 1) / 3  # mse 0.4167 + alpha * l1 0.5
print(f"loss {value:.4f}, by hand {expected:.4f}")
report_fact("hand_check_loss", value)
builtin = float(keras.losses.MeanSquaredError()(y_true, y_pred))  # the same two shapes
print(f"built-in MeanSquaredError {builtin:.4f} (by hand 0.4167)")
report_fact("builtin_mse", builtin)

# %% Train
model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=loss_fn,
    metrics=[keras.metrics.MeanSquaredError(name="mse")],  # built-in metrics align shapes
)
model.fit(X_train, y_train, epochs=20, batch_size=32, validation_split=0.1, verbose=2)

# %% Evaluate
results = model.evaluate(X_test, y_test, verbose=0, return_dict=True)
print(f"test loss {results['loss']:.4f}, test mse {results['mse']:.4f}")
print(f"variance of y_test (the mse of always predicting the mean): {y_test.var():.4f}")
report_fact("mean_baseline_mse", y_test.var())

# %% The article's sum
# The article's PyTorch loss sums the L1 term (torch.sum). Same errors, both terms:
errors = model.predict(X_test, verbose=0).reshape(-1) - y_test  # aligned: (200,)
terms = {
    "mse_term": np.mean(errors**2),
    "l1_mean_term": ALPHA * np.mean(np.abs(errors)),  # this lesson: alpha * mean
    "l1_sum_term_32": ALPHA * np.sum(np.abs(errors[:32])),  # the article: alpha * sum, batch 32
    "l1_sum_term_200": ALPHA * np.sum(np.abs(errors)),  # the same sum over all 200 test rows
}
for name, value in terms.items():
    print(f"{name:16} {value:.4f}")
    report_fact(name, value)
