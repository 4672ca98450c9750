"""Numbers as a student writes them: a fixed number of decimals, exact short values kept short.

With ``digits`` = d (default 4):

* 0 prints as ``0``;
* 10⁻⁴ ≤ |x| < 10⁶: fixed-point with at least d decimals and at least d significant figures
  (0.4750, 0.01235, 0.0001235, 12.3456); a value that is a short decimal to within floating-point
  noise keeps its short form (0.2, −0.1, 1);
* otherwise scientific with d significant figures, ``1.235×10⁻⁵``.

Negative numbers use the minus sign − (U+2212). :func:`rounding_unit` gives the place value of the last
digit printed, so a printed number p and the true value x always satisfy |p − x| ≤ ½·unit.
"""

from __future__ import annotations

import math

MINUS = "\u2212"
SUPERSCRIPT = str.maketrans("0123456789-+()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾")

#: fixed-point is used for 10**FIXED_MIN_EXP ≤ |x| < 10**FIXED_MAX_EXP
FIXED_MIN_EXP = -4
FIXED_MAX_EXP = 6


def _decimals_for(x: float, digits: int) -> int:
    """Decimals that give at least ``digits`` decimals and ``digits`` significant figures."""
    mag = math.floor(math.log10(abs(x)))
    return max(digits, digits - 1 - mag)


def _is_short(x: float, decimals: int) -> bool:
    r = round(x, decimals)
    return abs(r - x) <= 1e-12 * max(1.0, abs(x))


def use_scientific(x: float) -> bool:
    """True when ``x`` is printed in scientific notation (tiny or huge, but not 0)."""
    if x == 0 or not math.isfinite(x):
        return False
    return not (10.0**FIXED_MIN_EXP <= abs(x) < 10.0**FIXED_MAX_EXP)


def rounding_unit(x: float, digits: int = 4) -> float:
    """The place value of the last digit :func:`format_number` prints for ``x`` (0 for exact 0)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    if use_scientific(x):
        exp = math.floor(math.log10(abs(x)))
        mant = abs(x) / 10.0**exp
        if round(mant, digits - 1) >= 10.0:
            exp += 1
        return 10.0 ** (exp - (digits - 1))
    return 10.0 ** (-_decimals_for(x, digits))


def _fixed(x: float, digits: int) -> str:
    decimals = _decimals_for(x, digits)
    text = f"{abs(x):.{decimals}f}"
    if _is_short(x, decimals) and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("0", ""):
        return "0"
    return (MINUS if x < 0 else "") + text


def _scientific_parts(x: float, digits: int) -> tuple[str, int]:
    """(mantissa text with sign, exponent) with ``digits`` significant figures."""
    exp = math.floor(math.log10(abs(x)))
    mant = abs(x) / 10.0**exp
    mant_r = round(mant, digits - 1)
    if mant_r >= 10.0:
        exp += 1
        mant = abs(x) / 10.0**exp
        mant_r = round(mant, digits - 1)
    text = f"{mant_r:.{digits - 1}f}"
    if abs(mant_r - mant) <= 1e-9 * mant:
        text = text.rstrip("0").rstrip(".")
    return (MINUS if x < 0 else "") + text, exp


def format_number(x: float, digits: int = 4) -> str:
    """``x`` as plain Unicode text, e.g. ``0.4750``, ``−0.1``, ``1.235×10⁻⁵``."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    if x == 0:
        return "0"
    if not use_scientific(x):
        return _fixed(x, digits)
    mant, exp = _scientific_parts(x, digits)
    return f"{mant}×10{str(exp).translate(SUPERSCRIPT)}"


def format_exact(x: float) -> str:
    """A setting such as η = 0.5, β₂ = 0.999 or ε = 10⁻⁸ as typed (up to 10 significant figures)."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return format_number(x)
    if use_scientific(x):
        mant, _, exp = f"{x:.10e}".partition("e")
        mant = mant.rstrip("0").rstrip(".").replace("-", MINUS)
        return f"{mant}×10{str(int(exp)).translate(SUPERSCRIPT)}"
    return f"{x:.10g}".replace("-", MINUS)


def format_number_html(x: float, digits: int = 4) -> str:
    """``x`` for rich text: like :func:`format_number` with the exponent as ``<sup>``."""
    x = float(x)
    if x == 0 or not math.isfinite(x) or not use_scientific(x):
        return format_number(x, digits)
    mant, exp = _scientific_parts(x, digits)
    return f"{mant}×10<sup>{str(exp).replace('-', MINUS)}</sup>"


def format_plain(x: float, digits: int = 4) -> str:
    """ASCII form for CSV files and spreadsheets: ``-0.1``, ``0.4750``, ``1.235e-05``."""
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if not use_scientific(x):
        return _fixed(x, digits).replace(MINUS, "-")
    mant, exp = _scientific_parts(x, digits)
    return f"{mant.replace(MINUS, '-')}e{exp}"
