"""Loss functions: per-sample error Eₓ(o, t), its derivative ∂Eₓ/∂o, and the output-layer δ = ∂Eₓ/∂z.

o is the network output (row per sample), t the target, z the output layer's net input. The loss of a
batch is the per-sample errors reduced by ``sum`` (E = Σₓ Eₓ) or ``mean`` (E = (1/m)·Σₓ Eₓ); see
:func:`reduction_scale`.

``value`` gives every sample's error (for display), ``total`` their sum Σₓ Eₓ (what training uses, in the
traced and in the fast loop alike), ``output_delta``/``delta_into`` the output layer's δ. ``unit_rows=True``
promises that every target row sums to exactly 1 (one-hot targets), which lets the categorical
cross-entropy skip a sum whose value would be exactly 1; the numbers are the same either way.
"""

from __future__ import annotations

import numpy as np

from .activations import ZERO, Activation, ones_row, row_sums, softmax_parts
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
        """Per-sample error Eₓ, shape (m,); from z (the output layer's net input) where that is stabler."""
        with np.errstate(over="ignore", under="ignore"):  # saturating exponentials, tiny errors
            return self._value(o, t, z)

    def total(
        self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None = None, unit_rows: bool = False
    ) -> float:
        """Σₓ Eₓ over the batch (the sum of :meth:`value`, computed without the per-sample array)."""
        with np.errstate(over="ignore", under="ignore"):
            return self._total(o, t, z, unit_rows)

    def _value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def _total(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None, unit_rows: bool) -> float:
        return float(np.add.reduce(self._value(o, t, z), axis=None))

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        """∂Eₓ/∂o, shape (m, K)."""
        raise NotImplementedError

    def delta_into(
        self,
        z: np.ndarray,
        o: np.ndarray,
        t: np.ndarray,
        activation: Activation,
        out: np.ndarray,
        unit_rows: bool = False,
    ) -> np.ndarray:
        """δᴸ = ∂Eₓ/∂zᴸ written into ``out``; returns the array holding δ (``out`` or a temporary)."""
        return activation.backward_into(z, o, self.grad(o, t), out)

    def output_delta(
        self, z: np.ndarray, o: np.ndarray, t: np.ndarray, activation: Activation, unit_rows: bool = False
    ) -> np.ndarray:
        """δᴸ = ∂Eₓ/∂zᴸ = f′(zᴸ)·∂Eₓ/∂o (or the activation's Jacobian applied to ∂Eₓ/∂o)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.delta_into(z, o, t, activation, np.empty_like(o, dtype=np.float64), unit_rows)

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

    def _value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None) -> np.ndarray:
        d = o - t
        return 0.5 * np.sum(d * d, axis=-1)

    def _total(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None, unit_rows: bool) -> float:
        d = np.subtract(o, t)
        return 0.5 * float(np.vdot(d, d))

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return o - t


class SumSquares(Loss):
    name = "sse"
    label = "Sum of squares"
    formula = "Eₓ = Σₖ (tₖ − oₖ)²"
    output_derivative = "∂E/∂oₖ = 2·(oₖ − tₖ)"

    def _value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None) -> np.ndarray:
        d = o - t
        return np.sum(d * d, axis=-1)

    def _total(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None, unit_rows: bool) -> float:
        d = np.subtract(o, t)
        return float(np.vdot(d, d))

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return 2.0 * (o - t)


class MeanSquares(Loss):
    name = "mse"
    label = "Mean squared error"
    formula = "Eₓ = (1/K)·Σₖ (tₖ − oₖ)²"
    output_derivative = "∂E/∂oₖ = (2/K)·(oₖ − tₖ)"

    def _value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None) -> np.ndarray:
        d = o - t
        return np.mean(d * d, axis=-1)

    def _total(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None, unit_rows: bool) -> float:
        d = np.subtract(o, t)
        return float(np.vdot(d, d)) / o.shape[-1]

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (2.0 / o.shape[-1]) * (o - t)


class BinaryCrossEntropy(Loss):
    name = "bce"
    label = "Binary cross-entropy"
    formula = "Eₓ = −Σₖ [tₖ·ln oₖ + (1 − tₖ)·ln(1 − oₖ)]"
    output_derivative = "with sigmoid outputs: δₖ = oₖ − tₖ"
    requires_output = "sigmoid"

    def _value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None) -> np.ndarray:
        if z is not None:
            # −[t·ln σ(z) + (1 − t)·ln(1 − σ(z))] = softplus(z) − t·z, stable for any z.
            return np.sum(np.logaddexp(0.0, z) - t * z, axis=-1)
        oc = np.clip(o, 1e-300, 1.0)
        qc = np.clip(1.0 - o, 1e-300, 1.0)
        return -np.sum(t * np.log(oc) + (1.0 - t) * np.log(qc), axis=-1)

    def _total(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None, unit_rows: bool) -> float:
        if z is None:
            return super()._total(o, t, z, unit_rows)
        sp = np.logaddexp(ZERO.get(z.dtype, 0.0), z)
        return float(np.vdot(ones_row(sp.size, sp.dtype), sp)) - float(np.vdot(t, z))

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (o - t) / (o * (1.0 - o))

    def delta_into(
        self,
        z: np.ndarray,
        o: np.ndarray,
        t: np.ndarray,
        activation: Activation,
        out: np.ndarray,
        unit_rows: bool = False,
    ) -> np.ndarray:
        if activation.name == "sigmoid":
            return np.subtract(o, t, out)
        return super().delta_into(z, o, t, activation, out)


class CategoricalCrossEntropy(Loss):
    name = "cce"
    label = "Categorical cross-entropy"
    formula = "Eₓ = −Σₖ tₖ·ln oₖ"
    output_derivative = "with softmax outputs and one-hot targets: δₖ = oₖ − tₖ"
    requires_output = "softmax"

    def _value(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None) -> np.ndarray:
        if z is not None:
            zmax, total = softmax_parts(z, np.empty_like(z))
            log_o = z - zmax - np.log(total)
            return -np.sum(t * log_o, axis=-1)
        return -np.sum(t * np.log(np.clip(o, 1e-300, 1.0)), axis=-1)

    def _total(self, o: np.ndarray, t: np.ndarray, z: np.ndarray | None, unit_rows: bool) -> float:
        """Σₓ Eₓ = Σₓ [(mₓ + ln Sₓ)·Σₖ tₖ − Σₖ tₖ·zₖ], mₓ = maxₖ zₖ, Sₓ = Σₖ e^(zₖ − mₓ) (z if given)."""
        if z is None:
            return super()._total(o, t, z, unit_rows)
        zmax, total = softmax_parts(z, np.empty_like(z))
        return self.total_from_parts(zmax, total, t, z, unit_rows)

    @staticmethod
    def total_from_parts(
        zmax: np.ndarray, s: np.ndarray, t: np.ndarray, z: np.ndarray, unit_rows: bool
    ) -> float:
        """Σₓ Eₓ from the softmax's per-row maximum m and sum S (see ``softmax_parts``)."""
        lse = np.log(s)
        lse += zmax
        if unit_rows:  # Σₓ as a product with ones, as everywhere (see activations.column_sums)
            first = float(np.vdot(ones_row(lse.size, lse.dtype), lse))
        else:
            first = float(np.vdot(lse, row_sums(t)))
        return first - float(np.vdot(t, z))

    def grad(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        return -t / o

    def delta_into(
        self,
        z: np.ndarray,
        o: np.ndarray,
        t: np.ndarray,
        activation: Activation,
        out: np.ndarray,
        unit_rows: bool = False,
    ) -> np.ndarray:
        if activation.name == "softmax":
            # δ = o·Σₖtₖ − t, which is the familiar o − t when the targets sum to one (one-hot);
            # o·1 = o exactly, so ``unit_rows`` changes no bit.
            if unit_rows:
                return np.subtract(o, t, out)
            np.multiply(o, row_sums(t), out)
            return np.subtract(out, t, out)
        return super().delta_into(z, o, t, activation, out)


LOSSES: Registry[Loss] = Registry("loss")
for _cls in (HalfSumSquares, SumSquares, MeanSquares, BinaryCrossEntropy, CategoricalCrossEntropy):
    LOSSES.register(_cls())


def get_loss(name: str) -> Loss:
    """The loss registered under ``name``."""
    return LOSSES.get(name)
