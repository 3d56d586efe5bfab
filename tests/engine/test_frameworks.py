"""Real Keras and PyTorch training on tiny data through the engine and the CLI.

These never skip: a missing framework is a failure, so CI cannot go green without them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fwlearn import frameworks
from fwlearn.engine import End, Error, Metric, Run, RunSpec
from fwlearn.engine.process import descendants

# Imports torch/tensorflow in its runs: not part of `make test-fast`.
pytestmark = pytest.mark.frameworks

KERAS_FIT = """
import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(600, 2)).astype("float32")
y = (x[:, 0] * x[:, 1] > 0).astype("int32")
model = keras.Sequential([
    keras.Input((2,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2)
print("trained")
"""

TORCH_LOOP = """
import torch
from torch import nn
from fwlearn import report

torch.manual_seed(0)
x = torch.randn(512, 2)
y = (x[:, 0] > 0).long()
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(1, 6):
    optimizer.zero_grad()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    optimizer.step()
    accuracy = (logits.argmax(1) == y).float().mean()
    report(epoch=epoch, loss=loss, accuracy=accuracy)
    print(f"epoch {epoch}: loss {loss.item():.4f}")
"""


@pytest.mark.parametrize("package", ["torch", "tensorflow", "keras"])
def test_framework_is_installed(package: str) -> None:
    """CI must not go green by skipping: the framework tests need these."""
    assert importlib.util.find_spec(package) is not None, (
        f"{package} missing: make test installs it"
    )


def test_keras_fit_reports_metrics_without_code_changes(run) -> None:
    result = run(KERAS_FIT, name="keras_fit.py")
    assert result.ok, result.stderr
    assert result.start.framework == "keras" and result.start.keras_backend == "tensorflow"
    assert result.start.versions["keras"].startswith("3.")
    train, val = result.epoch_metrics("train"), result.epoch_metrics("val")
    assert [m.epoch for m in train] == [1, 2, 3] == [m.epoch for m in val]
    assert set(train[0].values) == {"loss", "accuracy"} == set(val[0].values)
    batch = [m for m in result.metrics if m.step is not None]
    assert batch and all(m.split == "train" and m.epoch for m in batch)
    assert len(batch) < 3 * 30  # throttled, not one per batch
    assert result.facts["params"] == 2 * 16 + 16 + 16 * 2 + 2
    # The progress bar arrives as clean lines: one per epoch plus the "Epoch n/3" headers.
    lines = result.lines("stdout")
    assert lines.count("Epoch 2/3") == 1 and lines[-1] == "trained"
    assert len(lines) <= 8
    assert not any(ch in line for line in lines for ch in "\b\r\x1b")
    assert any("val_accuracy" in line for line in lines)


def test_keras_on_the_torch_backend(run) -> None:
    result = run(KERAS_FIT, name="keras_fit.py", keras_backend="torch")
    assert result.ok, result.stderr
    assert result.start.keras_backend == "torch" and "torch" in result.start.versions
    assert len(result.epoch_metrics("val")) == 3


def test_keras_evaluate_reports_test_metrics(run) -> None:
    source = KERAS_FIT.replace('print("trained")', "model.evaluate(x, y, verbose=0)")
    result = run(source, name="keras_eval.py")
    assert result.ok, result.stderr
    final = result.final_metrics()
    assert {"test_loss", "test_accuracy", "val_accuracy", "accuracy"} <= set(final)


def test_torch_report_is_captured(run) -> None:
    result = run(TORCH_LOOP, name="torch_loop.py")
    assert result.ok, result.stderr
    assert result.start.framework == "pytorch" and result.start.device == "cpu"
    assert result.start.threads >= 1
    metrics = result.epoch_metrics()
    assert [m.epoch for m in metrics] == [1, 2, 3, 4, 5]
    assert metrics[-1].values["loss"] < metrics[0].values["loss"]
    assert result.facts["params"] == 2 * 8 + 8 + 8 * 2 + 2
    assert result.lines("stdout")[0].startswith("epoch 1: loss ")


def test_cancel_mid_training_kills_dataloader_workers(tmp_path: Path, alive) -> None:
    source = """
import torch
from torch.utils.data import DataLoader, TensorDataset
from fwlearn import report

torch.manual_seed(0)
data = TensorDataset(torch.randn(4096, 2), torch.randint(0, 2, (4096,)))
loader = DataLoader(data, batch_size=8, num_workers=2, persistent_workers=True)
model = torch.nn.Linear(2, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(1, 10_000):
    for xb, yb in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.step()
    report(epoch=epoch, loss=1.0)
"""

    async def scenario() -> tuple[list[object], list[int]]:
        run = Run(RunSpec(path=tmp_path / "loader.py", source=source, timeout=120))
        events: list[object] = []
        family: list[int] = []
        async for event in run.events():
            events.append(event)
            if isinstance(event, Metric) and not family:
                family = [run.child.pid, *descendants(run.child.pid)]
                run.cancel()
        return events, family

    events, family = asyncio.run(scenario())
    end = events[-1]
    assert isinstance(end, End) and end.status == "cancelled"
    error = next(e for e in events if isinstance(e, Error))
    assert error.kind == "cancelled" and error.message == "cancelled by the learner"
    assert len(family) >= 3, "expected the snippet and its two DataLoader workers"
    assert not [pid for pid in family if alive(pid)]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fwlearn", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("name", "source"), [("keras_fit.py", KERAS_FIT), ("torch_loop.py", TORCH_LOOP)]
)
def test_cli_json_prints_one_event_per_line(tmp_path: Path, name: str, source: str) -> None:
    (tmp_path / name).write_text(source)
    done = _cli("run", name, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["type"] == "start" and events[-1]["type"] == "end"
    assert events[-1]["status"] == "ok"
    epochs = [
        e for e in events if e["type"] == "metric" and e["step"] is None and e["split"] == "train"
    ]
    assert [e["epoch"] for e in epochs] == (
        [1, 2, 3] if name.startswith("keras") else [1, 2, 3, 4, 5]
    )
    assert all("loss" in e["values"] for e in epochs)


def test_cli_exit_codes_and_human_output(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("print('fine')\n")
    (tmp_path / "bad.py").write_text("print('about to fail')\nraise ValueError('nope')\n")
    ok = _cli("run", "ok.py", cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("fine\n") and "ok in" in ok.stdout
    bad = _cli("run", "bad.py", cwd=tmp_path)
    assert bad.returncode == 1
    assert "ValueError: nope" in bad.stderr and "line 2" in bad.stdout
    missing = _cli("run", "missing.py", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "no such file" in missing.stderr and "Traceback" not in missing.stderr
    usage = _cli("run", "ok.py", "--device", "tpu", cwd=tmp_path)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    timeout = _cli("run", "ok.py", "--timeout", "0", cwd=tmp_path)
    assert timeout.returncode == 2


def test_ui_side_never_imports_frameworks_and_engine_never_imports_ui() -> None:
    probe = """
import importlib, json, pkgutil, sys
import fwlearn, fwlearn.engine, fwlearn.lessons, fwlearn.tui
ui = ["fwlearn.cli", "fwlearn.paths"]
ui += [m.name for m in pkgutil.walk_packages(fwlearn.tui.__path__, "fwlearn.tui.")]
ui += [m.name for m in pkgutil.walk_packages(fwlearn.lessons.__path__, "fwlearn.lessons.")]
for name in ui:
    importlib.import_module(name)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "tensorflow", "keras", "jax"))
print(json.dumps({"imported": sorted(set(ui)), "heavy": heavy}))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "fwlearn.cli" in report["imported"]
    assert report["heavy"] == []

    engine_probe = """
import importlib, json, pkgutil, sys
import fwlearn.engine

for m in pkgutil.walk_packages(fwlearn.engine.__path__, "fwlearn.engine."):
    importlib.import_module(m.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in
      ("textual", "rich", "torch", "tensorflow", "keras"))))
"""
    done = subprocess.run(
        [sys.executable, "-c", engine_probe], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_doctor_shows_versions_devices_limits_and_storage(tmp_path: Path) -> None:
    done = _cli("doctor", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    torch_row = next(line for line in out.splitlines() if line.startswith("torch "))
    pinned = frameworks.tested_versions()["torch"]
    assert torch_row.split()[1].startswith(pinned) and torch_row.split()[2] == pinned
    assert "(differs)" not in torch_row
    assert any(line.split() == ["pytorch", "cpu"] for line in out.splitlines())
    assert any(line.split()[:3] == ["keras", "(tensorflow)", "cpu"] for line in out.splitlines())
    assert "network for snippets         off" in out
    assert "memory cap (resident)        yes" in out
    assert f"progress is stored in {os.environ['FWLEARN_HOME']}" in out


def test_device_cuda_without_a_gpu_says_so(run) -> None:
    result = run("import torch\nprint(torch.cuda.is_available())\n", device="cuda")
    if result.ok:  # a GPU box: the run is on CUDA
        assert result.start.device.startswith("cuda")
    else:
        assert result.error is not None and result.error.kind == "device"
        assert "no CUDA device" in result.error.message
    cpu = run("import torch\nprint(torch.cuda.is_available())\n", device="cpu")
    assert cpu.ok and cpu.stdout == "False" and cpu.start.device == "cpu"
