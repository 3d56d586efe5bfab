"""Loading data for Keras: pandas, scikit-learn's train_test_split, tf.data."""

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import train_test_split

from fwlearn import report_fact

keras.utils.set_random_seed(0)

# %% Read the CSV
FEATURES = ["x1", "x2", "r"]
df = pd.read_csv("points.csv")
df["r"] = np.hypot(df["x1"], df["x2"])  # distance from the origin
print(df.head(3))
x = df[FEATURES].to_numpy(dtype="float32")  # shape (n, 2)
y = df["label"].to_numpy()  # int64 class labels
report_fact("rows", len(df))

# %% Split train and test
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
print(f"train {len(x_train)} rows, test {len(x_test)} rows")
print(f"class 1 in train: {y_train.mean():.3f}")
report_fact("train_rows", len(x_train))
report_fact("test_rows", len(x_test))
report_fact("train_class1", float(y_train.mean()))

# %% Batches
train_ds = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .shuffle(len(x_train))  # new order every epoch
    .batch(32)
)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)
xb, yb = next(iter(train_ds))
print("one batch:", tuple(xb.shape), xb.dtype, tuple(yb.shape), yb.dtype)
print(f"{len(train_ds)} training batches, {len(test_ds)} test batches per epoch")
report_fact("batch_shape", list(xb.shape))
report_fact("train_batches", len(train_ds))
report_fact("reshuffles", not np.array_equal(xb, next(iter(train_ds))[0]))  # a second pass

# how far the batch's last column is from the distance to the origin (0 once r is added)
xb = xb.numpy()
report_fact("r_error", float(np.abs(xb[:, -1] - np.hypot(xb[:, 0], xb[:, 1])).max()))
