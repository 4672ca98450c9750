"""A tiny expression tree for the walkthrough's formulas, rendered as Unicode text, HTML or Markdown.

A walkthrough line is ``lhs = formula = substituted = value``: the formula and the substituted
arithmetic are trees of these nodes. Numbers (:class:`Num`) remember which quantity they are (``ref``)
and its symbol, so an exercise can print the symbol instead of a number the student must still find.
No LaTeX: sub- and superscripts are Unicode characters in text and ``<sub>``/``<sup>`` in HTML.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field

from .numbers import MINUS, format_number, format_number_html

_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ\0"))
_SUP = dict(zip("0123456789+-=()intl", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵗˡ"))
_SUB[MINUS] = "₋"
_SUP[MINUS] = "⁻"

# precedence levels: a child with a lower level than its context is parenthesised
_SUM, _NEG, _PROD, _POW, _ATOM = 1, 2, 3, 4, 5


def _unicode_script(text: str, table: dict[str, str]) -> str | None:
    out = []
    for ch in text:
        mapped = table.get(ch)
        if not mapped or mapped == "\0":
            return None
        out.append(mapped)
    return "".join(out)


_NESTED_SUP = re.compile(r"<sup>([^<>]*)</sup>")


def _raised(inner: str) -> str:
    """The HTML of an exponent, whose own exponents (a number's ×10⁻⁴, a symbol's layer ⁽²⁾) are Unicode
    superscripts: Qt's rich text does not raise a <sup> inside another, so e<sup>−5×10<sup>−4</sup></sup>
    would read "e to the −5×10−4". One that has no Unicode form stays a <sup>."""

    def flat(m: re.Match[str]) -> str:
        mapped = _unicode_script(html.unescape(m.group(1)), _SUP)
        return m.group(0) if mapped is None else mapped

    return _NESTED_SUP.sub(flat, inner)


class Renderer:
    """Plain Unicode text. Subclasses change escaping, scripts and number format."""

    name = "text"

    def __init__(self, digits: int = 4, mask: Collection[str] = (), reveal_marks: bool = False) -> None:
        self.digits = digits
        self.mask = mask
        self.reveal_marks = reveal_marks

    def escape(self, text: str) -> str:
        return text

    def sub(self, text: str) -> str:
        if not text:
            return ""
        u = _unicode_script(text, _SUB)
        return u if u is not None else "_" + (text if len(text) == 1 else "{" + text + "}")

    def sup(self, text: str) -> str:
        if not text:
            return ""
        u = _unicode_script(text, _SUP)
        return u if u is not None else "^" + (text if len(text) == 1 else "(" + text + ")")

    def number(self, value: float) -> str:
        return format_number(value, self.digits)

    def masked(self, inner: str) -> str:
        return inner

    def result(self, text: str) -> str:
        return text


class HtmlRenderer(Renderer):
    """Qt/browser rich text: <sub>, <sup>, escaped text."""

    name = "html"

    def escape(self, text: str) -> str:
        return html.escape(text, quote=False)

    def sub(self, text: str) -> str:
        return f"<sub>{self.escape(text)}</sub>" if text else ""

    def sup(self, text: str) -> str:
        return f"<sup>{self.escape(text)}</sup>" if text else ""

    def number(self, value: float) -> str:
        return format_number_html(value, self.digits)

    def masked(self, inner: str) -> str:
        return f'<span class="masked">{inner}</span>'

    def result(self, text: str) -> str:
        return f"<b>{text}</b>"


class MarkdownRenderer(Renderer):
    """Markdown: Unicode text with Markdown's special characters escaped."""

    name = "markdown"

    def escape(self, text: str) -> str:
        for ch in "\\`*_[]<>#|":
            text = text.replace(ch, "\\" + ch)
        return text

    def sub(self, text: str) -> str:
        return self.escape(super().sub(text))

    def sup(self, text: str) -> str:
        return self.escape(super().sup(text))

    def result(self, text: str) -> str:
        return f"**{text}**"


RENDERERS = {"text": Renderer, "html": HtmlRenderer, "markdown": MarkdownRenderer}


def renderer(kind: str, digits: int = 4, mask: Collection[str] = ()) -> Renderer:
    """A renderer by name: ``text``, ``html`` or ``markdown``."""
    try:
        return RENDERERS[kind](digits, mask)
    except KeyError:
        raise ValueError(f"unknown format {kind!r}; choose one of: {', '.join(RENDERERS)}") from None


# ---------------------------------------------------------------------------- nodes
class Expr:
    """Base node. ``level`` is its precedence; ``render`` returns text in the renderer's format."""

    level = _ATOM

    def render(self, r: Renderer) -> str:
        raise NotImplementedError

    def evaluate(self) -> float:
        raise NotImplementedError

    def children(self) -> Sequence[Expr]:
        return ()

    def refs(self) -> Iterator[str]:
        """Keys of the quantities whose values appear in this expression."""
        for c in self.children():
            yield from c.refs()

    def wrapped(self, r: Renderer, level: int) -> str:
        text = self.render(r)
        return f"({text})" if self.level < level else text

    def text(self, digits: int = 4) -> str:
        return self.render(Renderer(digits))


