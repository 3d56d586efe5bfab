"""StatusBar: device, Keras backend, framework versions, and each side's run state and time."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    """Pure view: the screen sets the reactives, the bar re-renders one line."""

    device: reactive[str] = reactive("device: not yet known")
    backend: reactive[str] = reactive("tensorflow")
    versions: reactive[str] = reactive("")
    keras_state: reactive[str] = reactive("idle")
    pytorch_state: reactive[str] = reactive("idle")

    def render(self) -> str:
        parts = [
            self.device,
            f"Keras backend: {self.backend} (b)",
            f"Keras: {self.keras_state}",
            f"PyTorch: {self.pytorch_state}",
        ]
        if self.versions:
            parts.append(self.versions)
        return " │ ".join(parts)
