"""Training history: per-step batch loss and gradient norms, per-epoch loss and accuracy per split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPLITS = ("train", "val", "test")


@dataclass
class History:
    """Growing lists; plots read them, the project file stores them."""

    #: batch loss (with regularisation) before each update
    step_loss: list[float] = field(default_factory=list)
    #: for each update, ‖∂E/∂Wˡ‖ (Frobenius) per weight layer
    grad_norms: list[list[float]] = field(default_factory=list)
    #: epoch number (1-based) of each per-epoch entry
    epochs: list[int] = field(default_factory=list)
    #: mean per-sample error over each split after each epoch (None when the split is empty)
    loss: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    #: accuracy over each split after each epoch (None for regression or an empty split)
    accuracy: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SPLITS})

    def truncate(self, n_steps: int, n_epochs: int) -> None:
        """Forget everything after the first ``n_steps`` steps and ``n_epochs`` epochs (undo)."""
        del self.step_loss[n_steps:]
        del self.grad_norms[n_steps:]
        del self.epochs[n_epochs:]
        for s in SPLITS:
            del self.loss[s][n_epochs:]
            del self.accuracy[s][n_epochs:]

    def clear(self) -> None:
        self.truncate(0, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step_loss": list(self.step_loss),
            "grad_norms": [list(g) for g in self.grad_norms],
            "epochs": list(self.epochs),
            "loss": {s: list(v) for s, v in self.loss.items()},
            "accuracy": {s: list(v) for s, v in self.accuracy.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        h = cls()
        h.step_loss = [float(x) for x in data.get("step_loss", [])]
        h.grad_norms = [[float(x) for x in g] for g in data.get("grad_norms", [])]
        h.epochs = [int(x) for x in data.get("epochs", [])]
        for s in SPLITS:
            h.loss[s] = [None if x is None else float(x) for x in data.get("loss", {}).get(s, [])]
            h.accuracy[s] = [None if x is None else float(x) for x in data.get("accuracy", {}).get(s, [])]
        return h
