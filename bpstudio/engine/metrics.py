"""Accuracy: the one definition of "classified correctly" that training, plots and ``predict`` share.

* multiclass (one-hot targets): output row o is correct when argmax o = argmax t;
* binary (one output, targets at two levels lo < hi): correct when (o > m) = (t > m), m = (lo + hi)/2;
* regression: no accuracy (None).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["accuracy", "correct_counter"]

#: counts the correct rows of an output block ``o`` against the target rows ``rows`` of T
Counter = Callable[[np.ndarray, slice], int]


def correct_counter(task: str, T: np.ndarray, levels: tuple[float, float] = (0.0, 1.0)) -> Counter | None:
    """A function ``count(o, rows)``: how many rows of the output block ``o`` match T[rows] (see the
    module docstring); None for regression. The targets' labels are computed once, here."""
    if task == "multiclass":
        labels = np.argmax(T, axis=1)

        def count(o: np.ndarray, rows: slice) -> int:
            return int(np.count_nonzero(np.argmax(o, axis=1) == labels[rows]))

        return count
    if task == "binary":
        mid = 0.5 * (levels[0] + levels[1])
        positive = T[:, 0] > mid

        def count_binary(o: np.ndarray, rows: slice) -> int:
            return int(np.count_nonzero((o[:, 0] > mid) == positive[rows]))

        return count_binary
    return None


def accuracy(
    task: str, O: np.ndarray, T: np.ndarray, levels: tuple[float, float] = (0.0, 1.0)
) -> float | None:
    """The fraction of the rows of the outputs O classified correctly against T (None for regression)."""
    count = correct_counter(task, T, levels)
    if count is None or O.shape[0] == 0:
        return None
    return count(O, slice(0, O.shape[0])) / O.shape[0]
