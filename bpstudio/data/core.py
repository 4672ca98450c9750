"""The specification → Dataset → PreparedData path (see the package docstring for the spec form)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..engine import infer_task
from .builtins import builtin_names, load_builtin
from .files import load_file
from .preprocess import (
    apply_preprocessing,
    check_preprocessing,
    check_split,
    fit_scaling,
    split_indices,
    transform_fits,
)
from .records import DataError, Dataset, ImportReport, PreparedData, suggest

__all__ = [
    "DataError",
    "Dataset",
    "ImportReport",
    "PreparedData",
    "builtin_names",
    "check_fits",
    "load_dataset",
    "prepare",
]

COMMON_KEYS = ("preprocessing", "split", "name", "description")
KIND_KEYS = {
    "builtin": ("builtin", "params"),
    "inline": ("inline",),
}
INLINE_KEYS = ("inputs", "targets", "input_names", "target_names", "class_names")


def spec_kind(spec: Any) -> str:
    """``builtin``, ``inline`` or ``file``: which kind of dataset a specification describes."""
    if not isinstance(spec, Mapping):
        raise DataError('dataset: expected an object such as {"builtin": "xor"}')
    kinds = [k for k in ("builtin", "inline", "file") if k in spec]
    if len(kinds) != 1:
        if not kinds:
            raise DataError(
                'dataset: give a built-in name ("builtin"), inline data ("inline") or a file ("file")'
            )
        raise DataError(f"dataset: give only one of {', '.join(repr(k) for k in kinds)}")
    return kinds[0]


def load_dataset(spec: Mapping[str, Any], base_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """The dataset a specification names (a built-in), holds (inline arrays) or points to (a file).

    A relative file path is taken relative to ``base_dir`` (e.g. the project's folder), else to the
    current folder.
    """
    kind = spec_kind(spec)
    if kind == "file":
        return load_file(spec, base_dir)
    allowed = set(KIND_KEYS[kind]) | set(COMMON_KEYS)
    for key in spec:
        if key not in allowed:
            raise DataError(f"dataset.{key}: unknown option of a {kind} dataset")
    if kind == "builtin":
        ds = load_builtin(spec["builtin"], spec.get("params"))
    else:
        ds = _inline(spec["inline"], str(spec.get("name") or "inline"))
    if isinstance(spec.get("name"), str) and spec["name"]:
        ds.name = spec["name"]
    return ds


def _names(value: Any, count: int, default: list[str], where: str) -> list[str]:
    if value is None:
        return default
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or len(value) != count
        or not all(isinstance(v, str) for v in value)
    ):
        raise DataError(f"{where}: expected a list of {count} names")
    return list(value)


def _inline(inline: Any, name: str) -> Dataset:
    if not isinstance(inline, Mapping):
        raise DataError('dataset.inline: expected an object with "inputs" and "targets"')
    for key in inline:
        if key not in INLINE_KEYS:
            raise DataError(f"dataset.inline.{key}: unknown key (keys: {', '.join(INLINE_KEYS)})")
    arrays = []
    for key in ("inputs", "targets"):
        if key not in inline:
            raise DataError(f"dataset.inline.{key}: missing")
        try:
            arr = np.array(inline[key], dtype=np.float64)
        except (TypeError, ValueError, OverflowError, RecursionError):
            raise DataError(f"dataset.inline.{key}: expected a table (a list of rows) of numbers") from None
        if arr.ndim != 2:
            raise DataError(f"dataset.inline.{key}: expected a table (a list of rows) of numbers")
        if not np.all(np.isfinite(arr)):
            i, j = np.argwhere(~np.isfinite(arr))[0]
            raise DataError(f"dataset.inline.{key}[{i}][{j}]: must be a finite number")
        arrays.append(arr)
    X, T = arrays
    if X.shape[0] != T.shape[0]:
        raise DataError(f"dataset.inline: {X.shape[0]} rows of inputs but {T.shape[0]} rows of targets")
    if X.shape[0] == 0 or X.shape[1] == 0 or T.shape[1] == 0:
        raise DataError("dataset.inline: needs at least one sample with one input and one target")
    task = infer_task(T)
    target_names = _names(
        inline.get("target_names"),
        T.shape[1],
        [f"t{i + 1}" for i in range(T.shape[1])],
        "dataset.inline.target_names",
    )
    class_names: list[str] = []
    if task == "multiclass":
        class_names = list(target_names)
    elif task == "binary" and inline.get("class_names") is not None:
        class_names = _names(inline.get("class_names"), 2, [], "dataset.inline.class_names")
    levels = np.unique(T) if task == "binary" else None
    pm1 = levels is not None and levels[0] == -1 and levels[-1] == 1
    return Dataset(
        name=name,
        X=X,
        T=T,
        task=task,
        input_names=_names(
            inline.get("input_names"),
            X.shape[1],
            [f"x{i + 1}" for i in range(X.shape[1])],
            "dataset.inline.input_names",
        ),
        target_names=target_names,
        class_names=class_names,
        description="Data stored in the project.",
        suggested=suggest(task, X.shape[1], T.shape[1], pm1=bool(pm1)),
    )


def prepare(
    spec: Mapping[str, Any],
    dataset: Dataset | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    transform: Mapping[str, Any] | None = None,
) -> PreparedData:
    """Load (unless given), split and preprocess the dataset of a specification.

    The split (``spec["split"]``: val and test fractions, seed, stratify) is drawn first; the scaling
    (``spec["preprocessing"]``) is then fitted on the training split only and applied to all three.

    ``transform``: a stored, fitted transform (a project's ``input_transform``). When it was fitted for
    the same scaling choice (scaling and per_feature) and as many inputs as the data have, it is applied
    as it is, not fitted again, so data that changed since are still scaled as the network was trained;
    otherwise it is ignored and the scaling is fitted. A malformed one is a DataError.
    The transform used is returned in :attr:`PreparedData.preprocessing`.
    """
    if not isinstance(spec, Mapping):
        raise DataError('dataset: expected an object such as {"builtin": "xor"}')
    ds = dataset if dataset is not None else load_dataset(spec, base_dir)
    val, test, seed, stratify = check_split(spec.get("split"))
    scaling, per_feature = check_preprocessing(spec.get("preprocessing"))
    n = len(ds)
    if val == 0 and test == 0:
        idx = {"train": np.arange(n), "val": np.zeros(0, np.intp), "test": np.zeros(0, np.intp)}
    else:
        labels = ds.labels() if stratify and ds.is_classification else None
        idx = split_indices(n, val, test, seed, labels)
    if idx["train"].size == 0:
        raise DataError(f"split: no samples are left for training ({n} samples in all)")
    if transform is not None and transform_fits(transform, scaling, per_feature, ds.n_inputs):
        fitted = _copy_transform(transform)
    else:
        fitted = fit_scaling(ds.X[idx["train"]], scaling, per_feature)

    def part(name: str) -> tuple[np.ndarray, np.ndarray] | None:
        rows = idx[name]
        if rows.size == 0 and name != "train":
            return None
        return apply_preprocessing(fitted, ds.X[rows]), ds.T[rows].copy()

    train = part("train")
    assert train is not None
    return PreparedData(
        dataset=ds, train=train, val=part("val"), test=part("test"), preprocessing=fitted, indices=idx
    )


def _copy_transform(transform: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(transform)
    for key in ("shift", "scale"):
        if key in out:
            out[key] = [float(v) for v in out[key]]
    return out


def check_fits(dataset: Dataset, sizes: Sequence[int]) -> None:
    """DataError unless the dataset's inputs and targets match the network's first and last layers."""

    def neurons(k: int) -> str:
        return f"{k} neuron" + ("" if k == 1 else "s")

    d, k = dataset.n_inputs, dataset.n_outputs
    if d != sizes[0]:
        have = f"dataset has {d} input{'s' if d != 1 else ''}"
        raise DataError(f"{have} but the network's input layer has {neurons(sizes[0])}")
    if k != sizes[-1]:
        have = f"dataset has {k} target{'s' if k != 1 else ''}"
        raise DataError(f"{have} but the network's output layer has {neurons(sizes[-1])}")
