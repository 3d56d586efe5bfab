"""A Keras model trained by PyTorch: on the torch backend it is a torch.nn.Module."""

import os

os.environ["KERAS_BACKEND"] = "torch"  # before `import keras`: Keras reads it once, at import

import keras  # only now: the backend is chosen
import numpy as np
import torch
from torch import nn

from fwlearn import report, report_fact, run_label

if keras.backend.backend() != "torch":  # keras was imported before the line above could act
    raise SystemExit(
        f"Keras is on {keras.backend.backend()}: this program needs KERAS_BACKEND=torch"
        " set before Python starts (fwlearn run FILE --keras-backend torch)"
    )

# %% Make the batch
rng = np.random.default_rng(0)  # the same seed and draws in both programs: the same batch
x = rng.standard_normal((32, 4)).astype("float32")  # 32 rows of 4 inputs
y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype("float32")  # one target per row
print("x", x.shape, "y", y.shape)


# %% Build the model
def build_model(model_class=keras.Sequential):
    """The model both programs train, with the same starting weights on every backend."""
    model = model_class(
        [
            keras.Input(shape=(4,)),
            keras.layers.Dense(8),
            keras.layers.BatchNormalization(),  # behaves differently in training and inference
            keras.layers.Activation("tanh"),
            keras.layers.Dense(1),
        ]
    )
    draw = np.random.default_rng(1)  # explicit starting weights: seeds differ per backend
    ones, zeros = np.ones(8, "float32"), np.zeros(8, "float32")
    model.set_weights(
        [
            draw.uniform(-0.8, 0.8, (4, 8)).astype("float32"),  # Dense(8) kernel, (in, out)
            draw.uniform(-0.2, 0.2, 8).astype("float32"),  # Dense(8) bias
            ones,  # BatchNormalization gamma
            zeros,  # beta
            zeros,  # moving mean
            ones,  # moving variance
            draw.uniform(-0.8, 0.8, (8, 1)).astype("float32"),  # Dense(1) kernel
            draw.uniform(-0.2, 0.2, 1).astype("float32"),  # Dense(1) bias
        ]
    )
    return model


def checksum(model):
    """Every weight (moving statistics too) times its position, averaged: one comparable number."""
    flat = np.concatenate([np.ravel(w) for w in model.get_weights()]).astype("float64")
    position = np.arange(1, flat.size + 1)
    return float(flat @ position / position.sum())


def inference_loss(model):
    """The MSE in inference mode, where BatchNormalization uses its moving statistics."""
    return float(np.mean((model.predict(x, verbose=0) - y) ** 2))


STEPS, LEARNING_RATE = 20, 0.1  # 20 full-batch steps of plain SGD
model = build_model()
print("start: checksum", round(checksum(model), 7))

# %% Which backend
print("Keras backend:", keras.backend.backend())
print("the model is a torch.nn.Module:", isinstance(model, nn.Module))
report_fact("is_nn_module", isinstance(model, nn.Module))
for name, parameter in model.named_parameters():  # what torch.optim will see
    print(f"  {name.split('/', 1)[1]:36} {tuple(parameter.shape)} grad={parameter.requires_grad}")
print("nn.Module's training flag:", model.training, "(Keras does not read it)")


# %% Train with fit
class TorchStep(keras.Sequential):
    """fit() as usual, but each step written in PyTorch (keras.io: "Customizing what happens
    in fit() with PyTorch")."""

    def train_step(self, data):
        x, y = data[0], data[1]
        self.zero_grad()  # nn.Module.zero_grad: clear the last step's gradients
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        loss.backward()
        trainable = list(self.trainable_weights)
        gradients = [v.value.grad for v in trainable]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


run_label("fit")
model = build_model(TorchStep)
model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss="mse")
history = model.fit(x, y, batch_size=32, epochs=STEPS, shuffle=False, verbose=0)
report_fact("final_loss", history.history["loss"][-1])  # the last step's loss, before its update
report_fact("weights_checksum", checksum(model))
report_fact("inference_loss", inference_loss(model))
print(f"fit: loss {history.history['loss'][-1]:.6f}, checksum {checksum(model):.7f}")

# %% Train with a loop
# No Keras in the loop: torch.optim over the Keras model's parameters, nn.MSELoss, backward().
run_label("loop")
model = build_model()
optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
torch_steps = []  # one entry per optimizer.step(): torch.optim did the training
optimizer.register_step_post_hook(lambda *_: torch_steps.append(1))
loss_fn = nn.MSELoss()
inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
for step in range(1, STEPS + 1):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs, training=True), targets)  # Keras's mode is an argument
    loss.backward()
    optimizer.step()
    report(epoch=step, loss=loss.item())
report_fact("torch_steps", len(torch_steps))
report_fact("final_loss", loss.item())
report_fact("weights_checksum", checksum(model))
report_fact("inference_loss", inference_loss(model))
print(f"loop: loss {loss.item():.6f}, checksum {checksum(model):.7f}")
