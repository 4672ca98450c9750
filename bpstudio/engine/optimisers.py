"""Optimisers: turn the gradient g = ∂E/∂θ of every parameter into the change Δθ that is applied, θ ← θ + Δθ.

Optimisers are stateless strategy objects; their state (velocities, moment estimates, step count) is
explicit data passed in and returned, so it can be saved, restored, shown and undone. Hyper-parameters
are a plain dict (``lr``, ``momentum``, ``beta1``...) so they can change between two steps.

The parameter list is ordered [W⁰, b⁰, W¹, b¹, ...]; the state holds one array per parameter for each
of its ``state_keys`` and a step counter ``t``.

Every optimiser's arithmetic lives in one place, :meth:`Optimiser.step`, which works element by element
on arrays of any shape and writes into arrays it is given (the trainer passes all parameters as one
flat vector). :meth:`Optimiser.update`, the list-in/list-out form, calls it, so both give the same bits.
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

    def step(
        self,
        g: np.ndarray,
        state: Mapping[str, np.ndarray],
        hp: Mapping[str, float],
        t: int,
        delta: np.ndarray,
        new_state: Mapping[str, np.ndarray],
        work: np.ndarray,
    ) -> None:
        """Write Δθ for gradient ``g`` into ``delta`` and the new state arrays into ``new_state``.

        ``state``/``new_state`` map each of ``state_keys`` to an array of g's shape; ``t`` is the number of
        this update (1 for the first); ``work`` is scratch space of g's shape. Nothing else is modified.
        """
        raise NotImplementedError

    def update(
        self, grads: Sequence[np.ndarray], state: State, hp: Mapping[str, float]
    ) -> tuple[list[np.ndarray], State]:
        """Return (Δθ per parameter, new state); the inputs are not modified."""
        sizes = [int(np.size(g)) for g in grads]
        shapes = [np.shape(g) for g in grads]
        flat_g = np.concatenate([np.ravel(g) for g in grads]) if grads else np.zeros(0)
        old = {
            k: np.concatenate([np.ravel(a) for a in state[k]]) if grads else np.zeros(0)
            for k in self.state_keys
        }
        new = {k: np.empty_like(flat_g) for k in self.state_keys}
        delta = np.empty_like(flat_g)
        t = int(state["t"]) + 1
        self.step(flat_g, old, hp, t, delta, new, np.empty_like(flat_g))
        bounds = np.cumsum([0] + sizes)

        def split(v: np.ndarray) -> list[np.ndarray]:
            return [v[bounds[i] : bounds[i + 1]].reshape(shapes[i]) for i in range(len(sizes))]

        new_state: State = {"t": t}
        for k in self.state_keys:
            new_state[k] = split(new[k])
        return split(delta), new_state

    def __repr__(self) -> str:
        return f"<optimiser {self.name}>"


class SGD(Optimiser):
    name = "sgd"
    label = "Gradient descent (SGD)"
    formula = "Δw = −η·∂E/∂w"
    defaults = {"lr": 0.1}
    parameter_help = {"lr": "learning rate η: Δw = −η·∂E/∂w"}

    def step(
        self,
        g: np.ndarray,
        state: Mapping[str, np.ndarray],
        hp: Mapping[str, float],
        t: int,
        delta: np.ndarray,
        new_state: Mapping[str, np.ndarray],
        work: np.ndarray,
    ) -> None:
        np.multiply(g, -hp["lr"], out=delta)


class Momentum(Optimiser):
    name = "momentum"
    label = "Momentum"
    formula = "v ← α·v − η·∂E/∂w;  Δw = v"
    defaults = {"lr": 0.1, "momentum": 0.9}
    parameter_help = {
        "lr": "learning rate η in v ← α·v − η·∂E/∂w",
        "momentum": "momentum α in v ← α·v − η·∂E/∂w",
    }
    state_keys = ("velocity",)

    def step(
        self,
        g: np.ndarray,
        state: Mapping[str, np.ndarray],
        hp: Mapping[str, float],
        t: int,
        delta: np.ndarray,
        new_state: Mapping[str, np.ndarray],
        work: np.ndarray,
    ) -> None:
        vel = new_state["velocity"]
        np.multiply(state["velocity"], hp["momentum"], out=vel)
        np.multiply(g, hp["lr"], out=work)
        np.subtract(vel, work, out=vel)
        np.copyto(delta, vel)


class Nesterov(Optimiser):
    name = "nesterov"
    label = "Nesterov momentum"
    formula = "v ← α·v − η·∂E/∂w;  Δw = α·v − η·∂E/∂w"
    defaults = {"lr": 0.1, "momentum": 0.9}
    parameter_help = {
        "lr": "learning rate η",
        "momentum": "momentum α; the step looks ahead: Δw = α·(α·v − η·g) − η·g",
    }
    state_keys = ("velocity",)

    def step(
        self,
        g: np.ndarray,
        state: Mapping[str, np.ndarray],
        hp: Mapping[str, float],
        t: int,
        delta: np.ndarray,
        new_state: Mapping[str, np.ndarray],
        work: np.ndarray,
    ) -> None:
        mu = hp["momentum"]
        vel = new_state["velocity"]
        np.multiply(state["velocity"], mu, out=vel)
        np.multiply(g, hp["lr"], out=work)
        np.subtract(vel, work, out=vel)
        np.multiply(vel, mu, out=delta)
        np.subtract(delta, work, out=delta)


class Adagrad(Optimiser):
    name = "adagrad"
    label = "Adagrad"
    formula = "G ← G + g²;  Δw = −η·g / (√G + ε)"
    defaults = {"lr": 0.01, "eps": 1e-8}
    parameter_help = {"lr": "learning rate η", "eps": "ε, keeps the division finite"}
    state_keys = ("sum_sq",)

    def step(
        self,
        g: np.ndarray,
        state: Mapping[str, np.ndarray],
        hp: Mapping[str, float],
        t: int,
        delta: np.ndarray,
        new_state: Mapping[str, np.ndarray],
        work: np.ndarray,
    ) -> None:
        acc = new_state["sum_sq"]
        np.multiply(g, g, out=work)
        np.add(state["sum_sq"], work, out=acc)
        np.sqrt(acc, out=work)
        np.add(work, hp["eps"], out=work)
        np.multiply(g, -hp["lr"], out=delta)
        np.divide(delta, work, out=delta)


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

    def step(
        self,
        g: np.ndarray,
        state: Mapping[str, np.ndarray],
        hp: Mapping[str, float],
        t: int,
        delta: np.ndarray,
        new_state: Mapping[str, np.ndarray],
        work: np.ndarray,
    ) -> None:
        rho = hp["rho"]
        ms = new_state["mean_sq"]
        np.multiply(state["mean_sq"], rho, out=ms)
        np.multiply(g, 1.0 - rho, out=work)
        np.multiply(work, g, out=work)
        np.add(ms, work, out=ms)
        np.sqrt(ms, out=work)
        np.add(work, hp["eps"], out=work)
        np.multiply(g, -hp["lr"], out=delta)
        np.divide(delta, work, out=delta)


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

    def step(
        self,
        g: np.ndarray,
        state: Mapping[str, np.ndarray],
        hp: Mapping[str, float],
        t: int,
        delta: np.ndarray,
        new_state: Mapping[str, np.ndarray],
        work: np.ndarray,
    ) -> None:
        b1, b2 = hp["beta1"], hp["beta2"]
        m, v = new_state["m"], new_state["v"]
        np.multiply(state["m"], b1, out=m)
        np.multiply(g, 1.0 - b1, out=work)
        np.add(m, work, out=m)
        np.multiply(state["v"], b2, out=v)
        np.multiply(g, 1.0 - b2, out=work)
        np.multiply(work, g, out=work)
        np.add(v, work, out=v)
        np.divide(v, 1.0 - b2**t, out=work)  # v̂
        np.sqrt(work, out=work)
        np.add(work, hp["eps"], out=work)
        np.divide(m, 1.0 - b1**t, out=delta)  # m̂
        np.multiply(delta, -hp["lr"], out=delta)
        np.divide(delta, work, out=delta)


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
