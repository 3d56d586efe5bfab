# Wrong: pads in front (padding="pre") instead of masking: the last step is real, but the LSTM still reads the zeros
"""An LSTM on variable-length sequences in Keras: padding plus a mask."""

import keras
import numpy as np

from fwlearn import report_fact, report_predictions

keras.utils.set_random_seed(0)  # seeds Python, NumPy and the backend

MAX_LEN = 20

# %% Make the sequences
rng = np.random.default_rng(0)
lengths = rng.integers(3, MAX_LEN + 1, size=1000)  # 3 to 20 steps
sequences = [rng.uniform(-1, 1, size=n).astype("float32") for n in lengths]
labels = np.array([int(s[-1] > s[0]) for s in sequences])  # did it end higher than it began?
print("lengths of the first five:", lengths[:5].tolist(), "labels:", labels[:5].tolist())

# %% Pad them
# zeros in front: the last step of every row is real
padded = keras.utils.pad_sequences(sequences, maxlen=MAX_LEN, padding="pre", dtype="float32")
X = padded[..., None]  # (1000, 20, 1): batch, time steps, features per step
X_train, X_val, y_train, y_val = X[:800], X[800:], labels[:800], labels[800:]
print("padded:", X.shape, "first row ends with", padded[0, -3:])

# %% The model
model = keras.Sequential(
    [
        keras.Input(shape=(None, 1)),  # any number of time steps
        keras.layers.LSTM(16),  # returns the output of its last step
        keras.layers.Dense(2),  # logits
    ]
)

# %% Train
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(X_train, y_train, epochs=12, batch_size=32, validation_data=(X_val, y_val), verbose=2)

# %% Check the last step
# The same five sequences, once padded to 20 steps and once at their real length:
# if the model reads the last *real* step, padding must not change its output.
differences = []
for i in range(800, 805):
    real = sequences[i][None, :, None]  # (1, length, 1), no padding
    with_padding = model.predict(X[i : i + 1], verbose=0)
    without = model.predict(real, verbose=0)
    differences.append(float(np.abs(with_padding - without).max()))
padding_effect = max(differences)
print(f"largest change caused by padding: {padding_effect:.6f}")
report_fact("padding_effect", padding_effect)
predicted = model.predict(X_val, verbose=0).argmax(axis=1)
first_last = [[round(float(s[0]), 2), round(float(s[-1]), 2), len(s)] for s in sequences[800:]]
report_predictions(first_last, predicted, y_val)  # input: [first, last, length]
