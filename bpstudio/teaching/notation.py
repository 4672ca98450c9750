"""The notation a walkthrough is written in, so it reads like the student's lecture notes.

* ``convention``: ``gradient`` (δ = ∂E/∂z, w ← w − η·∂E/∂w) or ``error_signal``
  (Δ = (t − o)·f′(z) = −∂E/∂z, written with −∂E/∂w);
* ``bias``: ``w0`` (the bias is the weight wⱼ₀ on a constant input x₀ = 1), ``w0_minus`` (a weight W₀
  on a constant input of −1, as the perceptron slides of BMB3015 write it: W₀ = −b, so every number of
  it is the negated b) or ``b`` (a separate bⱼ);
* ``layer_base``: the number of the input layer, 1 (z⁽²⁾ is the first hidden layer, as in the notes)
  or 0;
* ``weight_index``: the superscript of a weight is its ``source`` layer (W⁽¹⁾ maps layer 1 to 2)
  or its ``target`` layer (wʲₖˡ goes into layer l);
* ``digits``: decimals (and significant figures) printed;
* ``numbering``: ``layer`` (neuron j of layer l, zⱼ⁽ˡ⁾, wⱼₖ⁽ˡ⁾) or ``global``: neurons numbered through
  the network from the first input (o₅, a₅, δ₅) and weights named by source and target (w₃,₅, bias
  w₀,₅ or b₅), as in the COMP307 and Russell–Norvig examples;
* the course's letters: ``net`` (z, in, net, s, u), ``act`` (a, o, y, z), ``target`` (t, d, y), ``loss``
  (E, C, L, J), ``lr`` (η, α), ``momentum`` (α, β, μ, η) and ``signal``, the letter of the error signal
  (``auto``: δ in the gradient convention, Δ in the error-signal one; or δ or Δ whatever the convention).

:data:`PRESETS` names the settings of each set of lecture notes; :func:`preset_of` says which preset a
notation is (``custom`` when none).

The loss (½Σ, Σ or mean) and the batch reduction come from the training settings, not from here.
Symbols use the engine's 0-based indices and print them 1-based (neuron 0 of layer 1 is z₁⁽²⁾).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from typing import Any

from ..engine import CONVENTIONS
from ..formats.view import LETTERS
from .expr import Expr, Sym, const
from .labels import Names

BIAS_STYLES = ("w0", "b", "w0_minus")
WEIGHT_INDEX = ("source", "target")
NUMBERING = ("layer", "global")

#: what each letter names, for menus and messages
LETTER_ROLES = {
    "net": "net input",
    "act": "activation (output)",
    "target": "target",
    "loss": "loss",
    "lr": "learning rate",
    "momentum": "momentum",
    "signal": "error signal",
}

#: project view-option keys the GUI stores the notation under: ``notation`` and ``bias_style`` are the
#: app's own (shared with the canvas and the tables), the others belong to the walkthrough
VIEW_KEYS = {
    "convention": "notation",
    "bias": "bias_style",
    "layer_base": "walkthrough_layer_base",
    "weight_index": "walkthrough_weight_index",
    "digits": "walkthrough_digits",
    "numbering": "neuron_numbering",
    **{role: f"letter_{role}" for role in LETTERS},
}
#: the app's bias_style ("value": b in each neuron; "node": a +1 node, w₀ on x₀ = 1) → Notation.bias
BIAS_FROM_VIEW = {"value": "b", "node": "w0", "node_minus": "w0_minus"}
BIAS_TO_VIEW = {v: k for k, v in BIAS_FROM_VIEW.items()}


@dataclass(frozen=True)
class Notation:
    """How quantities are named and numbers printed."""

    convention: str = "gradient"
    bias: str = "w0"
    layer_base: int = 1
    weight_index: str = "source"
    digits: int = 4
    numbering: str = "layer"
    net: str = "z"
    act: str = "a"
    target: str = "t"
    loss: str = "E"
    lr: str = "η"
    momentum: str = "α"
    signal: str = "auto"

    def __post_init__(self) -> None:
        if self.convention not in CONVENTIONS:
            raise ValueError(f"notation.convention: choose one of {', '.join(CONVENTIONS)}")
        if self.bias not in BIAS_STYLES:
            raise ValueError("notation.bias: choose w0 (bias as w₀ on x₀ = 1), w0_minus (on x₀ = −1) or b")
        if self.layer_base not in (0, 1):
            raise ValueError("notation.layer_base: the input layer is numbered 0 or 1")
        if self.weight_index not in WEIGHT_INDEX:
            raise ValueError("notation.weight_index: choose source or target")
        if not isinstance(self.digits, int) or not 2 <= self.digits <= 10:
            raise ValueError("notation.digits: a whole number from 2 to 10")
        if self.numbering not in NUMBERING:
            raise ValueError("notation.numbering: choose layer or global")
        for role, choices in LETTERS.items():
            if getattr(self, role) not in choices:
                raise ValueError(f"notation.{role}: choose one of {', '.join(choices)}")
        clashes = (("net", "act"), ("act", "target"), ("lr", "momentum"))
        for one, other in clashes:
            if getattr(self, one) == getattr(self, other):
                raise ValueError(
                    f"notation: the {LETTER_ROLES[one]} and the {LETTER_ROLES[other]} cannot both be "
                    f"{getattr(self, one)}"
                )

    @property
    def bias_sign(self) -> float:
        """−1 when the bias is a weight on a constant −1 (every bias number shown is then −b), else +1."""
        return -1.0 if self.bias == "w0_minus" else 1.0

    @property
    def letters_are_default(self) -> bool:
        """True when every letter is the default (δ or Δ by the convention, z, a, t, E, η, α)."""
        return all(getattr(self, role) == choices[0] for role, choices in LETTERS.items())

    @property
    def signal_letter(self) -> str:
        """The error signal's letter: δ or Δ (``auto``: Δ in the error-signal convention, else δ)."""
        if self.signal != "auto":
            return self.signal
        return "β" if self.beta else "Δ" if self.error_signal else "δ"

    def letters_text(self, text: str) -> str:
        """A plain-text formula written with the default letters (η, α, E, tₖ, oₖ/aₖ, z) in this notation's.

        Only whole tokens change: "η", "α", "E" on its own or before ₓ, "tₖ", "oₖ", "aₖ" and "z" before
        a subscript or ")"; all are replaced at once, so swapping η and α is safe.
        """
        mapping = {"η": self.lr, "α": self.momentum, "E": self.loss, "t": self.target, "z": self.net}
        if all(k == v for k, v in mapping.items()) and self.act == "a":
            return text
        mapping["o"] = mapping["a"] = self.act  # the engine's texts write an output oₖ

        def repl(m: re.Match[str]) -> str:
            return mapping.get(m.group(0), m.group(0))

        return _LETTER_TOKEN.sub(repl, text)

    @property
    def error_signal(self) -> bool:
        """True in the conventions that show −∂E/∂w: the error signal Δ and the output error β."""
        return self.convention in ("error_signal", "beta")

    @property
    def beta(self) -> bool:
        """The output-error convention: β = −∂E/∂o per neuron (before the slope)."""
        return self.convention == "beta"

    @property
    def names(self) -> Names:
        """How this notation names neurons, weights and biases in plain text, numbered by layer (see
        :meth:`names_for` for a network's global numbers)."""
        style = "value" if self.bias == "b" else "node"
        return Names(self.layer_base, self.weight_index, style, self.act, bias_sign=self.bias_sign)

    def names_for(self, sizes: Sequence[int]) -> Names:
        """The names of a network of layer ``sizes`` (global numbers need the sizes)."""
        return replace(self.names, offsets=global_offsets(sizes) if self.numbering == "global" else ())

    @property
    def sign(self) -> float:
        """+1 (gradient) or −1 (error signal): multiply ∂E/∂z and ∂E/∂w by it for display."""
        return -1.0 if self.error_signal else 1.0

    def to_dict(self) -> dict[str, Any]:
        """The settings, leaving out default letters (so files without letters stay as they were)."""
        out = asdict(self)
        for role, choices in LETTERS.items():
            if out[role] == choices[0]:
                del out[role]
        return out

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
        values = asdict(self)
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
            try:
                return cls(**good)
            except ValueError:  # letters that clash (e.g. α for both rates): the default letters
                return cls(**{k: v for k, v in good.items() if k not in LETTERS})

    def describe(self) -> str:
        """One line for a report's header."""
        if self.letters_are_default:
            parts = [CONVENTIONS[self.convention][2]]
        else:
            d, E, z, a, lr = self.signal_letter, self.loss, self.net, self.act, self.lr
            if self.beta:
                parts = [f"{d} = −∂{E}/∂{a} (before the slope),  Δw = {lr}·{a}ᵢ·f′({z}ⱼ)·{d}ⱼ"]
            elif self.error_signal:
                parts = [f"{d} = ({self.target} − {a})·f′({z}) = −∂{E}/∂{z},  w ← w + {lr}·{a}·{d}"]
            else:
                parts = [f"{d} = ∂{E}/∂{z},  w ← w − {lr}·{a}·{d}"]
        parts.append(
            {"w0": "bias as w₀ on x₀ = 1", "w0_minus": "bias as W₀ on x₀ = −1 (W₀ = −b)", "b": "bias as b"}[
                self.bias
            ]
        )
        if self.numbering == "global":
            parts.append("neurons numbered through the network, weights wᵢ,ⱼ from i to j")
        else:
            parts.append(f"input layer numbered {self.layer_base}")
            if self.weight_index == "target":
                parts.append("a weight's superscript is the layer it enters")
        preset = preset_of(self)
        if preset not in ("custom", "bpstudio"):
            parts.insert(0, PRESETS[preset].label)
        else:
            changed = [
                f"{LETTER_ROLES[r]} {getattr(self, r)}"
                for r, choices in LETTERS.items()
                if getattr(self, r) != choices[0]
            ]
            if changed:
                parts.append("letters: " + ", ".join(changed))
        return "; ".join(parts)

    def with_preset(self, name: str) -> Notation:
        """This notation with every setting of the preset ``name`` (the decimals are kept)."""
        if name not in PRESETS:
            raise ValueError(f"notation preset: choose one of {', '.join(PRESETS)}")
        return replace(PRESETS[name].notation, digits=self.digits)


