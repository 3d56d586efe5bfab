"""A custom Keras layer with its own trainable weight, created in build()."""

import keras
from keras import ops
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from fwlearn import report_fact

keras.utils.set_random_seed(0)  # seeds Python, NumPy and the backend

# %% Load the data
iris = load_iris()  # 150 flowers, 4 measurements, 3 species
X_train, X_test, y_train, y_test = train_test_split(
    iris.data, iris.target, test_size=0.2, random_state=0, stratify=iris.target
)
scaler = StandardScaler().fit(X_train)
X_train = scaler.transform(X_train).astype("float32")
X_test = scaler.transform(X_test).astype("float32")


# %% A layer with its own weight
class MyDense(keras.layers.Layer):
    """y = x @ w, with w of shape (inputs, units)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units  # no weights yet: the input size is not known here

    def build(self, input_shape):  # called once, on the first input
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", trainable=True
        )

    def call(self, x):
        return ops.matmul(x, self.w)


layer = MyDense(3)
print("before the first call:", len(layer.weights), "weights")
layer(X_train[:2])  # the first call runs build() with input_shape (2, 4)
print("after the first call: ", [tuple(w.shape) for w in layer.weights])

# %% Use it in a Sequential
model = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        MyDense(16),
        keras.layers.ReLU(),
        MyDense(3),  # logits
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(X_train, y_train, epochs=30, batch_size=16, validation_data=(X_test, y_test), verbose=0)
shapes = [tuple(w.shape) for w in model.trainable_weights]
print("trainable weights:", shapes, "=", model.count_params(), "parameters")
report_fact("weight_shapes", shapes)


# %% The articles' version
class BrokenDense(keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.w = self.add_weight(shape=(units,), initializer="glorot_uniform")  # (units,) only

    def call(self, x):
        return x * self.w  # elementwise, not a matrix product


try:
    BrokenDense(16)(X_train[:2])  # (2, 4) * (16,)
except Exception as error:  # the message depends on the backend
    lines = str(error).splitlines()
    message = next((line for line in lines if "shape" in line.lower()), lines[0]).strip()
    print(f"BrokenDense(16): {type(error).__name__}: {message}")
    report_fact("broken_layer_error", type(error).__name__)
scaled = BrokenDense(4)(X_train[:2])  # runs when units happens to equal the input size...
print("BrokenDense(4) output", tuple(scaled.shape), "from only 4 weights: it scales each input")
