"""The Dataset record and the specification → arrays path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import EngineError


class DataError(EngineError):
    """A dataset that cannot be loaded or does not fit; the message names the field or row at fault."""


@dataclass
class Dataset:
    """Inputs X (n × d) and targets T (n × k), float64, with names and a suggested network."""

    name: str
    X: np.ndarray
    T: np.ndarray
    task: str
    input_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)
    description: str = ""
    #: {"sizes": [...], "activations": [...], "loss": ...}: a network and loss that fit the task
    suggested: dict[str, Any] = field(default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_outputs(self) -> int:
        return int(self.T.shape[1])

    def __len__(self) -> int:
        return int(self.X.shape[0])


@dataclass
class PreparedData:
    """A dataset after split and preprocessing: what a Trainer is given."""

    dataset: Dataset
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray] | None = None
    test: tuple[np.ndarray, np.ndarray] | None = None
    #: the fitted preprocessing, stored back into the project so predictions use the same transform
    preprocessing: dict[str, Any] = field(default_factory=dict)


_GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "xor": [0, 1, 1, 0],
    "xnor": [1, 0, 0, 1],
    "nand": [1, 1, 1, 0],
}


def _gate(name: str, params: dict[str, Any]) -> Dataset:
    encoding = str(params.get("encoding", "01"))
    if encoding not in ("01", "pm1"):
        raise DataError("params.encoding: choose 01 or pm1")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    T = np.array(_GATES[name], dtype=np.float64).reshape(-1, 1)
    if encoding == "pm1":
        X = 2 * X - 1
        T = 2 * T - 1
    out_act = "sigmoid" if encoding == "01" else "tanh"
    return Dataset(
        name=name,
        X=X,
        T=T,
        task="binary",
        input_names=["x1", "x2"],
        target_names=[name.upper()],
        description=f"The {name.upper()} truth table ({'0/1' if encoding == '01' else '±1'} encoding).",
        suggested={"sizes": [2, 2, 1], "activations": [out_act, out_act], "loss": "half_sse"},
    )


def builtin_names() -> list[str]:
    return list(_GATES)


def load_dataset(spec: dict[str, Any]) -> Dataset:
    """The dataset a specification names (a built-in) or holds (inline arrays)."""
    if not isinstance(spec, dict):
        raise DataError("dataset: expected an object")
    if "inline" in spec:
        inline = spec["inline"]
        try:
            X = np.array(inline["inputs"], dtype=np.float64)
            T = np.array(inline["targets"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"dataset.inline: needs numeric 'inputs' and 'targets' ({exc})") from None
        if X.ndim != 2 or T.ndim != 2 or X.shape[0] != T.shape[0]:
            raise DataError("dataset.inline: inputs and targets must be tables with the same number of rows")
        from ..engine import infer_task

        return Dataset(
            name=str(spec.get("name", "inline")),
            X=X,
            T=T,
            task=infer_task(T),
            input_names=list(inline.get("input_names") or [f"x{i + 1}" for i in range(X.shape[1])]),
            target_names=list(inline.get("target_names") or [f"t{i + 1}" for i in range(T.shape[1])]),
        )
    name = spec.get("builtin")
    params = spec.get("params") or {}
    if name in _GATES:
        return _gate(name, params)
    raise DataError(f"dataset.builtin: unknown dataset {name!r}; choose one of: {', '.join(builtin_names())}")


def prepare(spec: dict[str, Any], dataset: Dataset | None = None) -> PreparedData:
    """Load (unless given), split and preprocess the dataset of a specification."""
    ds = dataset if dataset is not None else load_dataset(spec)
    return PreparedData(dataset=ds, train=(ds.X, ds.T))
