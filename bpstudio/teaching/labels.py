"""View options of a project (how numbers and names are shown) and the notes' names for neurons and weights.

(Qt-free; the window, the δ/Δw table rows and the teaching views share it.)

View options live in ``Project.view`` (saved with the project) and are read through
``Session.view_option(key, default)``; the defaults below can be overridden in Preferences. This module
is Qt-free: widgets, the inspector and the δ/Δw table share these helpers so the same quantity is
written the same way everywhere.

Naming follows the notes (BMB3015): neuron layers are numbered from 1 (the input layer), inputs are
x₁ … xₙ, the other neurons aⱼ⁽ˡ⁾; the weight from neuron k of layer l to neuron j of layer l + 1 is
wⱼₖ⁽ˡ⁾ and the bias of that neuron is wⱼ₀⁽ˡ⁾ (a weight on x₀ = 1) or bⱼ⁽ˡ⁺¹⁾. Indices shown to the user
are 1-based; ``Selection`` and the engine use 0-based indices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..formats import VIEW_DEFAULTS

#: key → default value of the options Preferences can set (see bpstudio.formats.view for all of them)
DEFAULTS: dict[str, Any] = {
    k: VIEW_DEFAULTS[k] for k in ("notation", "precision", "bias_style", "labels", "names", "fill")
}

CHOICES: dict[str, dict[str, str]] = {
    "notation": {
        "gradient": "Gradient: δ = ∂E/∂z, w ← w − η·a·δ",
        "error_signal": "Error signal: Δ = (t − o)·f′(z) = −δ, w ← w + η·a·Δ",
        "beta": "Output error: β = −∂E/∂o (before the slope), Δw = η·oᵢ·f′(zⱼ)·βⱼ",
    },
    "bias_style": {
        "value": "Value in each neuron (b)",
        "node": "“+1” bias node per layer (w₀ on x₀ = 1)",
        "node_minus": "“−1” bias node per layer (W₀ on x₀ = −1, W₀ = −b)",
    },
    "names": {"index": "Index (1, 2, …)", "notes": "Notes' names (x₁, a₁⁽²⁾, …)", "none": "No names"},
    "fill": {"activation": "Activation a", "delta": "δ (after a backward pass)"},
}

SUBSCRIPTS = str.maketrans("0123456789+-()", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎")
SUPERSCRIPTS = str.maketrans("0123456789+-()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾")
MINUS = "\u2212"


def sub(text: object) -> str:
    return str(text).translate(SUBSCRIPTS)


def sup(text: object) -> str:
    return str(text).translate(SUPERSCRIPTS)


def fmt(value: float | None, precision: int = 3) -> str:
    """``value`` rounded to ``precision`` decimals, trailing zeros dropped, with a typographic minus.

    Very large or very small non-zero numbers use scientific notation so they never read as 0.
    """
    if value is None:
        return "–"
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else MINUS + "∞"
    p = max(0, int(precision))
    a = abs(v)
    if a != 0 and (a < 0.5 * 10.0**-p or a >= 1e7):
        text = f"{v:.{max(p - 1, 1)}e}"
        mant, exp = text.split("e")
        if "." in mant:
            mant = mant.rstrip("0").rstrip(".")
        text = f"{mant}e{int(exp)}"
    else:
        text = f"{v:.{p}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
    return text.replace("-", MINUS)


@dataclass(frozen=True)
class Names:
    """The names of neurons, weights and biases in a notation (indices 0-based in, 1-based out).

    ``layer_base`` is the number of the input layer (1: x, then a⁽²⁾ …; 0: x, then a⁽¹⁾ …);
    ``weight_index`` says whether a weight's superscript is the layer it leaves (``source``, wⱼₖ⁽ˡ⁾
    maps layer l to l + 1) or the layer it enters (``target``, Nielsen's wˡⱼₖ); ``bias_style`` ``value``
    names a bias bⱼ⁽ˡ⁾ (the layer of its neuron), ``node`` names it wⱼ₀ (a weight on x₀ = 1).
    """

    layer_base: int = 1
    weight_index: str = "source"
    bias_style: str = "value"
    #: the letter of a neuron's activation (a, o, y or z)
    act: str = "a"
    #: global numbering: the number of the first neuron of each layer (empty: numbered by layer)
    offsets: tuple[int, ...] = ()
    #: −1 when the bias is a weight W₀ on a constant input of −1 (its value shown is then −b)
    bias_sign: float = 1.0

    def layer(self, layer: int) -> int:
        """The displayed number of neuron layer ``layer``."""
        return layer + self.layer_base

    def weight_layer(self, layer: int) -> int:
        """The displayed superscript of weight layer ``layer`` (from neuron layer layer to layer + 1)."""
        return self.layer(layer + (1 if self.weight_index == "target" else 0))

    def neuron(self, layer: int, index: int, style: str = "notes") -> str:
        """x₁ for an input, aⱼ⁽ˡ⁾ otherwise; ``style`` ``index`` gives "j" alone and ``none`` ""."""
        if style == "none":
            return ""
        if style == "index":
            return str(index + 1)
        if self.offsets:
            return f"{'x' if layer == 0 else self.act}{sub(self.offsets[layer] + index)}"
        if layer == 0:
            return f"x{sub(index + 1)}"
        return f"{self.act}{sub(index + 1)}{sup(f'({self.layer(layer)})')}"

    def weight(self, layer: int, to: int, frm: int) -> str:
        """wⱼₖ⁽ˡ⁾ for weight layer ``layer``, target neuron ``to`` and source neuron ``frm`` (global
        numbering: w₃,₅ from neuron 3 to neuron 5)."""
        if self.offsets:
            return f"w{sub(f'{self.offsets[layer] + frm},{self.offsets[layer + 1] + to}')}"
        return f"w{sub(to + 1)}{sub(frm + 1)}{sup(f'({self.weight_layer(layer)})')}"

    def bias(self, layer: int, index: int) -> str:
        """The bias of neuron ``index`` of neuron layer ``layer + 1``: bⱼ⁽ˡ⁺¹⁾, or wⱼ₀⁽ˡ⁾ with a bias node."""
        if self.offsets:
            dst = self.offsets[layer + 1] + index
            return f"w{sub(f'0,{dst}')}" if self.bias_style == "node" else f"b{sub(dst)}"
        if self.bias_style == "node":
            return f"w{sub(index + 1)}{sub(0)}{sup(f'({self.weight_layer(layer)})')}"
        return f"b{sub(index + 1)}{sup(f'({self.layer(layer + 1)})')}"

    def stage(self, stage: str) -> str:
        """A micro-step stage as the student reads it, numbered like the layers everywhere else.

        The engine's ``forward l`` computes neuron layer l (weight layer l − 1 feeds it) and
        ``backward l`` its δ; so with the input layer numbered 1, ``forward 1`` is "forward, layer 2".
        ``loss`` and ``update`` are unchanged; an unknown name is returned as it is.
        """
        kind, _, num = stage.partition(" ")
        if kind in ("forward", "backward") and num.isdigit():
            return f"{kind}, layer {self.layer(int(num))}"
        return stage


#: the notes' names with the input layer numbered 1 and weights named by their source layer
NOTES = Names()


def neuron_name(layer: int, index: int, style: str = "notes") -> str:
    """The notes' name of neuron ``index`` of neuron layer ``layer`` (both 0-based): x₁ or a₁⁽²⁾."""
    return NOTES.neuron(layer, index, style)


def weight_name(layer: int, to: int, frm: int) -> str:
    """wⱼₖ⁽ˡ⁾ for weight layer ``layer``, target neuron ``to`` and source neuron ``frm`` (0-based)."""
    return NOTES.weight(layer, to, frm)


def bias_name(layer: int, index: int, bias_style: str = "value") -> str:
    """The bias of neuron ``index`` of neuron layer ``layer + 1``: bⱼ⁽ˡ⁺¹⁾, or wⱼ₀⁽ˡ⁾ with a bias node."""
    return Names(bias_style=bias_style).bias(layer, index)


def layer_title(layer: int, n_layers: int) -> str:
    """'Input', 'Hidden 1' … or 'Output' for neuron ``layer`` of ``n_layers`` weight layers."""
    if layer == 0:
        return "Input"
    if layer == n_layers:
        return "Output"
    return f"Hidden {layer}" if n_layers > 2 else "Hidden"
