"""Input scaling and train/validation/test splits.

Every scaling is x′ = (x − shift) / scale, column by column, fitted on the training split only:

* ``minmax01``: shift = min, scale = max − min, so the training inputs span [0, 1];
* ``minmax11``: shift = (min + max)/2, scale = (max − min)/2, so they span [−1, 1];
* ``standardise``: shift = mean, scale = standard deviation (population, ddof = 0).

A constant column (scale 0) gets scale 1. With ``per_feature: false`` one shift and scale are fitted
to all inputs together (right for pixels, which share one range). The fitted transform is a JSON-able
dict {"scaling", "per_feature", "n_inputs", "shift", "scale", "train_samples"}
(:attr:`PreparedData.preprocessing`; a project stores it as ``input_transform``) that
:func:`apply_preprocessing` applies to new inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .records import DataError, shown

SCALINGS = ("none", "minmax01", "minmax11", "standardise")
#: keys a "preprocessing" object may have: the choice (scaling, per_feature) and, ignored by prepare(),
#: the members of a fitted transform (so a fitted transform is accepted as a choice)
PREPROCESSING_KEYS = ("scaling", "per_feature", "shift", "scale", "n_inputs", "train_samples")
#: how a scaling is named in messages
SCALING_TITLES = {
    "none": "no scaling",
    "minmax01": "min–max [0, 1]",
    "minmax11": "min–max [−1, 1]",
    "standardise": "standardisation",
}
SPLIT_KEYS = ("val", "test", "seed", "stratify")


def check_preprocessing(spec: Any) -> tuple[str, bool]:
    """(scaling, per_feature) of a ``"preprocessing"`` object, validated."""
    if spec is None:
        return "none", True
    if not isinstance(spec, Mapping):
        raise DataError('preprocessing: expected an object like {"scaling": "minmax01"}')
    for key in spec:
        if key not in PREPROCESSING_KEYS:
            raise DataError(f"preprocessing.{key}: unknown option (options: scaling, per_feature)")
    scaling = spec.get("scaling", "none")
    if scaling == "standardize":
        scaling = "standardise"
    if scaling not in SCALINGS:
        raise DataError(f"preprocessing.scaling: choose one of {', '.join(SCALINGS)}, not {shown(scaling)}")
    per_feature = spec.get("per_feature", True)
    if not isinstance(per_feature, bool):
        raise DataError("preprocessing.per_feature: must be true or false")
    return scaling, per_feature


def fit_scaling(X: np.ndarray, scaling: str, per_feature: bool = True) -> dict[str, Any]:
    """The transform {"scaling", "per_feature", "n_inputs", "shift", "scale", "train_samples"} fitted to X.

    ``train_samples`` is the number of rows of X; "none" has no shift and scale.
    """
    d = X.shape[1]
    out: dict[str, Any] = {"scaling": scaling, "per_feature": per_feature, "n_inputs": int(d)}
    if scaling == "none":
        out["train_samples"] = int(X.shape[0])
        return out
    if X.shape[0] == 0:
        raise DataError("preprocessing: no training samples to fit the scaling to")
    axis = 0 if per_feature else None
    if scaling == "standardise":
        shift = np.mean(X, axis=axis)
        scale = np.std(X, axis=axis)
    else:
        lo, hi = np.min(X, axis=axis), np.max(X, axis=axis)
        if scaling == "minmax01":
            shift, scale = lo, hi - lo
        else:
            shift, scale = 0.5 * (lo + hi), 0.5 * (hi - lo)
    shift = np.broadcast_to(np.asarray(shift, dtype=np.float64), (d,)).copy()
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), (d,)).copy()
    if not (np.all(np.isfinite(shift)) and np.all(np.isfinite(scale))):
        raise DataError("preprocessing: the inputs are too large to scale")
    scale[scale <= 1e-12 * np.maximum(1.0, np.abs(shift))] = 1.0
    out["shift"] = shift.tolist()
    out["scale"] = scale.tolist()
    out["train_samples"] = int(X.shape[0])
    return out


def _transform(
    preprocessing: Mapping[str, Any], n_inputs: int, where: str = "preprocessing"
) -> tuple[np.ndarray, np.ndarray] | None:
    if where == "preprocessing":
        scaling, _ = check_preprocessing(preprocessing)
    else:
        scaling = preprocessing.get("scaling", "")
        if scaling not in SCALINGS:
            raise DataError(f"{where}.scaling: choose one of {', '.join(SCALINGS)}, not {shown(scaling)}")
    if scaling == "none":
        return None
    try:
        shift = np.array(preprocessing["shift"], dtype=np.float64)
        scale = np.array(preprocessing["scale"], dtype=np.float64)
    except KeyError as exc:
        raise DataError(f"{where}.{exc.args[0]}: missing; the scaling has not been fitted") from None
    except (TypeError, ValueError, OverflowError, RecursionError):
        raise DataError(f"{where}.shift/scale: expected lists of numbers") from None
    if shift.shape != (n_inputs,) or scale.shape != (n_inputs,):
        raise DataError(
            f"{where}: the stored scaling is for {shift.size} inputs, but the data have {n_inputs}"
        )
    if not (np.all(np.isfinite(shift)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise DataError(f"{where}.scale: must be finite numbers > 0")
    return shift, scale


def check_transform(transform: Any, where: str = "input_transform") -> tuple[str, bool, int]:
    """(scaling, per_feature, n_inputs) of a stored, fitted transform, after checking it can be applied."""
    if not isinstance(transform, Mapping):
        raise DataError(f"{where}: expected a fitted transform (an object), not {shown(transform)}")
    n = transform.get("n_inputs")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DataError(f"{where}.n_inputs: expected a whole number ≥ 1, not {shown(n)}")
    per_feature = transform.get("per_feature", True)
    if not isinstance(per_feature, bool):
        raise DataError(f"{where}.per_feature: must be true or false")
    _transform(transform, n, where)
    return str(transform["scaling"]), per_feature, n


def transform_fits(transform: Mapping[str, Any], scaling: str, per_feature: bool, n_inputs: int) -> bool:
    """True when a stored transform was fitted for this scaling choice and this many inputs."""
    s, pf, n = check_transform(transform)
    return s == scaling and pf == per_feature and n == n_inputs


def describe_transform(transform: Mapping[str, Any] | None) -> str:
    """A transform in words, e.g. ``min–max [0, 1] (fitted on 105 training samples)``."""
    if transform is None:
        return "no recorded transform"
    scaling = transform.get("scaling", "none")
    title = SCALING_TITLES.get(scaling, str(scaling))
    if scaling == "none":
        return title
    extra = [] if transform.get("per_feature", True) else ["one range for all inputs"]
    n = transform.get("train_samples")
    if isinstance(n, int) and not isinstance(n, bool):
        extra.append(f"fitted on {n:,} training sample{'s' if n != 1 else ''}")
    return title + (f" ({'; '.join(extra)})" if extra else "")


def transform_arrays(
    preprocessing: Mapping[str, Any] | None, n_inputs: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """(shift, scale) of a stored (fitted) transform for ``n_inputs`` inputs, or None when the inputs
    are used as they are; DataError when it is not usable."""
    return _transform(preprocessing or {}, n_inputs)


def apply_preprocessing(preprocessing: Mapping[str, Any] | None, X: np.ndarray) -> np.ndarray:
    """x′ = (x − shift) / scale with a stored (fitted) transform; X is (n × d) or one sample (d,)."""
    X = np.asarray(X, dtype=np.float64)
    one = X.ndim == 1
    X2 = X.reshape(1, -1) if one else X
    t = _transform(preprocessing or {}, X2.shape[1])
    out = X2.copy() if t is None else (X2 - t[0]) / t[1]
    return out[0] if one else out


def invert_preprocessing(preprocessing: Mapping[str, Any] | None, Xs: np.ndarray) -> np.ndarray:
    """x = x′·scale + shift: scaled inputs back in the data's own units (e.g. to label plot axes)."""
    Xs = np.asarray(Xs, dtype=np.float64)
    one = Xs.ndim == 1
    X2 = Xs.reshape(1, -1) if one else Xs
    t = _transform(preprocessing or {}, X2.shape[1])
    out = X2.copy() if t is None else X2 * t[1] + t[0]
    return out[0] if one else out


