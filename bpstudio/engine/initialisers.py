"""Weight initialisers, drawn from a seeded ``numpy.random.Generator`` (same seed ⇒ same weights).

Each initialiser fills a weight matrix of shape (n_out, n_in) and a bias vector of shape (n_out,).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import EngineError
from .registry import Registry

#: the largest initialiser parameter (r, σ): weights beyond a million only saturate every unit, and a
#: range near the largest float overflows NumPy's random draws
MAX_PARAM = 1e6


class Initialiser:
    """Base class: ``weights(shape, rng, hp)`` and ``biases(n, rng, hp)``."""

    name: str = ""
    label: str = ""
    formula: str = ""
    defaults: dict[str, float] = {}
    parameter_help: dict[str, str] = {}

    def hyper(self, params: Mapping[str, float] | None) -> dict[str, float]:
        hp = dict(self.defaults)
        for key, value in (params or {}).items():
            if key not in hp:
                raise EngineError(
                    f"initialiser {self.name} has no parameter {key!r}"
                    + (f"; its parameters are: {', '.join(hp)}" if hp else "")
                )
            try:
                value = float(value)
            except (TypeError, ValueError, OverflowError):
                value = float("nan")
            if not 0 <= value <= MAX_PARAM:  # NaN fails too
                raise EngineError(f"initialiser parameter {key} must be a number from 0 to {MAX_PARAM:,.0f}")
            hp[key] = value
        return hp

    def weights(
        self, shape: tuple[int, int], rng: np.random.Generator, hp: Mapping[str, float]
    ) -> np.ndarray:
        raise NotImplementedError

    def biases(self, n: int, rng: np.random.Generator, hp: Mapping[str, float]) -> np.ndarray:
        return np.zeros(n)


class Uniform(Initialiser):
    name = "uniform"
    label = "Uniform ±r"
    formula = "w, b ~ U(−r, r)"
    defaults = {"r": 0.5}
    parameter_help = {"r": "half-width r of the interval (the notes use 0.5)"}

    def weights(
        self, shape: tuple[int, int], rng: np.random.Generator, hp: Mapping[str, float]
    ) -> np.ndarray:
        return rng.uniform(-hp["r"], hp["r"], size=shape)

    def biases(self, n: int, rng: np.random.Generator, hp: Mapping[str, float]) -> np.ndarray:
        return rng.uniform(-hp["r"], hp["r"], size=n)


class Normal(Initialiser):
    name = "normal"
    label = "Normal N(0, σ²)"
    formula = "w, b ~ N(0, σ²)"
    defaults = {"sigma": 1.0}
    parameter_help = {"sigma": "standard deviation σ"}

    def weights(
        self, shape: tuple[int, int], rng: np.random.Generator, hp: Mapping[str, float]
    ) -> np.ndarray:
        return rng.normal(0.0, hp["sigma"], size=shape)

    def biases(self, n: int, rng: np.random.Generator, hp: Mapping[str, float]) -> np.ndarray:
        return rng.normal(0.0, hp["sigma"], size=n)


class Xavier(Initialiser):
    name = "xavier"
    label = "Xavier / Glorot (uniform)"
    formula = "w ~ U(−r, r), r = √(6 / (n_in + n_out)); b = 0"

    def weights(
        self, shape: tuple[int, int], rng: np.random.Generator, hp: Mapping[str, float]
    ) -> np.ndarray:
        r = np.sqrt(6.0 / (shape[0] + shape[1]))
        return rng.uniform(-r, r, size=shape)


class He(Initialiser):
    name = "he"
    label = "He (normal)"
    formula = "w ~ N(0, 2 / n_in); b = 0"

    def weights(
        self, shape: tuple[int, int], rng: np.random.Generator, hp: Mapping[str, float]
    ) -> np.ndarray:
        return rng.normal(0.0, np.sqrt(2.0 / shape[1]), size=shape)


class Zeros(Initialiser):
    name = "zeros"
    label = "Zeros (shows the symmetry problem)"
    formula = "w = 0, b = 0"

    def weights(
        self, shape: tuple[int, int], rng: np.random.Generator, hp: Mapping[str, float]
    ) -> np.ndarray:
        return np.zeros(shape)


INITIALISERS: Registry[Initialiser] = Registry("initialiser")
for _cls in (Uniform, Normal, Xavier, He, Zeros):
    INITIALISERS.register(_cls())


def get_initialiser(name: str) -> Initialiser:
    """The initialiser registered under ``name``."""
    return INITIALISERS.get(name)
