# Wrong: the bias is created in build() but never added in call(): 131 parameters, no bias
"""A custom Keras layer with its own trainable weight, created in build()."""

import keras
import numpy as np
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
    """y = x @ w + b, with w of shape (inputs, units) and b of shape (units,)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units  # no weights yet: the input size is not known here

    def build(self, input_shape):  # called once, on the first input
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

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
zero_logits = keras.ops.convert_to_numpy(model(np.zeros((1, 4), dtype="float32")))
print("logits for the average flower (all inputs 0):", zero_logits.round(4))
report_fact("zero_input_logit", float(np.abs(zero_logits).max()))


# %% The articles' version
class ArticleDense(keras.layers.Layer):
    """The articles' layer: a weight of shape (units,) made in __init__, and a matrix product."""

    def __init__(self, units):
        super().__init__()
        self.w = self.add_weight(shape=(units,), initializer="glorot_uniform")  # no input size

    def call(self, x):
        return ops.matmul(x, self.w)  # the article: tf.matmul(inputs, self.w)


def first_line(error):
    """The readable part of an error message (TensorFlow wraps it in op details)."""
    text = str(error).split("}}")[-1].split("[Op:")[0]
    return f"{type(error).__name__}: {text.strip().splitlines()[0]}"


for units in (16, 4):  # the input has 4 features
    try:
        output = ArticleDense(units)(X_train[:2])  # x: (2, 4), w: (units,)
        print(f"ArticleDense({units}) -> output shape {tuple(output.shape)}")
        report_fact(f"article_layer_{units}", list(output.shape))
    except Exception as error:  # the exception class depends on the backend
        print(f"ArticleDense({units}) -> {first_line(error)}")
        report_fact(f"article_layer_{units}", type(error).__name__)

try:
    import tensorflow as tf  # what the article calls; Keras's torch backend may lack it
except ImportError:
    tf = None
if tf is not None:
    try:
        tf.matmul(X_train[:2], np.ones(4, dtype="float32"))  # (2, 4) x (4,): units = inputs
    except tf.errors.InvalidArgumentError as error:
        print(f"tf.matmul((2, 4), (4,)) -> {first_line(error)}")
        report_fact("tf_matmul_1d", first_line(error))
