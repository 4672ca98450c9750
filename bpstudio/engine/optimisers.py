"""Optimisers: turn the gradient g = ∂E/∂θ of every parameter into the change Δθ that is applied, θ ← θ + Δθ.

Optimisers are stateless strategy objects; their state (velocities, moment estimates, step count) is
explicit data passed in and returned, so it can be saved, restored, shown and undone. Hyper-parameters
are a plain dict (``lr``, ``momentum``, ``beta1``...) so they can change between two steps.

The parameter list is ordered [W⁰, b⁰, W¹, b¹, ...]; the state holds one array per parameter for each
of its ``state_keys`` and a step counter ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import EngineError
from .registry import Registry

State = dict[str, Any]


class Optimiser:
    """Base class: subclasses set the metadata and implement :meth:`update`."""

    name: str = ""
    label: str = ""
    formula: str = ""
    defaults: dict[str, float] = {}
    #: a one-line description of each hyper-parameter (used for tooltips and --help)
    parameter_help: dict[str, str] = {}
    state_keys: tuple[str, ...] = ()

    def hyper(self, params: Mapping[str, float] | None) -> dict[str, float]:
        """Defaults overridden by ``params``; unknown names and non-positive rates are refused."""
        hp = dict(self.defaults)
        for key, value in (params or {}).items():
            if key not in hp:
                raise EngineError(
                    f"optimiser {self.name} has no parameter {key!r}; its parameters are: {', '.join(hp)}"
                )
            value = float(value)
            if not np.isfinite(value):
                raise EngineError(f"optimiser parameter {key} must be a finite number")
            hp[key] = value
        if hp.get("lr", 1.0) <= 0:
            raise EngineError("the learning rate η must be greater than 0")
        for key in ("momentum", "beta1", "beta2", "rho"):
            if key in hp and not 0.0 <= hp[key] < 1.0:
                raise EngineError(f"optimiser parameter {key} must be in [0, 1)")
        if "eps" in hp and hp["eps"] <= 0:
            raise EngineError("optimiser parameter eps must be greater than 0")
        return hp

    def init_state(self, params: Sequence[np.ndarray]) -> State:
        """Zeros for every state array, and t = 0."""
        state: State = {"t": 0}
        for key in self.state_keys:
            state[key] = [np.zeros_like(p) for p in params]
        return state

    def update(
        self, grads: Sequence[np.ndarray], state: State, hp: Mapping[str, float]
    ) -> tuple[list[np.ndarray], State]:
        """Return (Δθ per parameter, new state); the inputs are not modified."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<optimiser {self.name}>"


class SGD(Optimiser):
    name = "sgd"
    label = "Gradient descent (SGD)"
    formula = "Δw = −η·∂E/∂w"
    defaults = {"lr": 0.1}
    parameter_help = {"lr": "learning rate η: Δw = −η·∂E/∂w"}

    def update(self, grads, state, hp):
        lr = hp["lr"]
        return [-lr * g for g in grads], {"t": state["t"] + 1}


class Momentum(Optimiser):
    name = "momentum"
    label = "Momentum"
    formula = "δw ← α·δw − η·∂E/∂w;  Δw = δw"
    defaults = {"lr": 0.1, "momentum": 0.9}
    parameter_help = {
        "lr": "learning rate η in δw ← α·δw − η·∂E/∂w",
        "momentum": "momentum α in δw ← α·δw − η·∂E/∂w",
    }
    state_keys = ("velocity",)

    def update(self, grads, state, hp):
        lr, mu = hp["lr"], hp["momentum"]
        vel = [mu * v - lr * g for v, g in zip(state["velocity"], grads)]
        return list(vel), {"t": state["t"] + 1, "velocity": vel}


