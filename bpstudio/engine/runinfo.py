"""Plain records of a training run: progress reports, results, and checked data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import EngineError

Split = tuple[np.ndarray, np.ndarray]


def infer_task(T: np.ndarray) -> str:
    """``multiclass`` for one-hot targets, ``binary`` for one column of two values, else ``regression``."""
    if T.size == 0:
        return "regression"
    if T.shape[1] > 1:
        if np.all((T == 0) | (T == 1)) and np.all(T.sum(axis=1) == 1):
            return "multiclass"
        return "regression"
    return "binary" if np.unique(T).size == 2 else "regression"


@dataclass
class Progress:
    """What a progress callback is told."""

    epoch: int
    step: int
    epochs_target: int
    step_loss: float | None
    epoch_loss: float | None


@dataclass
class RunResult:
    """Why :meth:`Trainer.run` returned: ``epochs``, ``target``, ``early_stopping`` or ``cancelled``."""

    reason: str
    epochs: int
    steps: int


def as_data(X: Any, T: Any, n_in: int, n_out: int, what: str) -> Split:
    """(X, T) as C-contiguous float64 matrices, checked against the network's input and output sizes."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    T = np.ascontiguousarray(T, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if T.ndim == 1:
        T = T.reshape(-1, 1)
    if X.shape[0] != T.shape[0]:
        raise EngineError(f"{what}: {X.shape[0]} input rows but {T.shape[0]} target rows")
    if X.shape[1] != n_in:
        raise EngineError(f"{what}: inputs have {X.shape[1]} columns but the input layer has {n_in} neurons")
    if T.shape[1] != n_out:
        raise EngineError(
            f"{what}: targets have {T.shape[1]} columns but the output layer has {n_out} neurons"
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(T))):
        raise EngineError(f"{what}: contains NaN or infinity")
    return X, T
