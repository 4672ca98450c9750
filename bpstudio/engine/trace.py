"""The trace of one training step: every number a student computes by hand.

For every neuron layer and every sample of the batch: z, a, f′(z) and δ = ∂Eₓ/∂z (δ is the derivative of
that *sample's* error Eₓ). For every weight layer: the batch gradients ∂E/∂W, ∂E/∂b (which include the
batch reduction factor s and any regularisation), the Δw and Δb the optimiser applied, and the weights
before and after. Loss before and after the update.

Courses write backpropagation in one of two conventions (see :data:`CONVENTIONS`):

* ``gradient``: δ = ∂E/∂z and w ← w − η·a·δ (Nielsen, Blair);
* ``error_signal``: Δ = (t − o)·f′(z) = −∂E/∂z and w ← w + η·a·Δ (Russell & Norvig, the BMB3015 notes);
* ``beta``: β = −∂E/∂o, the error at a neuron's output before the slope (β = d − o at the output,
  βⱼ = Σₖ wⱼₖ·f′(zₖ)·βₖ) and Δw = η·oᵢ·f′(zⱼ)·βⱼ (the COMP307/AIML notes). Its gradients are shown
  as −∂E/∂w, like the error signal's; its β comes from ``LayerRecord.dE_da``.

The engine always computes the gradient convention; :func:`present` converts a quantity for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

#: name → (symbol for δ, sign applied to δ and to ∂E/∂w when presenting, description)
CONVENTIONS: dict[str, tuple[str, float, str]] = {
    "gradient": ("δ", 1.0, "δ = ∂E/∂z,  w ← w − η·a·δ"),
    "error_signal": ("Δ", -1.0, "Δ = (t − o)·f′(z) = −∂E/∂z,  w ← w + η·a·Δ"),
    "beta": ("β", -1.0, "β = −∂E/∂o (before the slope),  Δw = η·oᵢ·f′(zⱼ)·βⱼ"),
}


def convention_sign(convention: str) -> float:
    """+1 for the gradient convention, −1 for the error-signal convention."""
    try:
        return CONVENTIONS[convention][1]
    except KeyError:
        raise ValueError(
            f"unknown notation {convention!r}; choose one of: {', '.join(CONVENTIONS)}"
        ) from None


@overload
def present(value: np.ndarray, convention: str) -> np.ndarray: ...
@overload
def present(value: float, convention: str) -> float: ...
@overload
def present(value: np.ndarray | None, convention: str) -> np.ndarray | None: ...
@overload
def present(value: np.ndarray | float | None, convention: str) -> np.ndarray | float | None: ...
def present(value: np.ndarray | float | None, convention: str) -> np.ndarray | float | None:
    """δ or ∂E/∂w as shown in ``convention`` (the error signal is the negated gradient)."""
    if value is None:
        return None
    return convention_sign(convention) * value


@dataclass
class LayerRecord:
    """Neuron layer ``layer`` (0 = input): arrays of shape (m, n), None until computed."""

    layer: int
    size: int
    activation: str | None
    z: np.ndarray | None = None
    a: np.ndarray | None = None
    fprime: np.ndarray | None = None
    delta: np.ndarray | None = None
    #: ∂Eₓ/∂a: the error at the neurons' outputs before the slope (δ = f′(z)·∂Eₓ/∂a element-wise)
    dE_da: np.ndarray | None = None


@dataclass
class UpdateRecord:
    """Weight layer ``layer`` (from neuron layer ``layer`` to ``layer + 1``)."""

    layer: int
    W_before: np.ndarray
    b_before: np.ndarray
    grad_W: np.ndarray | None = None
    grad_b: np.ndarray | None = None
    delta_W: np.ndarray | None = None
    delta_b: np.ndarray | None = None
    W_after: np.ndarray | None = None
    b_after: np.ndarray | None = None


@dataclass
class StepTrace:
    """Everything computed in one forward/backward/update step on a batch of samples."""

    sample_indices: list[int]
    inputs: np.ndarray
    targets: np.ndarray
    loss: str
    reduction: str
    scale: float
    optimiser: str
    optimiser_params: dict[str, float]
    layers: list[LayerRecord]
    updates: list[UpdateRecord]
    loss_per_sample: np.ndarray | None = None
    data_loss: float | None = None
    penalty: float = 0.0
    loss_before: float | None = None
    loss_after: float | None = None
    state_before: dict[str, Any] | None = None
    state_after: dict[str, Any] | None = None
    #: False while only part of the step has been computed, or when a sample's gradient was only
    #: accumulated into the current mini-batch (see Trainer.step_sample)
    applied: bool = False
    #: names of the stages computed so far, in order
    stages_done: list[str] = field(default_factory=list)
    #: ``backprop``, or ``perceptron``: the output δ is o − t (see bpstudio.engine.perceptron)
    rule: str = "backprop"

    @property
    def batch_size(self) -> int:
        return len(self.sample_indices)

    @property
    def outputs(self) -> np.ndarray | None:
        return self.layers[-1].a

    def to_dict(self, convention: str = "gradient") -> dict[str, Any]:
        """A JSON-ready dict (lists of floats) in the given notation."""
        sign = convention_sign(convention)
        sym = {"gradient": "delta", "error_signal": "error_signal", "beta": "beta"}[convention]

        def arr(x: np.ndarray | float | None) -> Any:
            return None if x is None else np.asarray(x, dtype=np.float64).tolist()

        def signed(x: np.ndarray | None) -> Any:
            return None if x is None else arr(sign * x)

        layers = []
        for rec in self.layers:
            layers.append(
                {
                    "layer": rec.layer,
                    "size": rec.size,
                    "activation": rec.activation,
                    "z": arr(rec.z),
                    "a": arr(rec.a),
                    "fprime": arr(rec.fprime),
                    sym: signed(rec.dE_da if convention == "beta" else rec.delta),
                    "dE_da": arr(rec.dE_da),
                }
            )

        def layer_state(state: dict[str, Any] | None, layer: int) -> Any:
            """The optimiser's arrays of weight layer ``layer``: {key: {"W": …, "b": …}} (None: none)."""
            if state is None:
                return None
            out = {}
            for key, value in state.items():
                if isinstance(value, list) and len(value) > 2 * layer + 1:
                    out[key] = {"W": arr(value[2 * layer]), "b": arr(value[2 * layer + 1])}
            return out

        updates = []
        grad_key = "dE_dW" if convention == "gradient" else "minus_dE_dW"
        gradb_key = "dE_db" if convention == "gradient" else "minus_dE_db"
        for up in self.updates:
            updates.append(
                {
                    "layer": up.layer,
                    "W_before": arr(up.W_before),
                    "b_before": arr(up.b_before),
                    grad_key: signed(up.grad_W),
                    gradb_key: signed(up.grad_b),
                    "delta_W": arr(up.delta_W),
                    "delta_b": arr(up.delta_b),
                    "W_after": arr(up.W_after),
                    "b_after": arr(up.b_after),
                    "state_before": layer_state(self.state_before, up.layer),
                    "state_after": layer_state(self.state_after, up.layer),
                }
            )
        return {
            "convention": convention,
            "convention_description": CONVENTIONS[convention][2],
            "samples": list(self.sample_indices),
            "inputs": arr(self.inputs),
            "targets": arr(self.targets),
            "loss_function": self.loss,
            "reduction": self.reduction,
            "reduction_factor": self.scale,
            "optimiser": self.optimiser,
            "rule": self.rule,
            "optimiser_params": dict(self.optimiser_params),
            "optimiser_t_before": None if self.state_before is None else self.state_before.get("t"),
            "optimiser_t_after": None if self.state_after is None else self.state_after.get("t"),
            "loss_per_sample": arr(self.loss_per_sample),
            "data_loss": self.data_loss,
            "penalty": self.penalty,
            "loss_before": self.loss_before,
            "loss_after": self.loss_after,
            "applied": self.applied,
            "layers": layers,
            "updates": updates,
        }
