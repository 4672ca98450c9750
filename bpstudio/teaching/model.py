"""Walkthrough lines, the quantities they compute, and the network parts they use.

Every line computes one quantity, named by a key that does not depend on the notation (the engine's
0-based layer and neuron numbers; ``@p`` is the sample's position in the step's batch):

==========================  ===========================================================
``z[l,j]@p``                net input of neuron j of neuron layer l (1 … L)
``a[l,j]@p``                its activation;  ``fprime[l,j]@p``: f′(z)
``delta[l,j]@p``            δ = ∂Eₓ/∂z (shown as Δ = −δ in the error-signal notation)
``E@p`` / ``E``             the sample's error / the batch loss
``grad[l,j,k]``             ∂E/∂w of the weight from neuron k of layer l to neuron j of layer l+1
                            (``k`` = ``b`` for the bias); −∂E/∂w in the error-signal notation
``dw[l,j,k]``, ``new_w[l,j,k]``   the change the optimiser applied and the weight after it
``velocity[...]``, ``m[...]``, ``v[...]``, ``sum_sq[...]``, ``mean_sq[...]``: optimiser state after
==========================  ===========================================================

A *selector* picks keys: a kind (``z``), ``*``, or a key with ``*`` for any part (``delta[2,*]@*``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .expr import Expr, HtmlRenderer, MarkdownRenderer, Num, Renderer

NEURON_KINDS = ("z", "a", "fprime", "delta")
WEIGHT_KINDS = ("grad", "dw", "new_w", "velocity", "sum_sq", "mean_sq", "m", "v")
KINDS = NEURON_KINDS + ("E",) + WEIGHT_KINDS

#: a short description of each kind, for the answer key and the exercise editor
KIND_LABELS = {
    "z": "net input z",
    "a": "activation a",
    "fprime": "derivative f′(z)",
    "delta": "δ (Δ in the error-signal notation)",
    "E": "error E",
    "grad": "∂E/∂w (−∂E/∂w in the error-signal notation)",
    "dw": "weight change Δw",
    "new_w": "updated weight",
    "velocity": "momentum velocity",
    "sum_sq": "Adagrad sum of squares",
    "mean_sq": "RMSprop mean square",
    "m": "Adam first moment",
    "v": "Adam second moment",
}


def neuron_key(kind: str, layer: int, j: int, sample: int) -> str:
    return f"{kind}[{layer},{j}]@{sample}"


def weight_key(kind: str, layer: int, j: int, k: int | None) -> str:
    return f"{kind}[{layer},{j},{'b' if k is None else k}]"


def error_key(sample: int | None) -> str:
    return "E" if sample is None else f"E@{sample}"


def split_key(key: str) -> tuple[str, tuple[str, ...], str | None]:
    """(kind, index parts, sample or None) of a key or selector."""
    rest, _, sample = key.partition("@")
    kind, _, idx = rest.partition("[")
    parts = tuple(p.strip() for p in idx.rstrip("]").split(",")) if idx else ()
    return kind.strip(), parts, (sample.strip() if sample else None)


def matches(selector: str, key: str) -> bool:
    """True when ``key`` is selected by ``selector`` (see the module docstring)."""
    if selector.strip() == "*":
        return True
    s_kind, s_parts, s_sample = split_key(selector)
    k_kind, k_parts, k_sample = split_key(key)
    if s_kind not in ("*", k_kind):
        return False
    if s_parts:
        if len(s_parts) != len(k_parts):
            return False
        if any(s not in ("*", k) for s, k in zip(s_parts, k_parts)):
            return False
    if s_sample is not None and s_sample not in ("*", k_sample):
        return False
    return True


def check_selector(selector: str) -> None:
    """Raise ValueError when ``selector`` cannot match any key."""
    if not isinstance(selector, str) or not selector.strip():
        raise ValueError("a selector must be a non-empty text")
    if selector.strip() == "*":
        return
    kind, parts, _ = split_key(selector)
    if kind not in KINDS and kind != "*":
        where = "" if kind == selector.strip() else f" in {selector!r}"
        raise ValueError(f"unknown quantity {kind!r}{where}; choose one of: {', '.join(KINDS)}")


@dataclass(frozen=True)
class Ref:
    """A part of the network a line uses, with the fields of the app's Selection.

    ``neuron``: neuron ``index`` of neuron layer ``layer``; ``edge``: the weight from neuron ``frm`` of
    layer ``layer`` to neuron ``index`` of layer ``layer + 1``; ``bias``: the bias of neuron ``index``
    of layer ``layer + 1``.
    """

    kind: str
    layer: int
    index: int
    frm: int = -1


@dataclass
class Line:
    """One elementary computation: ``lhs = formula = substituted = value``."""

    key: str
    kind: str
    group: str
    layer: int
    lhs: Expr
    formula: Expr | None
    substituted: Expr | None
    value: float
    refs: tuple[Ref, ...] = ()
    note: str = ""
    #: "=" or "←" (an update of a stored value)
    assign: str = "="
    #: True when some terms were left out of ``substituted`` (a very wide layer)
    elided: bool = False
    sample: int | None = None

    def uses(self) -> list[str]:
        """Keys of the quantities whose values the substituted arithmetic uses."""
        return [] if self.substituted is None else list(dict.fromkeys(self.substituted.refs()))

    def render(
        self,
        r: Renderer,
        hide_value: bool = False,
        show_substitution: bool = True,
        placeholder: str = "?",
    ) -> str:
        """The line in ``r``'s format; an exercise hides the value (and maybe the arithmetic)."""
        parts = [self.lhs.render(r)]
        if self.formula is not None:
            parts.append(self.formula.render(r))
        if show_substitution and self.substituted is not None and not isinstance(self.substituted, Num):
            parts.append(self.substituted.render(r))
        parts.append(r.escape(placeholder) if hide_value else r.result(r.number(self.value)))
        text = f" {r.escape(self.assign)} ".join(parts[:2])
        if len(parts) > 2:
            text += " = " + " = ".join(parts[2:])
        if self.note:
            text += r.escape(f"   ({self.note})")
        return text

    def text(self, digits: int = 4) -> str:
        return self.render(Renderer(digits))

    def html(self, digits: int = 4) -> str:
        return self.render(HtmlRenderer(digits))

    def hint(self, r: Renderer) -> str:
        """The formula without numbers: what to compute, not the answer."""
        text = self.lhs.render(r)
        if self.formula is not None:
            text += f" {r.escape(self.assign)} " + self.formula.render(r)
        if self.note:
            text += r.escape(f"   ({self.note})")
        return text

    def label(self, r: Renderer | None = None) -> str:
        """The quantity's symbol (e.g. z₁⁽²⁾), for tables and results files."""
        return self.lhs.render(r or Renderer())


