"""The notation a walkthrough is written in, so it reads like the student's lecture notes.

* ``convention``: ``gradient`` (δ = ∂E/∂z, w ← w − η·∂E/∂w) or ``error_signal``
  (Δ = (t − o)·f′(z) = −∂E/∂z, written with −∂E/∂w);
* ``bias``: ``w0`` (the bias is the weight wⱼ₀ on a constant input x₀ = 1) or ``b`` (a separate bⱼ);
* ``layer_base``: the number of the input layer, 1 (z⁽²⁾ is the first hidden layer, as in the notes)
  or 0;
* ``weight_index``: the superscript of a weight is its ``source`` layer (W⁽¹⁾ maps layer 1 to 2)
  or its ``target`` layer (wʲₖˡ goes into layer l);
* ``digits``: decimals (and significant figures) printed.

The loss (½Σ, Σ or mean) and the batch reduction come from the training settings, not from here.
Symbols use the engine's 0-based indices and print them 1-based (neuron 0 of layer 1 is z₁⁽²⁾).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

from ..engine import CONVENTIONS
from .expr import Sym
from .labels import Names

BIAS_STYLES = ("w0", "b")
WEIGHT_INDEX = ("source", "target")

#: project view-option keys the GUI stores the notation under: ``notation`` and ``bias_style`` are the
#: app's own (shared with the canvas and the tables), the others belong to the walkthrough
VIEW_KEYS = {
    "convention": "notation",
    "bias": "bias_style",
    "layer_base": "walkthrough_layer_base",
    "weight_index": "walkthrough_weight_index",
    "digits": "walkthrough_digits",
}
#: the app's bias_style ("value": b in each neuron; "node": a +1 node, w₀ on x₀ = 1) → Notation.bias
BIAS_FROM_VIEW = {"value": "b", "node": "w0"}
BIAS_TO_VIEW = {v: k for k, v in BIAS_FROM_VIEW.items()}


@dataclass(frozen=True)
class Notation:
    """How quantities are named and numbers printed."""

    convention: str = "gradient"
    bias: str = "w0"
    layer_base: int = 1
    weight_index: str = "source"
    digits: int = 4

    def __post_init__(self) -> None:
        if self.convention not in CONVENTIONS:
            raise ValueError(f"notation.convention: choose one of {', '.join(CONVENTIONS)}")
        if self.bias not in BIAS_STYLES:
            raise ValueError("notation.bias: choose w0 (bias as w₀ on x₀ = 1) or b")
        if self.layer_base not in (0, 1):
            raise ValueError("notation.layer_base: the input layer is numbered 0 or 1")
        if self.weight_index not in WEIGHT_INDEX:
            raise ValueError("notation.weight_index: choose source or target")
        if not isinstance(self.digits, int) or not 2 <= self.digits <= 10:
            raise ValueError("notation.digits: a whole number from 2 to 10")

    @property
    def error_signal(self) -> bool:
        return self.convention == "error_signal"

    @property
    def names(self) -> Names:
        """How this notation names neurons, weights and biases in plain text (the canvas, the tables)."""
        return Names(self.layer_base, self.weight_index, "node" if self.bias == "w0" else "value")

    @property
    def sign(self) -> float:
        """+1 (gradient) or −1 (error signal): multiply ∂E/∂z and ∂E/∂w by it for display."""
        return -1.0 if self.error_signal else 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Notation:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"notation: unknown setting {unknown[0]!r}")
        return cls(**data)

    def to_view(self) -> dict[str, Any]:
        """The view options that store this notation (inverse of :meth:`from_view`)."""
        values = self.to_dict()
        values["bias"] = BIAS_TO_VIEW[self.bias]
        return {VIEW_KEYS[name]: value for name, value in values.items()}

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> Notation:
        """The notation stored in a project's view options (missing or invalid values: defaults)."""
        values: dict[str, Any] = {}
        for name, key in VIEW_KEYS.items():
            if key in view:
                values[name] = view[key]
        if "bias" in values:
            values["bias"] = BIAS_FROM_VIEW.get(values["bias"], values["bias"])
        try:
            return cls(**values)
        except (TypeError, ValueError):
            good = {}
            for name, value in values.items():
                try:
                    cls(**{name: value})
                    good[name] = value
                except (TypeError, ValueError):
                    pass
            return cls(**good)

    def describe(self) -> str:
        """One line for a report's header."""
        parts = [CONVENTIONS[self.convention][2]]
        parts.append("bias as w₀ on x₀ = 1" if self.bias == "w0" else "bias as b")
        parts.append(f"input layer numbered {self.layer_base}")
        return "; ".join(parts)


