"""Loss functions: per-sample error Eₓ(o, t), its derivative ∂Eₓ/∂o, and the output-layer δ = ∂Eₓ/∂z.

o is the network output (row per sample), t the target, z the output layer's net input. The loss of a
batch is the per-sample errors reduced by ``sum`` (E = Σₓ Eₓ) or ``mean`` (E = (1/m)·Σₓ Eₓ); see
:func:`reduction_scale`.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .errors import EngineError
from .registry import Registry

REDUCTIONS = ("mean", "sum")


def reduction_scale(reduction: str, batch_size: int) -> float:
    """The factor s in E = s·Σₓ Eₓ: 1/m for ``mean``, 1 for ``sum``."""
    if reduction == "mean":
        return 1.0 / batch_size
    if reduction == "sum":
        return 1.0
    raise EngineError(f"unknown batch reduction {reduction!r}; choose one of: mean, sum")


class Loss:
    """Base class for a loss. ``requires_output`` names the output activation it must be paired with."""

    name: str = ""
    label: str = ""
    formula: str = ""
    output_derivative: str = ""
    requires_output: str | None = None

    def value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """Per-sample error Eₓ, shape (m,)."""
        raise NotImplementedError

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        """∂Eₓ/∂o, shape (m, K)."""
        raise NotImplementedError

    def output_delta(self, z: np.ndarray, o: np.ndarray, t: np.ndarray, activation: Activation) -> np.ndarray:
        """δᴸ = ∂Eₓ/∂zᴸ = f′(zᴸ)·∂Eₓ/∂o (or the activation's Jacobian applied to ∂Eₓ/∂o)."""
        return activation.backward(z, o, self.grad(o, t))

    def check_output(self, activation_name: str) -> None:
        """Raise EngineError if this loss cannot be used with that output activation."""
        if self.requires_output and activation_name != self.requires_output:
            raise EngineError(
                f"{self.label} needs a {self.requires_output} output layer "
                f"(the output layer uses {activation_name})"
            )

    def __repr__(self) -> str:
        return f"<loss {self.name}>"


class HalfSumSquares(Loss):
    name = "half_sse"
    label = "Half sum of squares"
    formula = "Eₓ = ½·Σₖ (tₖ − oₖ)²"
    output_derivative = "∂E/∂oₖ = oₖ − tₖ"

    def value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        d = o - t
        return 0.5 * np.sum(d * d, axis=-1)

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return o - t


class SumSquares(Loss):
    name = "sse"
    label = "Sum of squares"
    formula = "Eₓ = Σₖ (tₖ − oₖ)²"
    output_derivative = "∂E/∂oₖ = 2·(oₖ − tₖ)"

    def value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        d = o - t
        return np.sum(d * d, axis=-1)

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return 2.0 * (o - t)


class MeanSquares(Loss):
    name = "mse"
    label = "Mean squared error"
    formula = "Eₓ = (1/K)·Σₖ (tₖ − oₖ)²"
    output_derivative = "∂E/∂oₖ = (2/K)·(oₖ − tₖ)"

    def value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        d = o - t
        return np.mean(d * d, axis=-1)

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (2.0 / o.shape[-1]) * (o - t)


class BinaryCrossEntropy(Loss):
    name = "bce"
    label = "Binary cross-entropy"
    formula = "Eₓ = −Σₖ [tₖ·ln oₖ + (1 − tₖ)·ln(1 − oₖ)]"
    output_derivative = "with sigmoid outputs: δₖ = oₖ − tₖ"
    requires_output = "sigmoid"

    def value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        if z is not None:
            # −[t·ln σ(z) + (1 − t)·ln(1 − σ(z))] = softplus(z) − t·z, stable for any z.
            return np.sum(np.logaddexp(0.0, z) - t * z, axis=-1)
        oc = np.clip(o, 1e-300, 1.0)
        qc = np.clip(1.0 - o, 1e-300, 1.0)
        return -np.sum(t * np.log(oc) + (1.0 - t) * np.log(qc), axis=-1)

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (o - t) / (o * (1.0 - o))

    def output_delta(self, z: np.ndarray, o: np.ndarray, t: np.ndarray, activation: Activation) -> np.ndarray:
        if activation.name == "sigmoid":
            return o - t
        return super().output_delta(z, o, t, activation)


class CategoricalCrossEntropy(Loss):
    name = "cce"
    label = "Categorical cross-entropy"
    formula = "Eₓ = −Σₖ tₖ·ln oₖ"
    output_derivative = "with softmax outputs and one-hot targets: δₖ = oₖ − tₖ"
    requires_output = "softmax"

    def value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        if z is not None:
            zmax = z.max(axis=-1, keepdims=True)
            log_o = z - zmax - np.log(np.sum(np.exp(z - zmax), axis=-1, keepdims=True))
            return -np.sum(t * log_o, axis=-1)
        return -np.sum(t * np.log(np.clip(o, 1e-300, 1.0)), axis=-1)

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return -t / o

    def output_delta(self, z: np.ndarray, o: np.ndarray, t: np.ndarray, activation: Activation) -> np.ndarray:
        if activation.name == "softmax":
            # δ = o·Σₖtₖ − t, which is the familiar o − t when the targets sum to one (one-hot).
            return o * np.sum(t, axis=-1, keepdims=True) - t
        return super().output_delta(z, o, t, activation)


LOSSES: Registry[Loss] = Registry("loss")
for _cls in (HalfSumSquares, SumSquares, MeanSquares, BinaryCrossEntropy, CategoricalCrossEntropy):
    LOSSES.register(_cls())


def get_loss(name: str) -> Loss:
    """The loss registered under ``name``."""
    return LOSSES.get(name)
