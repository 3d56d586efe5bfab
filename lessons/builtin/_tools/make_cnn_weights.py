"""Regenerate `17-cnn/keras_cnn_weights.npz`: `KERAS_BACKEND=tensorflow python make_cnn_weights.py`.

The lesson's PyTorch program ports these weights into its own CNN, so they must come from the
lesson's Keras model: the same digits split, the same layers, trained by Keras's ``fit``. The
arrays are saved under names in the order ``get_weights()`` lists them, in Keras's layout
(Conv2D kernel (height, width, in, out), Dense kernel (in, out)). Deterministic: seeded
initializers, ``shuffle=False``; the file shipped was made on the tensorflow backend.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

OUT = Path(__file__).resolve().parent.parent / "17-cnn" / "keras_cnn_weights.npz"
NAMES = ["conv_kernel", "conv_bias", "dense_kernel", "dense_bias", "out_kernel", "out_bias"]


def main() -> None:
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    x_train, _, y_train, _ = train_test_split(
        images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    glorot = keras.initializers.GlorotUniform
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Conv2D(
                8, 3, padding="same", activation="relu", kernel_initializer=glorot(seed=0)
            ),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu", kernel_initializer=glorot(seed=1)),
            keras.layers.Dense(10, kernel_initializer=glorot(seed=2)),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x_train, y_train, batch_size=32, epochs=10, shuffle=False, verbose=2)
    weights = dict(zip(NAMES, model.get_weights(), strict=True))
    np.savez(OUT, **weights)
    print("wrote", OUT, {name: w.shape for name, w in weights.items()})


if __name__ == "__main__":
    main()
