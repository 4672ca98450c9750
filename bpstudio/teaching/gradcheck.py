"""The gradient check as a student reads it: the window's Gradient Check table and ``bpstudio
gradcheck`` print the same rows (parameter, backprop's ∂E/∂θ, the central difference, the relative
error, whether they agree), named in the notation (:class:`~.labels.Names`)."""

from __future__ import annotations

import csv
import io

from ..engine import GradientReport, ParameterCheck
from .labels import Names

COLUMNS = ("parameter", "backprop ∂E/∂θ", "central difference", "relative error", "agree")
#: the same columns in a CSV file (plain names)
CSV_COLUMNS = ("parameter", "layer", "to", "from", "backprop", "numerical", "relative_error", "agree")


def parameter_name(row: ParameterCheck, names: Names | None = None) -> str:
    """wⱼₖ⁽ˡ⁾ for a weight, bⱼ⁽ˡ⁺¹⁾ for a bias (in ``names``' notation)."""
    names = names or Names()
    if row.frm is None:
        return names.bias(row.layer, row.to)
    return names.weight(row.layer, row.to, row.frm)


def table_rows(report: GradientReport, names: Names | None = None, digits: int = 6) -> list[list[str]]:
    """One row of text per checked parameter, in :data:`COLUMNS` order."""
    return [
        [
            parameter_name(r, names),
            f"{r.analytic:.{digits}g}",
            f"{r.numeric:.{digits}g}",
            f"{r.rel_error:.1e}",
            "no" if r.flagged else "yes",
        ]
        for r in report.rows
    ]


def summary(report: GradientReport) -> str:
    """One line: what was checked and the verdict."""
    n, m = len(report.rows), report.samples
    what = f"{n:,} parameter{'s' if n != 1 else ''} on {m:,} sample{'s' if m != 1 else ''}"
    how = f"h = {report.h:g}, tolerance {report.tolerance:g}"
    if not report.complete:
        return f"stopped after {what} ({how})"
    bad = len(report.flagged)
    if bad:
        return (
            f"{bad:,} of {what} disagree (relative error above {report.tolerance:g}; largest "
            f"{report.max_rel_error:.1e}; {how})"
        )
    return f"all {what} agree: largest relative error {report.max_rel_error:.1e} ({how})"


def report_csv(report: GradientReport, names: Names | None = None) -> str:
    """The check as CSV (:data:`CSV_COLUMNS`), numbers at full precision; layers and neurons 1-based."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for r in report.rows:
        out.writerow(
            [
                parameter_name(r, names),
                r.layer + 1,
                r.to + 1,
                "bias" if r.frm is None else r.frm + 1,
                repr(r.analytic),
                repr(r.numeric),
                repr(r.rel_error),
                "no" if r.flagged else "yes",
            ]
        )
    return buf.getvalue()
