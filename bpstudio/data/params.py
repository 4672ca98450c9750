"""Parameters of the built-in datasets: declared once, validated with messages that name the field."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .records import DataError, shown


@dataclass(frozen=True)
class Param:
    """One parameter of a built-in dataset.

    ``kind`` is ``int`` (a whole number in [lo, hi]), ``float`` (a finite number in [lo, hi]),
    ``choice`` (one of ``choices``) or ``matrix`` (a list of equal-length rows of finite numbers, at
    most ``hi`` rows and columns).
    """

    name: str
    kind: str
    default: Any
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """e.g. ``noise=0.1 (0 ≤ noise ≤ 2): std of Gaussian noise``."""
        if self.kind == "choice":
            rng = " | ".join(self.choices)
        elif self.kind == "matrix":
            rng = "rows of numbers"
        else:
            rng = f"{_num(self.lo)} ≤ {self.name} ≤ {_num(self.hi)}"
        return f"{self.name}={_show(self.default)} ({rng}): {self.help}"

    def check(self, value: Any) -> Any:
        """The value, converted, or DataError ``params.<name>: ...``."""
        where = f"params.{self.name}"
        if self.kind == "choice":
            text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
            if text not in self.choices:
                raise DataError(f"{where}: choose one of {', '.join(self.choices)}, not {shown(value)}")
            return text
        if self.kind == "matrix":
            return _matrix(value, where, int(self.hi or 10))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(f"{where}: must be a number, not {shown(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise DataError(f"{where}: must be a finite number")
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise DataError(f"{where}: must be a whole number, not {shown(value)}")
            value = int(value)
        else:
            value = _float(value, where)
        if self.lo is not None and value < self.lo:
            raise DataError(f"{where}: must be ≥ {_num(self.lo)}")
        if self.hi is not None and value > self.hi:
            raise DataError(f"{where}: must be ≤ {_num(self.hi)}")
        return value


def _float(x: int | float, where: str) -> float:
    """float(x), or DataError if x is infinite, NaN or an integer too large for a float."""
    try:
        f = float(x)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f):
        raise DataError(f"{where}: must be a finite number")
    return f


def _num(x: float | None) -> str:
    if x is None:
        return "…"
    return f"{x:,}" if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def _show(value: Any) -> str:
    return str(value) if not isinstance(value, str) else value


def _matrix(value: Any, where: str, limit: int) -> list[list[float]]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise DataError(f"{where}: must be a list of rows, e.g. [[10, 0], [7, 10]]")
    if len(value) > limit:
        raise DataError(f"{where}: at most {limit} rows")
    rows: list[list[float]] = []
    for i, row in enumerate(value):
        if not isinstance(row, Sequence) or isinstance(row, str) or not row:
            raise DataError(f"{where}[{i}]: must be a list of numbers")
        if len(row) > limit:
            raise DataError(f"{where}[{i}]: at most {limit} columns")
        if len(row) != len(value[0]):
            raise DataError(f"{where}[{i}]: has {len(row)} numbers but row 0 has {len(value[0])}")
        out = []
        for j, x in enumerate(row):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise DataError(f"{where}[{i}][{j}]: must be a finite number, not {shown(x)}")
            out.append(_float(x, f"{where}[{i}][{j}]"))
        rows.append(out)
    return rows


def resolve(dataset: str, params: Any, declared: Sequence[Param]) -> dict[str, Any]:
    """The parameters with defaults filled in, each checked; unknown names are refused."""
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise DataError("params: expected an object of parameter names and values")
    by_name = {p.name: p for p in declared}
    for key in params:
        if key not in by_name:
            known = ", ".join(by_name) if by_name else "none"
            raise DataError(f"params.{key}: {dataset} has no such parameter (it has: {known})")
    return {p.name: p.check(params[p.name]) if p.name in params else p.default for p in declared}


# Parameters shared by the generated datasets.
def n_param(default: int, lo: int = 4, hi: int = 100_000) -> Param:
    return Param("n", "int", default, "number of samples", lo, hi)


def noise_param(default: float, help_text: str = "std of Gaussian noise added to each point") -> Param:
    return Param("noise", "float", default, help_text, 0.0, 10.0)


SEED = Param("seed", "int", 0, "random seed (the same seed gives the same data)", 0, 2**32 - 1)
ENCODING = Param("encoding", "choice", "01", "targets 0/1 (sigmoid) or −1/+1 (tanh)", choices=("01", "pm1"))
