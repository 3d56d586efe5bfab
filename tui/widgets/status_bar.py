"""StatusBar: device, Keras backend, framework versions, and each side's run state and time.

One line, whatever the width: at 80 columns the full form ("device: CPU │ Keras backend:
tensorflow (b) │ Keras: running 3.1 s │ PyTorch: …") is cut before the PyTorch side's state, the
part that changes. So the bar renders the longest of several forms that fits, and the shorter
forms put the run states first.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from fwlearn.engine import Start

SEP = " │ "
SHORT_BACKEND = {"tensorflow": "tf", "torch": "torch", "jax": "jax"}


class StatusBar(Static):
    """Pure view: the screen sets the reactives, the bar re-renders one line."""

    device: reactive[str] = reactive("device: not yet known")
    backend: reactive[str] = reactive("tensorflow")
    versions: reactive[str] = reactive("")
    keras_state: reactive[str] = reactive("idle")
    pytorch_state: reactive[str] = reactive("idle")
    # The engine's one-line sandbox summary ("on", "partial (off: ...)", "off: ..."): shown
    # whenever a protection is missing, so the learner knows what a run can reach.
    sandbox: reactive[str] = reactive("")

    def show_start(self, start: Start) -> None:
        """What a run's start says about where runs happen: device, backend, sandbox."""
        self.device = f"device: {describe_device(start.device)}"
        if start.keras_backend:
            self.backend = start.keras_backend
        self.sandbox = str(start.limits.get("sandbox") or "")

    def show_state(self, side: str, state: str) -> None:
        setattr(self, f"{side}_state", state)

    def forms(self) -> list[str]:
        """Every way to say it, longest first."""
        device = self.device.removeprefix("device: ").replace("not yet known", "device ?")
        full = [
            self.device,
            f"Keras backend: {self.backend} (b)",
            f"Keras: {self.keras_state}",
            f"PyTorch: {self.pytorch_state}",
        ]
        states = [f"Keras {self.keras_state}", f"PyTorch {self.pytorch_state}"]
        terse = [f"K {self.keras_state}", f"PT {self.pytorch_state}"]
        gpu = short_device(device)
        backend = SHORT_BACKEND.get(self.backend, self.backend)
        warn: list[str] = []
        short_warn: list[str] = []
        if self.sandbox and self.sandbox != "on":
            warn = [f"sandbox {self.sandbox}"]
            short_warn = [f"sandbox {self.sandbox.split()[0].rstrip(':')}"]  # "partial", "off"
            full.append(f"sandbox: {self.sandbox}")
        forms = [SEP.join([*full, self.versions])] if self.versions else []
        forms += [
            SEP.join(full),
            SEP.join([*states, device, f"backend {self.backend} (b)", *warn]),
            SEP.join([*states, device, f"{backend} (b)", *warn]),
            SEP.join([*states, gpu, f"{backend} (b)", *short_warn]),
            SEP.join([*states, f"{backend} (b)", *short_warn]),
            SEP.join([*terse, gpu, f"{backend} (b)"]),
            SEP.join([*terse, f"{backend} (b)"]),
        ]
        return forms

    def render(self) -> Text:
        """Plain text, never markup: the device name and states come from runs."""
        width = self.content_region.width or self.size.width
        forms = self.forms()
        return Text(next((form for form in forms if len(form) <= width), forms[-1]))


def describe_device(device: str) -> str:
    """``cpu`` → ``CPU``; CUDA devices keep the name and memory the engine reported
    (``cuda:0 (NVIDIA H200, 140 GiB)``, ``engine.worker.cuda_label``)."""
    return "CPU" if device.lower() == "cpu" else device


CUDA_LABEL = re.compile(r"^cuda:\d+ \((?:NVIDIA )?(?P<name>.+)\)$")


def short_device(device: str) -> str:
    """The GPU by name where a whole "cuda:0 (NVIDIA H200, 140 GiB)" does not fit: "H200 140
    GiB". Anything else is shown as it came."""
    match = CUDA_LABEL.match(device)
    return match["name"].replace(",", "") if match else device
