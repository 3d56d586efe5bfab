"""A small CNN on 8 x 8 digits in Keras: channels-last images, Conv2D and MaxPooling2D."""

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from fwlearn import report_fact, run_label

# No keras.utils.set_random_seed: it would import TensorFlow even on the torch backend (seconds
# of start-up). The initializers are seeded and fit does not shuffle, so every run is the same.
glorot = keras.initializers.GlorotUniform

# %% Load the digits
digits = load_digits()  # 1797 images of 8 x 8 pixels (values 0-16), bundled with scikit-learn
images = (digits.images / 16.0).astype("float32")  # (1797, 8, 8): no channel axis yet
x_train, x_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
)
print(f"{len(x_train)} training and {len(x_test)} test images of {images.shape[1:]} pixels")

# %% Shape the images
# Keras layers are channels-last: a batch of images is (batch, height, width, channels), NHWC.
x_train, x_test = x_train[..., None], x_test[..., None]  # a channel axis at the END
print("one batch of inputs:", x_train.shape, "= (batch, height, width, channels)")
report_fact("input_shape", list(x_train.shape[1:]))

# %% Build the CNN
model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(  # 8 filters, each 3 x 3 over 1 channel
            8, 3, padding="same", activation="relu", kernel_initializer=glorot(seed=0)
        ),
        keras.layers.MaxPooling2D(2),  # the largest of each 2 x 2 block: 8 x 8 -> 4 x 4
        keras.layers.Flatten(),  # 4 * 4 * 8 = 128 features
        keras.layers.Dense(32, activation="relu", kernel_initializer=glorot(seed=1)),
        keras.layers.Dense(10, kernel_initializer=glorot(seed=2)),  # logits, one per digit
    ]
)
for layer in model.layers:
    print(f"{layer.name:16} out {layer.output.shape!s:18} {layer.count_params():5} params")
print("weight shapes:", [w.shape for w in model.get_weights()])  # a conv kernel is (h, w, in, out)
report_fact("params", model.count_params())

# %% Train
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
run_label("trained")
model.fit(x_train, y_train, batch_size=64, epochs=5, shuffle=False, verbose=2)
model.evaluate(x_test, y_test, verbose=0)  # fwlearn reports test_loss and test_accuracy

# %% Flatten order
# A 2 x 2 feature map with 3 channels, each value naming its place: 100*channel + 10*row + col.
channel, row, col = np.meshgrid(np.arange(3), np.arange(2), np.arange(2), indexing="ij")
codes = (100 * channel + 10 * row + col).astype("float32")  # (3, 2, 2): channel, row, col
as_keras_sees_it = codes.transpose(1, 2, 0)[None]  # (1, 2, 2, 3): channels last
flat = keras.ops.convert_to_numpy(keras.layers.Flatten()(as_keras_sees_it))
print("Flatten order (100*channel + 10*row + col):", flat[0].astype(int).tolist())


# %% Port the weights
def checksum(values):
    """Each number times its position, averaged: one float both programs can compare."""
    flat = np.ravel(values).astype("float64")
    position = np.arange(1, flat.size + 1)
    return float(flat @ position / position.sum())


run_label("ported")
shipped = np.load("keras_cnn_weights.npz")  # this model's layers, trained for 10 epochs
names = ["conv_kernel", "conv_bias", "dense_kernel", "dense_bias", "out_kernel", "out_bias"]
model.set_weights([shipped[name] for name in names])  # Keras's own layout: nothing to rearrange
logits = model.predict(x_test, verbose=0)
model.evaluate(x_test, y_test, verbose=0)
print(f"shipped weights: test accuracy {np.mean(logits.argmax(axis=1) == y_test):.4f}")
report_fact("logits_checksum", checksum(logits))