@dataclass(frozen=True)
class Preset:
    """The notation of one set of lecture notes."""

    label: str
    source: str
    notation: Notation


def _preset(label: str, source: str, **settings: Any) -> Preset:
    return Preset(label, source, Notation(**settings))


#: one preset per set of lecture notes; the first is the app's own
PRESETS: dict[str, Preset] = {
    "bpstudio": _preset("bpstudio", "the app's own: δ = ∂E/∂z, z and a, a separate bias b", bias="b"),
    "comp307": _preset(
        "COMP307 / AIML",
        "COMP307/AIML420 and AIML231 notes: neurons numbered through the network (o₅, w₃,₅), outputs o, "
        "targets d, β = d − o at the output, Δw = η·oᵢ·oⱼ(1 − oⱼ)·βⱼ",
        convention="beta",
        numbering="global",
        act="o",
        target="d",
    ),
    "comp9444": _preset(
        "COMP9444",
        "COMP9444 notes: s = net input, z = g(s), δ = ∂E/∂s, a separate bias b, momentum α",
        bias="b",
        net="s",
        act="z",
    ),
    "nielsen": _preset(
        "Nielsen / Shanahan",
        "Nielsen's book and Shanahan's notes: C, y, wˡⱼₖ (the layer it enters), bˡⱼ",
        bias="b",
        weight_index="target",
        loss="C",
        target="y",
    ),
    "bmb3015": _preset(
        "BMB3015",
        "BMB3015 notes: δ = (y − a)·g′(z), J, learning rate α and momentum η",
        convention="error_signal",
        signal="δ",
        target="y",
        loss="J",
        lr="α",
        momentum="η",
    ),
    "russell_norvig": _preset(
        "Russell–Norvig",
        "Russell & Norvig (the perceptron slides of BMB3015): a₅ = g(in₅), W₃,₅, W₀ on a −1 input, "
        "Δᵢ = Errᵢ·g′(inᵢ), α",
        convention="error_signal",
        numbering="global",
        bias="w0_minus",
        net="in",
        target="y",
        lr="α",
        momentum="η",
    ),
}