def in_notation(text: str, convention: str) -> str:
    """A formula written with δ = ∂E/∂z, as the ``convention`` writes it.

    With ``error_signal`` the output error signal is Δₖ = tₖ − oₖ = −δₖ: "δₖ = oₖ − tₖ" becomes
    "Δₖ = tₖ − oₖ" and any other δ becomes −Δ. Formulas without δ are unchanged.
    """
    if convention != "error_signal" or "δ" not in text:
        return text
    text = text.replace("δₖ = oₖ − tₖ", "Δₖ = tₖ − oₖ")
    return text.replace("δ", "−Δ")


@lru_cache(maxsize=65536)  # called for every term of every sum a walkthrough writes out
def _idx(*numbers: int) -> str:
    """Subscript text of 1-based indices: "12" for (1, 2), "12,3" when any index has two digits."""
    parts = [str(n) for n in numbers]
    return ("," if any(len(p) > 1 for p in parts) else "").join(parts)


class Symbols:
    """Symbols of one network in one notation. Layers and neurons use the engine's 0-based numbers."""

    def __init__(self, notation: Notation, n_layers: int) -> None:
        self.n = notation
        self.L = n_layers
        self.names = notation.names

    def layer(self, layer: int) -> int:
        """The displayed number of neuron layer ``layer``."""
        return self.names.layer(layer)

    def _sup(self, layer: int) -> str:
        return f"({self.layer(layer)})"

    def weight_layer(self, layer: int) -> int:
        """The displayed superscript of weight layer ``layer`` (from neuron layer layer to layer+1)."""
        return self.names.weight_layer(layer)

    # neurons ---------------------------------------------------------------
    def z(self, layer: int, j: int) -> Sym:
        return Sym("z", _idx(j + 1), self._sup(layer))

    def a(self, layer: int, j: int) -> Sym:
        """aⱼ⁽ˡ⁾, or xⱼ for the input layer; j = −1 is the constant bias input x₀ = 1."""
        if layer == 0:
            return Sym("x", _idx(j + 1))
        return Sym("a", _idx(j + 1), self._sup(layer))

    def delta(self, layer: int, j: int) -> Sym:
        return Sym("Δ" if self.n.error_signal else "δ", _idx(j + 1), self._sup(layer))

    def target(self, j: int) -> Sym:
        return Sym("t", _idx(j + 1))

    def error(self, sample: int | None) -> Sym:
        """Eₓ of one sample (numbered from 1 within the batch) or E of the batch (None)."""
        return Sym("E", "" if sample is None else _idx(sample + 1))

    # weights ---------------------------------------------------------------
    def w(self, layer: int, j: int, k: int | None, prefix: str = "") -> Sym:
        """Weight from neuron k of layer ``layer`` to neuron j of the next; k None is the bias."""
        sup = f"({self.weight_layer(layer)})"
        if k is None:
            if self.n.bias == "b":  # bⱼ⁽ˡ⁾ belongs to neuron j of layer l, as in the notes
                return Sym("b", _idx(j + 1), self._sup(layer + 1), prefix)
            return Sym("w", _idx(j + 1, 0), sup, prefix)
        return Sym("w", _idx(j + 1, k + 1), sup, prefix)

    def grad(self, layer: int, j: int, k: int | None) -> Sym:
        """∂E/∂w (the engine's gradient, whatever the convention)."""
        return self.w(layer, j, k, prefix="∂E/∂")

    def change(self, layer: int, j: int, k: int | None) -> Sym:
        return self.w(layer, j, k, prefix="Δ")

    def state(self, name: str, layer: int, j: int, k: int | None) -> Sym:
        """An optimiser state variable (v, G, s, m) of one weight: the weight's index on the letter."""
        w = self.w(layer, j, k)
        return Sym(name, w.sub, w.sup)

    def bias_input(self, layer: int) -> Sym:
        """x₀ (input layer) or a₀⁽ˡ⁾: the constant 1 the bias weight multiplies."""
        return Sym("x", "0") if layer == 0 else Sym("a", "0", self._sup(layer))