@dataclass
class Sym(Expr):
    """A symbol such as z₁⁽²⁾, ∂E/∂w₁₂⁽¹⁾ (``prefix`` ∂E/∂) or σ′ (``base`` σ′)."""

    base: str
    sub: str = ""
    sup: str = ""
    prefix: str = ""

    def render(self, r: Renderer) -> str:
        return r.escape(self.prefix + self.base) + r.sub(self.sub) + r.sup(self.sup)

    def evaluate(self) -> float:
        raise ValueError(f"symbol {self.base}{self.sub} has no value")


@dataclass
class Num(Expr):
    """A number. ``ref`` names the quantity it is (masked by an exercise); ``sym`` is printed instead
    when masked (negated when ``negate``, for a number printed as −x). ``text`` overrides the digits
    for exact constants such as ½."""

    value: float
    ref: str | None = None
    sym: Expr | None = None
    negate: bool = False
    text_: str | None = None
    #: in a product, always written in parentheses (a setting such as η); None: decided by the text
    boxed: bool | None = None

    @property
    def level(self) -> int:  # type: ignore[override]
        return _NEG if self.value < 0 and self.text_ is None else _ATOM

    def render(self, r: Renderer) -> str:
        if self.ref is not None and self.ref in r.mask:
            inner = self.sym.render(r) if self.sym is not None else "?"
            if self.negate:
                inner = MINUS + inner
            return r.masked(inner)
        if self.text_ is not None:
            return r.escape(self.text_)
        return r.number(self.value)

    def evaluate(self) -> float:
        return float(self.value)

    def refs(self) -> Iterator[str]:
        if self.ref is not None:
            yield self.ref


def const(value: float, text: str | None = None) -> Num:
    """An exact constant of a formula (1, 2, ½, 0.01...)."""
    return Num(float(value), text_=text)


@dataclass
class Text(Expr):
    """Literal text (an ellipsis, "Σₓ")."""

    value: str

    def render(self, r: Renderer) -> str:
        return r.escape(self.value)

    def evaluate(self) -> float:
        raise ValueError(f"{self.value!r} has no value")


@dataclass
class Sum(Expr):
    """t₁ + t₂ + …; a term that is a :class:`Neg` or negative constant prints as ``− x``."""

    terms: list[Expr]
    level = _SUM

    def children(self) -> Sequence[Expr]:
        return self.terms

    def render(self, r: Renderer) -> str:
        parts: list[str] = []
        for i, t in enumerate(self.terms):
            if i and isinstance(t, Neg):
                parts.append(f" {MINUS} " + t.arg.wrapped(r, _PROD))
            elif i:
                parts.append(" + " + t.wrapped(r, _NEG + 1 if isinstance(t, Num) else _SUM + 1))
            else:
                parts.append(t.wrapped(r, _SUM))
        return "".join(parts)

    def evaluate(self) -> float:
        return math.fsum(t.evaluate() for t in self.terms)


@dataclass
class Sub(Expr):
    """a − b."""

    a: Expr
    b: Expr
    level = _SUM

    def children(self) -> Sequence[Expr]:
        return (self.a, self.b)

    def render(self, r: Renderer) -> str:
        return f"{self.a.wrapped(r, _SUM)} {MINUS} {self.b.wrapped(r, _SUM + 1)}"

    def evaluate(self) -> float:
        return self.a.evaluate() - self.b.evaluate()


@dataclass
class Neg(Expr):
    """−x."""

    arg: Expr
    level = _NEG

    def children(self) -> Sequence[Expr]:
        return (self.arg,)

    def render(self, r: Renderer) -> str:
        inner = self.arg.render(r)
        if self.arg.level <= _NEG:
            inner = f"({inner})"
        return MINUS + inner

    def evaluate(self) -> float:
        return -self.arg.evaluate()


def _boxed(n: Num, position: int) -> bool:
    """Whether a number in a product is written in parentheses: all but ½, (1/m) and a leading
    whole-number constant such as the 2 of 2·(a − t)."""
    if n.boxed is not None:
        return n.boxed
    if n.text_ is None:
        return True
    if not n.text_[:1].isdigit():
        return False
    return not (position == 0 and float(n.value).is_integer())


def _is_group(text: str) -> bool:
    return text.startswith("(") and text.endswith(")")