def preset_of(notation: Notation) -> str:
    """The name of the preset ``notation`` is (its decimals aside), or ``custom``."""
    for name, preset in PRESETS.items():
        if replace(preset.notation, digits=notation.digits) == notation:
            return name
    return "custom"


#: a token letters_text may replace
_LETTER_TOKEN = re.compile(r"[ηα]|(?<![A-Za-z])E(?![A-Za-z])|(?<![A-Za-z])[toaz](?=[ₖⱼᵢₓ₀-₉)])")


#: the batch cost of each squared-error loss, by reduction: (factor, what it sums)
_BATCH_COST = {
    ("half_sse", "mean"): "1/(2n)",
    ("half_sse", "sum"): "½",
    ("sse", "mean"): "1/n",
    ("sse", "sum"): "",
    ("mse", "mean"): "1/(nK)",
    ("mse", "sum"): "1/K",
}


def batch_cost(loss: str, reduction: str, notation: Notation | None = None) -> str:
    """The batch cost of a squared-error loss in one formula, e.g. Nielsen's C = 1/(2n)·Σₓ‖y − a‖²
    for ½Σ with the mean over the batch ("" for other losses). n is the batch size, K the outputs."""
    factor = _BATCH_COST.get((loss, reduction))
    if factor is None:
        return ""
    n = notation or Notation()
    lead = f"{factor}·" if factor else ""
    text = f"{n.loss} = {lead}Σₓ ‖{n.target} − {n.act}‖²"
    return text + (" (n samples in the batch)" if "n" in factor else "")


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


