"""The registry of built-in datasets: generated ones and the real sets shipped in resources/datasets."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import resource_path
from . import synthetic as syn
from .params import ENCODING, SEED, Param, n_param, noise_param, resolve
from .records import DataError, Dataset, shown


@dataclass(frozen=True)
class Builtin:
    """A built-in dataset: its name, kind, parameters and the function that makes it."""

    name: str
    title: str
    group: str
    params: tuple[Param, ...]
    make: Callable[[dict[str, Any]], Dataset]

    def load(self, params: Any = None) -> Dataset:
        resolved = resolve(self.name, params, self.params)
        ds = self.make(resolved)
        ds.params = resolved
        return ds


# ---------------------------------------------------------------------------- real datasets
@dataclass(frozen=True)
class _Shipped:
    file: str
    target: str
    onehot: bool
    title: str
    source: str
    suggested: dict[str, Any]
    class_names: tuple[str, ...] = ()


_CITE = "UCI Machine Learning Repository, CC BY 4.0; see resources/datasets/PROVENANCE.md"
SHIPPED = {
    "iris": _Shipped(
        "iris.csv.gz",
        "species",
        True,
        "Fisher's iris flowers: 4 measurements (cm) → 3 species (50 each).",
        f"R. A. Fisher (1936), Iris, doi:10.24432/C56C76; {_CITE}",
        {"sizes": [4, 8, 3], "activations": ["sigmoid", "softmax"], "loss": "cce", "scaling": "standardise"},
    ),
    "wine": _Shipped(
        "wine.csv.gz",
        "cultivar",
        True,
        "Wine recognition: 13 chemical measurements → 3 cultivars (59, 71, 48).",
        f"S. Aeberhard, M. Forina (1992), Wine, doi:10.24432/C5PC7J; {_CITE}",
        {
            "sizes": [13, 10, 3],
            "activations": ["sigmoid", "softmax"],
            "loss": "cce",
            "scaling": "standardise",
        },
    ),
    "breast_cancer": _Shipped(
        "breast_cancer.csv.gz",
        "malignant",
        False,
        "Breast Cancer Wisconsin (diagnostic): 30 cell-nucleus features → malignant (1, 212) or benign "
        "(0, 357).",
        f"W. Wolberg, O. Mangasarian, N. Street, W. Street (1993), Breast Cancer Wisconsin (Diagnostic), "
        f"doi:10.24432/C5DW2B; {_CITE}",
        {
            "sizes": [30, 16, 1],
            "activations": ["sigmoid", "sigmoid"],
            "loss": "bce",
            "scaling": "standardise",
        },
        ("benign", "malignant"),
    ),
    "digits": _Shipped(
        "digits.csv.gz",
        "digit",
        True,
        "Handwritten digits: 1,797 images of 8×8 pixels (values 0–16) → digit 0–9; a small stand-in for "
        "MNIST.",
        f"E. Alpaydin, C. Kaynak (1998), Optical Recognition of Handwritten Digits (test set), "
        f"doi:10.24432/C50P49; {_CITE}",
        {"sizes": [64, 30, 10], "activations": ["sigmoid", "softmax"], "loss": "cce", "scaling": "minmax01"},
    ),
}


@functools.lru_cache(maxsize=8)
def _read_shipped(name: str) -> Dataset:
    from .csvfile import read_delimited

    info = SHIPPED[name]
    path = resource_path("datasets", info.file)
    return read_delimited(path, target=info.target, header=True, onehot=info.onehot)


def _shipped(name: str, params: dict[str, Any]) -> Dataset:
    info = SHIPPED[name]
    base = _read_shipped(name)
    class_names = list(info.class_names) or list(base.class_names)
    return Dataset(
        name=name,
        X=base.X.copy(),
        T=base.T.copy(),
        task=base.task,
        input_names=list(base.input_names),
        target_names=list(base.target_names) if base.task != "binary" else [info.target],
        class_names=class_names,
        description=info.title,
        suggested={k: (list(v) if isinstance(v, list) else v) for k, v in info.suggested.items()},
        source=info.source,
    )


# ---------------------------------------------------------------------------- the registry
def _gate_maker(name: str) -> Callable[[dict[str, Any]], Dataset]:
    return lambda p: syn.gate(name, p)


def _shipped_maker(name: str) -> Callable[[dict[str, Any]], Dataset]:
    return lambda p: _shipped(name, p)


_BINARY_2D = (ENCODING, SEED)
_REGISTRY: list[Builtin] = [
    *(
        Builtin(g, f"{g.upper()} truth table", "logic gates", (ENCODING,), _gate_maker(g))
        for g in ("and", "or", "xor", "xnor", "nand")
    ),
    Builtin("majority", "3-input majority truth table", "logic gates", (ENCODING,), syn.majority),
    Builtin(
        "circle",
        "circle in a ring",
        "2-D classification",
        (n_param(200), noise_param(0.05), *_BINARY_2D),
        syn.circle,
    ),
    Builtin(
        "xor_quadrants",
        "XOR quadrants",
        "2-D classification",
        (n_param(200), noise_param(0.05), *_BINARY_2D),
        syn.xor_quadrants,
    ),
    Builtin(
        "gaussians",
        "two Gaussians",
        "2-D classification",
        (n_param(200), noise_param(0.3, "std of each Gaussian blob"), *_BINARY_2D),
        syn.gaussians,
    ),
    Builtin(
        "spirals",
        "two spirals",
        "2-D classification",
        (n_param(200), noise_param(0.02), *_BINARY_2D),
        syn.spirals,
    ),
    Builtin(
        "moons", "two moons", "2-D classification", (n_param(200), noise_param(0.05), *_BINARY_2D), syn.moons
    ),
    Builtin(
        "sine",
        "1-D sine",
        "regression",
        (
            n_param(100, lo=2),
            noise_param(0.05, "std of Gaussian noise added to y"),
            Param("periods", "float", 1.0, "periods of the sine on [−1, 1]", 0.1, 10.0),
            SEED,
        ),
        syn.sine,
    ),
    Builtin(
        "plane",
        "2-D plane",
        "regression",
        (n_param(100, lo=2), noise_param(0.0, "std of noise added to y"), SEED),
        syn.plane,
    ),
    Builtin(
        "surface",
        "2-D surface (hill and hollow)",
        "regression",
        (n_param(200, lo=2), noise_param(0.0, "std of noise added to y"), SEED),
        syn.surface,
    ),
    Builtin(
        "matmul",
        "matrix multiplication y = M·x",
        "regression",
        (
            n_param(1000, lo=2),
            noise_param(0.0, "std of noise added to y"),
            Param("matrix", "matrix", syn.NOTES_MATRIX, "the matrix M (rows)", hi=10),
            SEED,
        ),
        syn.matmul,
    ),
    *(
        Builtin(name, info.title.split(":")[0], "real data", (), _shipped_maker(name))
        for name, info in SHIPPED.items()
    ),
]
BUILTINS: dict[str, Builtin] = {b.name: b for b in _REGISTRY}


def builtin_names() -> list[str]:
    """The names of the built-in datasets, in display order."""
    return list(BUILTINS)


def normalise_name(name: Any) -> str:
    """``Breast-Cancer`` → ``breast_cancer``; anything not a string is refused."""
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"dataset.builtin: expected a dataset name; choose one of: {', '.join(BUILTINS)}")
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def get_builtin(name: Any) -> Builtin:
    """The built-in dataset ``name`` or DataError listing the choices."""
    key = normalise_name(name)
    if key not in BUILTINS:
        raise DataError(
            f"dataset.builtin: unknown dataset {shown(name)}; choose one of: {', '.join(BUILTINS)}"
        )
    return BUILTINS[key]


def load_builtin(name: Any, params: Any = None) -> Dataset:
    """The built-in dataset ``name`` made with ``params`` (defaults for the ones not given)."""
    ds = get_builtin(name).load(params)
    if not (np.all(np.isfinite(ds.X)) and np.all(np.isfinite(ds.T))):
        raise DataError(f"params: {name} made non-finite values with these parameters")
    return ds
