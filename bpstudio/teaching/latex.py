"""Unicode notation as LaTeX (for worksheets, issue 16.1): the walkthrough's formulas and the names of
neurons, weights and biases, as the plain renderer writes them (z₁⁽²⁾ = σ(0.22) = 1/(1 + e^(−0.22))),
turned into LaTeX math that a standard TeX install (pdflatex, amsmath) compiles: runs of subscript and
superscript characters become _{…} and ^{…}, ``^(…)`` becomes ^{…}, Greek letters and operators their
commands. The result is plain ASCII.
"""

from __future__ import annotations

_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", "0123456789+-=()aehijklmnoprstuvx"))
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿᵗˡᵀ", "0123456789+-=()intlT"))
#: characters in math mode
MATH = {
    "σ": r"\sigma ",
    "η": r"\eta ",
    "δ": r"\delta ",
    "Δ": r"\Delta ",
    "α": r"\alpha ",
    "β": r"\beta ",
    "γ": r"\gamma ",
    "λ": r"\lambda ",
    "ε": r"\varepsilon ",
    "ρ": r"\rho ",
    "θ": r"\theta ",
    "μ": r"\mu ",
    "Σ": r"\sum ",
    "∑": r"\sum ",
    "∂": r"\partial ",
    "·": r"\cdot ",
    "×": r"\times ",
    "−": "-",
    "–": "-",
    "←": r"\leftarrow ",
    "→": r"\to ",
    "′": "'",
    "½": r"\tfrac{1}{2}",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≈": r"\approx ",
    "√": r"\sqrt ",
    "∞": r"\infty ",
    "‖": r"\|",
    "…": r"\ldots ",
    "∈": r"\in ",
    "ŷ": r"\hat{y}",
    "ô": r"\hat{o}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "$": r"\$",
    "~": r"\sim ",
    "{": r"\{",
    "}": r"\}",
    "\\": r"\backslash ",
    "_": r"\_",
    "|": r"|",
}
#: characters in text mode (outside math)
TEXT = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "—": "---",
    "–": "--",
    "“": "``",
    "”": "''",
    "’": "'",
    "‘": "`",
    "…": r"\ldots{}",
}


def math(text: str) -> str:
    """LaTeX math (without the $ … $) for a formula in the plain renderer's Unicode notation."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        for table, mark in ((_SUBSCRIPTS, "_"), (_SUPERSCRIPTS, "^")):
            if ch in table:
                j = i
                while j < n and text[j] in table:
                    j += 1
                out.append(mark + "{" + "".join(table[c] for c in text[i:j]) + "}")
                i = j
                break
        else:
            if ch == "^" and i + 1 < n and text[i + 1] == "(":
                depth, j = 0, i + 1
                while j < n:
                    depth += text[j] == "("
                    depth -= text[j] == ")"
                    if depth == 0:
                        break
                    j += 1
                out.append("^{" + math(text[i + 2 : j]) + "}")
                i = j + 1
                continue
            if ch in MATH:
                out.append(MATH[ch])
            elif ch.isascii():
                out.append(ch)
            else:
                out.append(r"\,?\,")  # a character without a LaTeX form here: never silently dropped
            i += 1
    return "".join(out).replace("  ", " ")


def text(s: str) -> str:
    """Ordinary text for LaTeX's text mode; mathematical characters are set as inline math."""
    out = []
    for ch in s:
        if ch in TEXT:
            out.append(TEXT[ch])
        elif ch.isascii():
            out.append(ch)
        elif ch in MATH or ch in _SUBSCRIPTS or ch in _SUPERSCRIPTS:
            out.append("$" + math(ch) + "$")
        else:
            out.append("?")
    return "".join(out)