def global_offsets(sizes: Sequence[int]) -> tuple[int, ...]:
    """The global number of the first neuron of each layer: (1, 3, 5) for a 2-2-2 network."""
    out, first = [], 1
    for n in sizes:
        out.append(first)
        first += int(n)
    return tuple(out)


class Symbols:
    """Symbols of one network in one notation. Layers and neurons use the engine's 0-based numbers.

    With the ``global`` numbering the network's layer ``sizes`` give each neuron its number (without
    them the neurons are numbered by layer).
    """

    def __init__(self, notation: Notation, n_layers: int, sizes: Sequence[int] | None = None) -> None:
        self.n = notation
        self.L = n_layers
        self.names = notation.names
        #: global number of the first neuron of each layer; empty: numbered by layer
        self.g: tuple[int, ...] = ()
        if notation.numbering == "global" and sizes is not None and len(sizes) == n_layers + 1:
            self.g = global_offsets(sizes)
            self.names = notation.names_for(sizes)

    def _neuron(self, letter: str, layer: int, j: int) -> Sym:
        if self.g:
            return Sym(letter, str(self.g[layer] + j))
        return Sym(letter, _idx(j + 1), self._sup(layer))

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
        return self._neuron(self.n.net, layer, j)

    def a(self, layer: int, j: int) -> Sym:
        """aⱼ⁽ˡ⁾, or xⱼ for the input layer; j = −1 is the constant bias input x₀ = 1."""
        if layer == 0:
            return Sym("x", _idx(j + 1)) if j < 0 or not self.g else Sym("x", str(self.g[0] + j))
        return self._neuron(self.n.act, layer, j)

    def delta(self, layer: int, j: int) -> Sym:
        return self._neuron(self.n.signal_letter, layer, j)

    def target(self, j: int) -> Sym:
        """The target of output neuron j (named by the output's number in the global numbering)."""
        return Sym(self.n.target, str(self.g[self.L] + j) if self.g else _idx(j + 1))

    def error(self, sample: int | None) -> Sym:
        """Eₓ of one sample (numbered from 1 within the batch) or E of the batch (None)."""
        return Sym(self.n.loss, "" if sample is None else _idx(sample + 1))

    # weights ---------------------------------------------------------------
    def w(self, layer: int, j: int, k: int | None, prefix: str = "") -> Sym:
        """Weight from neuron k of layer ``layer`` to neuron j of the next; k None is the bias."""
        if self.g:
            dst = self.g[layer + 1] + j
            if k is None:
                return (
                    Sym("b", str(dst), "", prefix) if self.n.bias == "b" else Sym("w", f"0,{dst}", "", prefix)
                )
            return Sym("w", f"{self.g[layer] + k},{dst}", "", prefix)
        sup = f"({self.weight_layer(layer)})"
        if k is None:
            if self.n.bias == "b":  # bⱼ⁽ˡ⁾ belongs to neuron j of layer l, as in the notes
                return Sym("b", _idx(j + 1), self._sup(layer + 1), prefix)
            return Sym("w", _idx(j + 1, 0), sup, prefix)
        return Sym("w", _idx(j + 1, k + 1), sup, prefix)

    def grad(self, layer: int, j: int, k: int | None) -> Sym:
        """∂E/∂w (the engine's gradient, whatever the convention)."""
        return self.w(layer, j, k, prefix=f"∂{self.n.loss}/∂")

    def change(self, layer: int, j: int, k: int | None) -> Sym:
        return self.w(layer, j, k, prefix="Δ")

    def state(self, name: str, layer: int, j: int, k: int | None) -> Sym:
        """An optimiser state variable (v, G, s, m) of one weight: the weight's index on the letter."""
        w = self.w(layer, j, k)
        return Sym(name, w.sub, w.sup)

    def bias_input(self, layer: int) -> Expr:
        """x₀ (input layer) or a₀⁽ˡ⁾: the constant 1 the bias weight multiplies; (−1) when the bias is
        a weight on −1."""
        if self.n.bias == "w0_minus":
            return const(-1.0, "(−1)")
        if layer == 0:
            return Sym("x", "0")
        return Sym(self.n.act, "0") if self.g else Sym(self.n.act, "0", self._sup(layer))

    @property
    def eta(self) -> Sym:
        """The learning rate's letter (η or α)."""
        return Sym(self.n.lr)

    @property
    def momentum(self) -> Sym:
        """The momentum coefficient's letter (α, β, μ or η)."""
        return Sym(self.n.momentum)
