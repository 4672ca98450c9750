"""How a step is shown: which trace, in which notation, with which signs, symbols and names (Qt-free).

Every view of a step's numbers — the δ/Δw table, the inspector, the canvas, the walkthrough and the
exercise panel — reads them through one :class:`TracePresenter`, so the same quantity has the same
sign, symbol and name everywhere:

* the trace shown is the current step's, or (before the first step) a forward pass of training
  sample 1, or none (no data, or an exercise that hides its numbers): :attr:`TracePresenter.source`;
* δ and ∂E/∂w are negated in the error-signal convention (Δ = −∂E/∂z, −∂E/∂w), through the engine's
  :func:`~bpstudio.engine.trace.present`;
* the labels of the quantities (:data:`QUANTITIES`) are defined here once;
* neurons, weights and biases are named by :class:`~bpstudio.teaching.labels.Names` of the notation.

Arrays whose shapes no longer match the network (an edit after the step) are not shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import LayerRecord, Network, StepTrace, UpdateRecord, present
from .labels import Names
from .notation import VIEW_KEYS, Notation, Symbols

__all__ = ["NOTATION_KEYS", "QUANTITIES", "Quantity", "TracePresenter", "notation_from_view"]

#: the view options that change how a trace is presented (a view showing names or δ refreshes on them)
NOTATION_KEYS = frozenset(VIEW_KEYS.values())

#: where the shown numbers come from
SOURCES = {
    "step": "current step",
    "preview": "forward pass",
    "none": "no step yet",
}


@dataclass(frozen=True)
class Quantity:
    """A quantity's label in the gradient convention and in the error-signal convention, with the
    course's letters put in for {d} (the error signal), {E} (the loss) and {z} (the net input)."""

    gradient: str
    error_signal: str

    def label(self, notation: Notation) -> str:
        text = self.error_signal if notation.error_signal else self.gradient
        b = "b" if notation.bias == "b" else "w₀"
        m = notation.act if notation.beta else notation.net  # β = −∂E/∂o, Δ = −∂E/∂z
        return text.format(d=notation.signal_letter, E=notation.loss, z=notation.net, b=b, m=m)


#: the quantities whose label depends on the notation
QUANTITIES: dict[str, Quantity] = {
    "delta": Quantity("{d}", "{d}"),
    "delta_meaning": Quantity("∂{E}/∂{z}", "−∂{E}/∂{m}"),
    "grad_w": Quantity("∂{E}/∂w", "−∂{E}/∂w"),
    "grad_b": Quantity("∂{E}/∂{b}", "−∂{E}/∂{b}"),
    "change_b": Quantity("Δ{b}", "Δ{b}"),
    "delta_name": Quantity("gradient", "error signal"),  # (β: "error signal" too)
    "delta_j": Quantity("{d}ⱼ", "{d}ⱼ"),
}


def notation_from_view(view: Mapping[str, Any]) -> Notation:
    """The notation a project's view options set (a bias shown as a value reads "b").

    Unset or invalid values take the defaults (see :meth:`Notation.from_view`).
    """
    values = dict(view)
    values.setdefault(VIEW_KEYS["bias"], "value")
    return Notation.from_view(values)


class TracePresenter:
    """One step's numbers as a notation shows them; ``trace`` None means there is nothing to show."""

    def __init__(
        self,
        network: Network,
        trace: StepTrace | None,
        notation: Notation | None = None,
        source: str | None = None,
    ) -> None:
        self.network = network
        self.notation = notation or Notation(bias="b")
        if trace is not None and [r.size for r in trace.layers] != list(network.sizes):
            trace = None  # computed for another shape of network
        self.trace = trace
        self.source = "none" if trace is None else (source or "step")
        if self.source not in SOURCES:
            raise ValueError(f"source: choose one of {', '.join(SOURCES)}")
        n = self.notation
        self.names: Names = n.names_for(network.sizes)
        self.symbols = Symbols(n, network.n_layers, network.sizes)

    # ---------------------------------------------------------------- notation
    @property
    def convention(self) -> str:
        return self.notation.convention

    @property
    def sign(self) -> float:
        """+1 (gradient) or −1 (error signal): what δ and ∂E/∂w are multiplied by for display."""
        return self.notation.sign

    def label(self, quantity: str) -> str:
        """The label of ``quantity`` (a key of :data:`QUANTITIES`) in this notation."""
        return QUANTITIES[quantity].label(self.notation)

    @property
    def is_preview(self) -> bool:
        """True when the numbers are a forward pass before any step, not a step's."""
        return self.source == "preview"

    @property
    def source_label(self) -> str:
        return SOURCES[self.source]

    # ---------------------------------------------------------------- numbers
    def layer(self, layer: int) -> LayerRecord | None:
        """Neuron layer ``layer``'s record, or None when there is none."""
        if self.trace is None or not 0 <= layer < len(self.trace.layers):
            return None
        return self.trace.layers[layer]

    def delta(self, layer: int) -> np.ndarray | None:
        """δ (or Δ = −δ) of neuron layer ``layer``, shape (m, n); None until computed."""
        rec = self.layer(layer)
        if self.notation.beta:  # β = −∂E/∂o, the error at the output before the slope
            return None if rec is None or rec.dE_da is None else -rec.dE_da
        return None if rec is None or rec.delta is None else present(rec.delta, self.convention)

    def update(self, layer: int) -> UpdateRecord | None:
        """Weight layer ``layer``'s update record, or None (no step, or the weights changed shape)."""
        tr = self.trace
        if tr is None or not 0 <= layer < len(tr.updates):
            return None
        up = tr.updates[layer]
        if up.W_before.shape != self.network.weights[layer].shape:
            return None
        return up

    def grad_W(self, layer: int) -> np.ndarray | None:
        """∂E/∂W (or −∂E/∂W) of weight layer ``layer``; None until computed."""
        up = self.update(layer)
        return None if up is None or up.grad_W is None else present(up.grad_W, self.convention)

    def grad_b(self, layer: int) -> np.ndarray | None:
        """∂E/∂b (or −∂E/∂b) of weight layer ``layer``, of W₀ = −b with a bias on −1; None until
        computed."""
        up = self.update(layer)
        if up is None or up.grad_b is None:
            return None
        return self.notation.bias_sign * present(up.grad_b, self.convention)

    def bias_values(self, values: np.ndarray | None) -> np.ndarray | None:
        """Bias values (b, Δb) as this notation shows them: W₀ = −b with a bias on a constant −1."""
        return None if values is None else self.notation.bias_sign * np.asarray(values)

    def samples_text(self, limit: int = 8) -> str:
        """ "training sample 3" or "training samples 1, 2, 5 (first 8 of 32)" ("" without a trace)."""
        tr = self.trace
        if tr is None:
            return ""
        idx = tr.sample_indices[:limit]
        label = "sample" if len(idx) == 1 else "samples"
        more = "" if tr.batch_size <= limit else f" (first {limit} of {tr.batch_size})"
        return f"training {label} {', '.join(str(i + 1) for i in idx)}{more}"