@dataclass
class Prod(Expr):
    """f₁·f₂·…; numbers are parenthesised and written side by side, (0.2)(1), as in the notes."""

    factors: list[Expr]
    level = _PROD

    def children(self) -> Sequence[Expr]:
        return self.factors

    def render(self, r: Renderer) -> str:
        out = ""
        prev_group = False
        for i, f in enumerate(self.factors):
            if isinstance(f, Num) and _boxed(f, i):
                text = f"({f.render(r)})"
            elif isinstance(f, (Sum, Sub)):
                inner = f.render(r)
                nested = "(" in (inner if r.name == "text" else f.render(Renderer(r.digits)))
                text = f"[{inner}]" if nested else f"({inner})"
            else:
                text = f.wrapped(r, _PROD + (1 if i else 0))
            group = _is_group(text) or (text.startswith("[") and text.endswith("]"))
            if i:
                out += "" if (group and prev_group) else "·"
            out += text
            prev_group = group
        return out

    def evaluate(self) -> float:
        v = 1.0
        for f in self.factors:
            v *= f.evaluate()
        return v


@dataclass
class Div(Expr):
    """a/b."""

    a: Expr
    b: Expr
    level = _PROD

    def children(self) -> Sequence[Expr]:
        return (self.a, self.b)

    def render(self, r: Renderer) -> str:
        return f"{self.a.wrapped(r, _PROD)}/{self.b.wrapped(r, _POW)}"

    def evaluate(self) -> float:
        return self.a.evaluate() / self.b.evaluate()


@dataclass
class Pow(Expr):
    """base^exponent; small whole exponents print as superscripts (x²)."""

    base: Expr
    exponent: Expr
    level = _POW

    def children(self) -> Sequence[Expr]:
        return (self.base, self.exponent)

    def render(self, r: Renderer) -> str:
        base = self.base.render(r)
        if (
            isinstance(self.base, Num)
            or self.base.level < _ATOM
            or (isinstance(self.base, Sym) and self.base.prefix)
        ):
            base = f"({base})"
        if isinstance(self.exponent, Num) and self.exponent.text_ is None:
            e = self.exponent.value
            if e == int(e) and 0 <= e < 100:
                return base + r.sup(str(int(e)))
        if isinstance(self.exponent, Sym) and not self.exponent.sub and not self.exponent.sup:
            return base + r.sup(self.exponent.base)
        exp = self.exponent.render(r)
        if r.name == "html":
            return f"{base}<sup>{_raised(exp)}</sup>"
        return f"{base}^({exp})"

    def evaluate(self) -> float:
        return self.base.evaluate() ** self.exponent.evaluate()


@dataclass
class Exp(Expr):
    """e^x, written e^(x) in text and e<sup>x</sup> in HTML."""

    arg: Expr

    def children(self) -> Sequence[Expr]:
        return (self.arg,)

    def render(self, r: Renderer) -> str:
        inner = self.arg.render(r)
        if r.name == "html":
            return f"e<sup>{_raised(inner)}</sup>"
        return f"e^({inner})"

    def evaluate(self) -> float:
        return math.exp(self.arg.evaluate())


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


#: function name → its value, for :meth:`Func.evaluate` and the parser
FUNCTIONS: dict[str, Callable[..., float]] = {
    "σ": _sigmoid,
    "tanh": math.tanh,
    "ln": math.log,
    "√": math.sqrt,
    "step": lambda x: 1.0 if x > 0 else 0.0,
    "max": max,
    "sign": lambda x: float((x > 0) - (x < 0)),
}


@dataclass
class Func(Expr):
    """name(arg, …), e.g. σ(z), tanh(−0.1), max(0, z), √(v)."""

    name: str
    args: list[Expr] = field(default_factory=list)

    def children(self) -> Sequence[Expr]:
        return self.args

    def render(self, r: Renderer) -> str:
        inner = ", ".join(a.render(r) for a in self.args)
        return f"{r.escape(self.name)}({inner})"

    def evaluate(self) -> float:
        fn = FUNCTIONS.get(self.name.rstrip("′"))
        if fn is None or self.name.endswith("′"):
            raise ValueError(f"{self.name} has no numeric form")
        return float(fn(*[a.evaluate() for a in self.args]))


@dataclass
class Apply(Expr):
    """A symbolic function applied to an argument, e.g. σ′(z₁⁽²⁾) or f′(z): display only."""

    fn: Expr
    arg: Expr

    def children(self) -> Sequence[Expr]:
        return (self.fn, self.arg)

    def render(self, r: Renderer) -> str:
        return f"{self.fn.render(r)}({self.arg.render(r)})"

    def evaluate(self) -> float:
        raise ValueError("a symbolic function has no value")


@dataclass
class Prefixed(Expr):
    """An operator written before its argument, e.g. Σₓ aₖδⱼ."""

    op: str
    arg: Expr
    level = _PROD

    def children(self) -> Sequence[Expr]:
        return (self.arg,)

    def render(self, r: Renderer) -> str:
        return r.escape(self.op) + " " + self.arg.wrapped(r, _PROD)

    def evaluate(self) -> float:
        raise ValueError(f"{self.op} has no numeric form")


def to_text(e: Expr, digits: int = 4, mask: Collection[str] = ()) -> str:
    return e.render(Renderer(digits, mask))


def to_html(e: Expr, digits: int = 4, mask: Collection[str] = ()) -> str:
    return e.render(HtmlRenderer(digits, mask))
