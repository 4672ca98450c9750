"""Read arithmetic as the walkthrough prints it, or as a student types it: no eval, a small parser.

Accepted: numbers (``0.475``, ``.5``, ``1e-3``, ``1.2×10⁻³``, Unicode minus), ``+ − - · * × /``, powers
``^`` and superscript digits (``x²``), brackets ``( ) [ ]``, side-by-side products ``(0.2)(1)``,
``e^(x)``, ``½`` and the functions σ, tanh, ln, √, step, max, sign, exp. The result is an
:mod:`~bpstudio.teaching.expr` tree whose numbers keep the text they were written with.
"""

from __future__ import annotations

import math
import re

from ..engine.errors import brief, excerpt
from .expr import Div, Exp, Expr, Func, Neg, Num, Pow, Prod, Sum

MAX_INPUT = 2000
#: how deeply brackets, signs and powers may nest (a deeper answer is refused, never a RecursionError)
MAX_DEPTH = 100
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_FUNCS = ("tanh", "step", "sign", "max", "exp", "ln", "σ", "√")

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+\-−]?\d+)?")
_SCI_TAIL = re.compile(r"\s*[×x]\s*10([⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")


class ParseError(ValueError):
    """Text that is not a number or arithmetic expression; the message says where (and stays short:
    a student's text is quoted as a short excerpt)."""

    def __init__(self, message: str) -> None:
        super().__init__(brief(message))


def _sup_int(text: str) -> int:
    sign = -1 if text.startswith("⁻") else 1
    digits = text.lstrip("⁻⁺")
    return sign * int("".join(str(_SUPERSCRIPT_DIGITS.index(c)) for c in digits))


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: num, op, lpar, rpar, func, sup, comma, e."""
    if len(text) > MAX_INPUT:
        raise ParseError("the expression is too long")
    out: list[tuple[str, str]] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m:
            num = m.group(0).replace("−", "-")
            i = m.end()
            sci = _SCI_TAIL.match(text, i)
            if sci:
                num = f"{num}e{_sup_int(sci.group(1))}"
                i = sci.end()
            out.append(("num", num))
            continue
        if ch == "½":
            out.append(("num", "0.5"))
            i += 1
            continue
        func = next((f for f in _FUNCS if text.startswith(f, i)), None)
        if func:
            out.append(("func", func))
            i += len(func)
            continue
        if ch in "+-−":
            out.append(("op", "-" if ch in "-−" else "+"))
        elif ch in "·*×⋅":
            out.append(("op", "*"))
        elif ch in "/÷":
            out.append(("op", "/"))
        elif ch == "^":
            out.append(("op", "^"))
        elif ch in "([":
            out.append(("lpar", ch))
        elif ch in ")]":
            out.append(("rpar", ch))
        elif ch == ",":
            out.append(("comma", ch))
        elif ch == "e":
            out.append(("e", ch))
        elif ch in _SUPERSCRIPT_DIGITS or ch in "⁻⁺":
            j = i
            while j < n and (text[j] in _SUPERSCRIPT_DIGITS or text[j] in "⁻⁺"):
                j += 1
            out.append(("sup", text[i:j]))
            i = j
            continue
        else:
            raise ParseError(f"unexpected {excerpt(ch)} at position {i + 1}")
        i += 1
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"nested more than {MAX_DEPTH} levels deep (brackets, signs or powers)")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ParseError("the expression ends too early")
        self.pos += 1
        return tok

    def expect(self, kind: str) -> tuple[str, str]:
        tok = self.take()
        if tok[0] != kind:
            raise ParseError(
                f"expected {'a closing bracket' if kind == 'rpar' else kind}, found {excerpt(tok[1])}"
            )
        return tok

    def parse(self) -> Expr:
        e = self.expr()
        if self.peek() is not None:
            raise ParseError(f"unexpected {excerpt(self.peek()[1])}")  # type: ignore[index]
        return e

    def expr(self) -> Expr:
        self._deeper()
        terms = [self.term()]
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in "+-":
            self.take()
            t = self.term()
            terms.append(Neg(t) if tok[1] == "-" else t)
        self.depth -= 1
        return terms[0] if len(terms) == 1 else Sum(terms)

    def _starts_atom(self, tok: tuple[str, str] | None) -> bool:
        return tok is not None and tok[0] in ("num", "lpar", "func", "e")

    def term(self) -> Expr:
        node = self.unary()
        while True:
            tok = self.peek()
            if tok and tok[0] == "op" and tok[1] in "*/":
                self.take()
                rhs = self.unary()
                node = Prod([node, rhs]) if tok[1] == "*" else Div(node, rhs)
            elif self._starts_atom(tok):
                node = Prod([node, self.power()])
            else:
                return node

    def unary(self) -> Expr:
        self._deeper()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in "+-":
            self.take()
            inner = self.unary()
            node: Expr = Neg(inner) if tok[1] == "-" else inner
        else:
            node = self.power()
        self.depth -= 1
        return node

    def power(self) -> Expr:
        base = self.atom()
        while True:
            tok = self.peek()
            if tok and tok[0] == "sup":
                self.take()
                base = Pow(base, Num(float(_sup_int(tok[1]))))
            elif tok and tok == ("op", "^"):
                self.take()
                base = Pow(base, self.unary())
            else:
                return base

    def atom(self) -> Expr:
        tok = self.take()
        kind, text = tok
        if kind == "num":
            return Num(float(text), text_=text)
        if kind == "lpar":
            inner = self.expr()
            self.expect("rpar")
            return inner
        if kind == "e":
            if self.peek() == ("op", "^"):
                self.take()
                return Exp(self.unary())
            return Num(math.e, text_="e")
        if kind == "func":
            self.expect("lpar")
            args = [self.expr()]
            while self.peek() and self.peek()[0] == "comma":  # type: ignore[index]
                self.take()
                args.append(self.expr())
            self.expect("rpar")
            if text == "exp":
                return Exp(args[0])
            want = 2 if text == "max" else 1
            if len(args) != want:
                raise ParseError(f"{text} takes {want} argument{'s' if want > 1 else ''}")
            return Func(text, args)
        raise ParseError(f"unexpected {excerpt(text)}")


def parse_expression(text: str) -> Expr:
    """The expression tree of ``text`` (raises ParseError)."""
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty")
    return _Parser(tokens).parse()


def evaluate_text(text: str) -> float:
    """The value of a number or arithmetic expression typed by a student (raises ParseError)."""
    try:
        value = parse_expression(text).evaluate()
    except (ZeroDivisionError, OverflowError):
        raise ParseError("the arithmetic cannot be evaluated (division by zero or overflow)") from None
    except (TypeError, RecursionError, MemoryError):  # e.g. complex numbers reaching a real function
        raise ParseError("the arithmetic cannot be evaluated (not a real number)") from None
    except ValueError as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"the arithmetic cannot be evaluated ({exc})") from None
    if isinstance(value, complex):  # a negative number to a fractional power
        raise ParseError("the value is not a real number (a negative number to a fractional power)")
    if not math.isfinite(value):
        raise ParseError("the value is not finite")
    return value
