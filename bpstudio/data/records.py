"""The records of the data package: :class:`Dataset`, :class:`ImportReport`, :class:`PreparedData`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import EngineError
from ..engine.errors import MAX_EXCERPT, excerpt

TASKS = ("binary", "multiclass", "regression")


class DataError(EngineError):
    """A dataset that cannot be loaded or does not fit; the message names the field or row at fault."""


def shown(value: Any, limit: int = MAX_EXCERPT) -> str:
    """repr(value), cut to ``limit`` characters for an error message (``engine.errors.excerpt``)."""
    return excerpt(value, limit)


@dataclass
class ImportReport:
    """What an importer did to a file: its size, its layout and the values it had to fill in.

    ``filled`` maps a column name to the number of missing values in it that were replaced by the
    column mean (the notes' tip: x̄ⱼ = mean of the present values of column j).
    """

    source: str
    format: str
    rows: int
    columns: int
    header: bool = False
    filled: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total_filled(self) -> int:
        return int(sum(self.filled.values()))

    def summary(self) -> str:
        """One line, e.g. ``iris.csv: 150 rows × 5 columns (header); filled 3 missing values``."""
        text = f"{self.source}: {self.rows:,} rows × {self.columns:,} columns"
        if self.header:
            text += " (header)"
        if self.filled:
            cols = ", ".join(f"{name!r}: {n}" for name, n in self.filled.items())
            n = self.total_filled
            text += f"; filled {n:,} missing value{'s' if n != 1 else ''} with the column mean ({cols})"
        for note in self.notes:
            text += f"; {note}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "rows": self.rows,
            "columns": self.columns,
            "header": self.header,
            "filled": dict(self.filled),
            "total_filled": self.total_filled,
            "notes": list(self.notes),
        }


@dataclass
class Dataset:
    """Inputs X (n × d) and targets T (n × k), float64, with names and a suggested network.

    ``task`` is ``binary`` (one column of two levels, 0/1 or −1/+1), ``multiclass`` (one-hot rows)
    or ``regression``. ``target_names`` names the columns of T: for one-hot targets these are the
    class names. ``class_names`` lists the classes of a classification task in target order (for a
    binary task: the class of the low level, then the class of the high level).
    ``suggested`` is ``{"sizes": [...], "activations": [...], "loss": ..., "scaling": ...}``: a
    network, loss and input scaling that fit the task, in the engine's names.

    The arrays of a dataset loaded from a file may be read-only (shared with the loader's
    "same file again" cache): copy them before changing them in place.
    """

    name: str
    X: np.ndarray
    T: np.ndarray
    task: str
    input_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)
    description: str = ""
    #: {"sizes": [...], "activations": [...], "loss": ...}: a network and loss that fit the task
    suggested: dict[str, Any] = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    #: the parameters the dataset was made with (defaults filled in), for built-ins
    params: dict[str, Any] = field(default_factory=dict)
    #: where the data come from (a file path, or the provenance of a shipped set)
    source: str = ""
    #: for imported files: rows, columns, missing values filled
    report: ImportReport | None = None

    @property
    def n_inputs(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_outputs(self) -> int:
        return int(self.T.shape[1])

    @property
    def is_classification(self) -> bool:
        return self.task in ("binary", "multiclass")

    def labels(self) -> np.ndarray:
        """The class index of every sample: argmax of one-hot rows, or 0/1 for the low/high level."""
        if self.task == "multiclass":
            return np.argmax(self.T, axis=1)
        if self.task == "binary":
            levels = np.unique(self.T[:, 0])
            return (self.T[:, 0] > 0.5 * (levels[0] + levels[-1])).astype(int)
        raise DataError(f"{self.name}: a regression dataset has no class labels")

    def __len__(self) -> int:
        return int(self.X.shape[0])


@dataclass
class PreparedData:
    """A dataset after split and preprocessing: what a Trainer is given.

    ``indices`` maps ``train``/``val``/``test`` to the row numbers (into ``dataset.X``) of each split.
    """

    dataset: Dataset
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None = None
    test: tuple[np.ndarray, np.ndarray] | None = None
    #: the fitted preprocessing, stored back into the project so predictions use the same transform
    preprocessing: dict[str, Any] = field(default_factory=dict)
    indices: dict[str, np.ndarray] = field(default_factory=dict)

    def sizes(self) -> dict[str, int]:
        """Samples per split, e.g. ``{"train": 120, "val": 20, "test": 10}``."""
        out = {"train": int(self.train[0].shape[0])}
        out["val"] = 0 if self.val is None else int(self.val[0].shape[0])
        out["test"] = 0 if self.test is None else int(self.test[0].shape[0])
        return out


def suggest(task: str, n_in: int, n_out: int, hidden: int | None = None, pm1: bool = False) -> dict[str, Any]:
    """A network, loss and output activation for a task (used for imported files).

    One hidden layer of h = clamp(2·max(d, k), 4, 30) neurons (sigmoid for classification, tanh for
    regression); binary → sigmoid output + bce (tanh + mse for ±1 targets), multiclass → softmax +
    cce, regression → identity + mse.
    """
    h = hidden if hidden is not None else int(min(30, max(4, 2 * max(n_in, n_out))))
    if task == "multiclass":
        acts, loss = ["sigmoid", "softmax"], "cce"
    elif task == "binary":
        acts, loss = (["tanh", "tanh"], "mse") if pm1 else (["sigmoid", "sigmoid"], "bce")
    else:
        acts, loss = ["tanh", "identity"], "mse"
    return {"sizes": [n_in, h, n_out], "activations": acts, "loss": loss, "scaling": "standardise"}