@dataclass
class Walkthrough:
    """The lines of one step, in the order a student computes them, with what they are about."""

    lines: list[Line]
    notation: object
    title: str = ""
    #: facts shown above the lines: the sample(s), inputs, targets, settings
    header: list[str] = field(default_factory=list)
    #: a reason some lines are missing (e.g. "the update waits for the rest of the mini-batch")
    notes: list[str] = field(default_factory=list)
    #: positions (in the step's batch) of the samples whose forward and backward lines are included
    samples: list[int] = field(default_factory=lambda: [0])

    def __len__(self) -> int:
        return len(self.lines)

    def label(self, line: Line, r: Renderer | None = None) -> str:
        """The line's symbol, with its sample when the walkthrough covers several (z₁⁽²⁾ [sample 2])."""
        text = line.label(r)
        if len(self.samples) > 1 and line.sample is not None:
            text += (r or Renderer()).escape(f" [sample {line.sample + 1}]")
        return text

    def keys(self) -> list[str]:
        return [ln.key for ln in self.lines]

    def line(self, key: str) -> Line:
        for ln in self.lines:
            if ln.key == key:
                return ln
        raise KeyError(key)

    def index_of(self, key: str) -> int:
        for i, ln in enumerate(self.lines):
            if ln.key == key:
                return i
        raise KeyError(key)

    def groups(self) -> list[str]:
        """Group titles in order (e.g. "Forward: layer 2"), for a "jump to" menu."""
        return list(dict.fromkeys(ln.group for ln in self.lines))

    def first_of_group(self, group: str) -> int:
        for i, ln in enumerate(self.lines):
            if ln.group == group:
                return i
        raise KeyError(group)

    def select(self, selectors: Iterable[str]) -> list[Line]:
        """The lines whose keys any selector matches, in walkthrough order."""
        sels = list(selectors)
        return [ln for ln in self.lines if any(matches(s, ln.key) for s in sels)]

    def values(self) -> dict[str, float]:
        return {ln.key: ln.value for ln in self.lines}

    def by_group(self) -> list[tuple[str, Sequence[Line]]]:
        out: list[tuple[str, Sequence[Line]]] = []
        groups: list[list[Line]] = []
        for ln in self.lines:
            if not out or out[-1][0] != ln.group:
                groups.append([])
                out.append((ln.group, groups[-1]))
            groups[-1].append(ln)
        return out

    def to_text(self, digits: int | None = None) -> str:
        from .render import walkthrough_text

        return walkthrough_text(self, digits)

    def to_markdown(self, digits: int | None = None) -> str:
        from .render import walkthrough_markdown

        return walkthrough_markdown(self, digits)

    def to_html_page(self, digits: int | None = None) -> str:
        from .render import walkthrough_html_page

        return walkthrough_html_page(self, digits)


__all__ = [
    "KINDS",
    "KIND_LABELS",
    "Line",
    "MarkdownRenderer",
    "Ref",
    "Walkthrough",
    "check_selector",
    "error_key",
    "matches",
    "neuron_key",
    "split_key",
    "weight_key",
]
