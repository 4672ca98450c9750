"""Turning imported columns into a Dataset: one-hot class targets, task and suggested network."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import infer_task
from .files import MAX_CLASSES
from .records import DataError, Dataset, ImportReport, suggest


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key putting ``2`` before ``10`` and ``class_2`` before ``class_10``."""
    try:
        return (0, float(text), "")
    except ValueError:
        parts = re.split(r"(\d+)", text)
        # isdecimal, not isdigit: "¹" is a digit that int() refuses
        return (1, 0.0, tuple((0, int(p), "") if p.isdecimal() else (1, 0, p.lower()) for p in parts))


def class_text(value: Any) -> str:
    """The name of a class label: integral numbers without ``.0``, text stripped."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value).strip()


def one_hot(labels: Sequence[str], where: str) -> tuple[np.ndarray, list[str]]:
    """T (n × K) with T[i, c] = 1 iff labels[i] is class c; classes sorted naturally.

    Refuses more than MAX_CLASSES classes (a column of free text is not a class label).
    """
    classes = sorted(set(labels), key=natural_key)
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"{where}: {len(classes):,} different values; a class target may have at most "
            f"{MAX_CLASSES:,} classes (is it the right column?)"
        )
    index = {c: i for i, c in enumerate(classes)}
    idx = np.fromiter((index[v] for v in labels), dtype=np.intp, count=len(labels))
    T = np.zeros((len(labels), len(classes)), dtype=np.float64)
    T[np.arange(len(labels)), idx] = 1.0
    return T, classes


def finish(
    name: str,
    X: np.ndarray,
    T: np.ndarray,
    input_names: list[str],
    target_names: list[str],
    class_names: list[str] | None,
    report: ImportReport,
    source: str,
) -> Dataset:
    """A Dataset with its task inferred from T and a suggested network for that task."""
    if X.shape[0] == 0:
        raise DataError(f"{source}: no data rows")
    if X.shape[1] == 0:
        raise DataError(f"{source}: no input columns")
    if T.ndim != 2 or T.shape[1] == 0:
        raise DataError(f"{source}: no target values")
    if class_names:
        task = "multiclass"
    else:
        task = infer_task(T)
    pm1 = False
    if task == "binary":
        levels = np.unique(T[:, 0])
        pm1 = bool(levels[0] == -1 and levels[-1] == 1)
        class_names = [class_text(levels[0]), class_text(levels[-1])]
    return Dataset(
        name=name,
        X=X,
        T=T,
        task=task,
        input_names=input_names,
        target_names=target_names,
        class_names=list(class_names or []),
        description=f"Imported from {source}.",
        suggested=suggest(task, X.shape[1], T.shape[1], pm1=pm1),
        source=source,
        report=report,
    )