class Nesterov(Optimiser):
    name = "nesterov"
    label = "Nesterov momentum"
    formula = "δw ← α·δw − η·∂E/∂w;  Δw = α·δw − η·∂E/∂w"
    defaults = {"lr": 0.1, "momentum": 0.9}
    parameter_help = {
        "lr": "learning rate η",
        "momentum": "momentum α; the step looks ahead: Δw = α·(α·δw − η·g) − η·g",
    }
    state_keys = ("velocity",)

    def update(self, grads, state, hp):
        lr, mu = hp["lr"], hp["momentum"]
        vel = [mu * v - lr * g for v, g in zip(state["velocity"], grads)]
        deltas = [mu * v - lr * g for v, g in zip(vel, grads)]
        return deltas, {"t": state["t"] + 1, "velocity": vel}


class Adagrad(Optimiser):
    name = "adagrad"
    label = "Adagrad"
    formula = "G ← G + g²;  Δw = −η·g / (√G + ε)"
    defaults = {"lr": 0.01, "eps": 1e-8}
    parameter_help = {"lr": "learning rate η", "eps": "ε, keeps the division finite"}
    state_keys = ("sum_sq",)

    def update(self, grads, state, hp):
        lr, eps = hp["lr"], hp["eps"]
        acc = [s + g * g for s, g in zip(state["sum_sq"], grads)]
        deltas = [-lr * g / (np.sqrt(s) + eps) for g, s in zip(grads, acc)]
        return deltas, {"t": state["t"] + 1, "sum_sq": acc}


class RMSProp(Optimiser):
    name = "rmsprop"
    label = "RMSprop"
    formula = "s ← ρ·s + (1 − ρ)·g²;  Δw = −η·g / (√s + ε)"
    defaults = {"lr": 0.001, "rho": 0.9, "eps": 1e-8}
    parameter_help = {
        "lr": "learning rate η",
        "rho": "decay ρ of the running mean of g²",
        "eps": "ε, keeps the division finite",
    }
    state_keys = ("mean_sq",)

    def update(self, grads, state, hp):
        lr, rho, eps = hp["lr"], hp["rho"], hp["eps"]
        ms = [rho * s + (1.0 - rho) * g * g for s, g in zip(state["mean_sq"], grads)]
        deltas = [-lr * g / (np.sqrt(s) + eps) for g, s in zip(grads, ms)]
        return deltas, {"t": state["t"] + 1, "mean_sq": ms}


class Adam(Optimiser):
    name = "adam"
    label = "Adam"
    formula = (
        "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  "
        "m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ);  Δw = −η·m̂ / (√v̂ + ε)"
    )
    defaults = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    parameter_help = {
        "lr": "learning rate η in Δw = −η·m̂/(√v̂ + ε)",
        "beta1": "β₁, decay of the mean of gradients m",
        "beta2": "β₂, decay of the mean of squared gradients v",
        "eps": "ε, keeps the division finite",
    }
    state_keys = ("m", "v")

    def update(self, grads, state, hp):
        lr, b1, b2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
        t = state["t"] + 1
        m = [b1 * mi + (1.0 - b1) * g for mi, g in zip(state["m"], grads)]
        v = [b2 * vi + (1.0 - b2) * g * g for vi, g in zip(state["v"], grads)]
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        deltas = [-lr * (mi / c1) / (np.sqrt(vi / c2) + eps) for mi, vi in zip(m, v)]
        return deltas, {"t": t, "m": m, "v": v}


OPTIMISERS: Registry[Optimiser] = Registry("optimiser")
for _cls in (SGD, Momentum, Nesterov, Adagrad, RMSProp, Adam):
    OPTIMISERS.register(_cls())


def get_optimiser(name: str) -> Optimiser:
    """The optimiser registered under ``name``."""
    return OPTIMISERS.get(name)


def copy_state(state: State) -> State:
    """A deep copy of an optimiser state (arrays copied)."""
    out: State = {}
    for key, value in state.items():
        out[key] = [a.copy() for a in value] if isinstance(value, list) else value
    return out