def check_split(spec: Any) -> tuple[float, float, int, bool]:
    """(val, test, seed, stratify) of a ``"split"`` object, validated."""
    if spec is None:
        return 0.0, 0.0, 0, True
    if not isinstance(spec, Mapping):
        raise DataError('split: expected an object like {"val": 0.2, "test": 0.1}')
    for key in spec:
        if key not in SPLIT_KEYS:
            raise DataError(f"split.{key}: unknown option (options: {', '.join(SPLIT_KEYS)})")
    fractions = []
    for key in ("val", "test"):
        v = spec.get(key, 0.0)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1 or not math.isfinite(v):
            raise DataError(f"split.{key}: must be a fraction from 0 to less than 1, not {shown(v)}")
        fractions.append(float(v))
    if fractions[0] + fractions[1] >= 1:
        raise DataError("split: val + test must be less than 1, to leave samples for training")
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise DataError("split.seed: must be a whole number ≥ 0")
    stratify = spec.get("stratify", True)
    if not isinstance(stratify, bool):
        raise DataError("split.stratify: must be true or false")
    return fractions[0], fractions[1], seed, stratify


def _quotas(counts: list[int], fraction: float) -> list[int]:
    """Split round(N·fraction) samples among groups of ``counts`` in proportion (largest remainder)."""
    total = int(round(sum(counts) * fraction))
    exact = [c * fraction for c in counts]
    out = [int(np.floor(e)) for e in exact]
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: max(0, total - sum(out))]:
        out[i] += 1
    return out


def split_indices(
    n: int, val: float, test: float, seed: int = 0, labels: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Row numbers of the train/val/test splits, each sorted, drawn with ``default_rng(seed)``.

    round(n·test) test and round(n·val) validation samples are drawn. With ``labels`` (stratified)
    they are shared among the classes in proportion to the class sizes (largest remainder), so each
    split keeps the class proportions; every class keeps at least one training sample.
    """
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    counts = [len(g) for g in groups]
    n_tests = _quotas(counts, test)
    n_vals = _quotas(counts, val)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for idx, m, n_test, n_val in zip(groups, counts, n_tests, n_vals):
        idx = rng.permutation(idx)
        excess = n_test + n_val - (m - 1)
        if excess > 0:  # keep at least one sample of every class for training
            take = min(excess, n_val)
            n_val -= take
            n_test -= excess - take
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test : n_test + n_val])
        parts["train"].append(idx[n_test + n_val :])
    return {
        k: np.sort(np.concatenate(v)).astype(np.intp) if v else np.zeros(0, np.intp) for k, v in parts.items()
    }
