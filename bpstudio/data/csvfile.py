"""The CSV / TSV importer.

Rows and columns are numbered from 1, as in a spreadsheet: "row 17" is line 17 of the file (the
header, if any, is row 1). A target column is chosen by name or by number (1 = first column,
−1 = last); by default it is the last column. Missing values (an empty field, ``NA``, ``N/A``,
``NaN``, ``null``, ``None``, ``?``) in an input column are replaced by the mean of that column's
present values, and the :class:`ImportReport` says how many were filled. A target column of text
(or any target when ``onehot`` is true) becomes one-hot, with the class names kept.

The delimiter is one character, ``"whitespace"`` (fields separated by runs of spaces or tabs, as in
many ``.txt``/``.dat`` tables) or ``"auto"`` (:func:`sniff_delimiter` picks comma, tab, semicolon,
bar or whitespace from the first rows). :func:`peek_delimited` reads only the head of a file with the
same rules, for a preview of the columns.
"""

from __future__ import annotations

import array
import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.errors import MAX_EXCERPT, excerpt
from .encode import class_text, finish, one_hot
from .files import HEAD_BYTES, MAX_ROWS, MAX_VALUES, read_bytes, read_head
from .records import DataError, Dataset, ImportReport, shown

MISSING = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none", "?"})
#: the delimiter value meaning "fields separated by runs of spaces or tabs"
WHITESPACE = "whitespace"
#: the delimiter value meaning "find out from the first rows"
AUTO = "auto"
#: the delimiters :func:`sniff_delimiter` tries, in order of preference when they do equally well
SNIFF_ORDER = (",", "\t", ";", "|", WHITESPACE)
#: rows :func:`sniff_delimiter` looks at
SNIFF_ROWS = 30
#: fields parsed by one call of NumPy's parser on the fast path
BLOCK_VALUES = 100_000


def decode(raw: bytes, path: Path) -> str:
    """The text of a file: UTF-8 (with or without BOM), else Latin-1; binary files are refused."""
    if b"\x00" in raw[:65536]:
        raise DataError(f"{path}: not a text file (it contains NUL bytes); is it a CSV file?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if "\x00" in text:
        raise DataError(f"{path}: not a text file (it contains NUL bytes); is it a CSV file?")
    return text


def _number_or_missing(field: str) -> float:
    """float(field), NaN for a missing-value marker, ValueError for anything else."""
    try:
        return float(field)
    except ValueError:
        if field.strip().lower() in MISSING:
            return math.nan
        raise


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return field.strip().lower() in MISSING
    return True


def _escaped(name: str, limit: int = MAX_EXCERPT - 2) -> str:
    """A column name for a message: escaped (no line breaks or control characters), cut to ``limit``."""
    text = repr(name)[1:-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Columns:
    """Column names and how to refer to a column in a message."""

    def __init__(self, names: list[str], header: bool) -> None:
        self.names = names
        self.header = header

    def ref(self, j: int) -> str:
        return f'column "{_escaped(self.names[j])}"' if self.header else f"column {j + 1}"

    def find(self, key: Any, where: str) -> int:
        n = len(self.names)
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise DataError(f"{where}: give a column name or number, not {shown(key)}")
        if isinstance(key, str):
            text = key.strip()
            if self.header:
                hits = [j for j, name in enumerate(self.names) if name == text]
                if not hits:
                    hits = [j for j, name in enumerate(self.names) if name.lower() == text.lower()]
                if len(hits) > 1:
                    raise DataError(
                        f"{where}: the header has {len(hits)} columns named {excerpt(text)}; use a number"
                    )
                if hits:
                    return hits[0]
            try:
                key = int(text)
            except ValueError:
                if not self.header:
                    raise DataError(f"{where}: the file has no header, so give a column number") from None
                listing = ", ".join(excerpt(s, 16) for s in self.names[:6]) + (" …" if n > 6 else "")
                raise DataError(f"{where}: no column named {shown(text)} (columns: {listing})") from None
        if key == 0 or not -n <= key <= n:
            raise DataError(
                f"{where}: column {key} does not exist; the file has {n} columns "
                f"(1 … {n}, or −1 for the last)"
            )
        return key - 1 if key > 0 else n + key


def _targets(cols: _Columns, target: Any) -> list[int]:
    if target is None:
        return [len(cols.names) - 1]
    keys = target if isinstance(target, (list, tuple)) else [target]
    if isinstance(target, str) and "," in target and not (cols.header and target in cols.names):
        keys = [k for k in target.split(",")]
    if not keys:
        raise DataError("dataset.target: give at least one target column")
    out = []
    for k in keys:
        j = cols.find(k, "dataset.target")
        if j in out:
            raise DataError(f"dataset.target: {cols.ref(j)} is given twice")
        out.append(j)
    if len(out) >= len(cols.names):
        raise DataError("dataset.target: every column is a target; no input columns are left")
    return out


def read_delimited(
    path: Path,
    delimiter: str = ",",
    header: Any = "auto",
    target: Any = None,
    onehot: Any = "auto",
    fmt: str = "csv",
) -> Dataset:
    """Import a CSV/TSV file as a Dataset (see the module docstring for the rules)."""
    _check_options(delimiter, header)
    text = decode(read_bytes(path, max_lines=MAX_ROWS + 1), path)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    _check_rows(text, path)
    if delimiter == AUTO:
        delimiter = sniff_delimiter(text[:HEAD_BYTES])
    text, delimiter, reader = _reader(text, delimiter)
    try:
        return _parse(reader, text, delimiter, path, header, target, onehot, fmt)
    except csv.Error as exc:
        raise DataError(f"{path}: row {reader.line_num}: {exc}") from None


def _check_rows(text: str, path: Path) -> None:
    """Refuse a table of more than :data:`MAX_ROWS` lines before it is split into rows: counting
    needs no memory, while a list of millions of short rows would need gigabytes."""
    lines = max(text.count("\n"), text.count("\r"))
    if lines > MAX_ROWS + 1:  # the rows and a header
        raise DataError(f"{path}: {lines:,} lines, more than the limit of {MAX_ROWS:,} rows")


def read_inputs_only(
    path: Path, delimiter: str = AUTO, header: Any = "auto", fmt: str = "csv"
) -> tuple[np.ndarray, list[str], ImportReport]:
    """(X, column names, report): every column of a CSV/TSV file as an input, for predictions.

    The same rules as :func:`read_delimited` (delimiter, header, missing values → column mean x̄ⱼ,
    errors naming the row and column), but no column is a target.
    """
    _check_options(delimiter, header)
    text = decode(read_bytes(path, max_lines=MAX_ROWS + 1), path)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    _check_rows(text, path)
    if delimiter == AUTO:
        delimiter = sniff_delimiter(text[:HEAD_BYTES])
    text, delimiter, reader = _reader(text, delimiter)
    try:
        X, _lines, _tvals, cols, report = _rows(reader, text, delimiter, path, header, None, fmt, False)
    except csv.Error as exc:
        raise DataError(f"{path}: row {reader.line_num}: {exc}") from None
    return X, list(cols.names), report


def _check_options(delimiter: Any, header: Any) -> None:
    if not isinstance(delimiter, str) or (
        delimiter not in (AUTO, WHITESPACE) and (len(delimiter) != 1 or delimiter in '"\r\n')
    ):
        raise DataError(
            f'dataset.delimiter: must be one character, e.g. ",", ";" or "\\t", or "{WHITESPACE}" or "{AUTO}"'
        )
    if header not in (True, False, "auto"):
        raise DataError('dataset.header: choose true, false or "auto"')


def _reader(text: str, delimiter: str) -> tuple[str, str, Any]:
    """(text, delimiter, csv reader) for a delimiter; "whitespace" becomes single spaces.

    Lines stay where they are, so row numbers in messages are still the file's line numbers.
    """
    skip = False
    if delimiter == WHITESPACE:
        lines = text.split("\n")
        if '"' in text:  # quoted fields may hold spaces: let the csv module skip the runs
            text = "\n".join(line.strip().replace("\t", " ") for line in lines)
            skip = True
        else:
            text = "\n".join(" ".join(line.split()) for line in lines)
        delimiter = " "
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True, skipinitialspace=skip)
    return text, delimiter, reader


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings (``\n``, ``\r\n`` or a lone ``\r``), as
    ``io.StringIO(text, newline="")`` gives them, but one at a time instead of copying the whole text
    first (which holds the interpreter for a moment on a large file)."""
    n = len(text)
    start = 0
    has_cr = "\r" in text
    while start < n:
        end = text.find("\n", start)
        if has_cr:
            cr = text.find("\r", start, end if end >= 0 else n)
            if cr >= 0 and cr + 1 != end:  # a lone carriage return ends the line
                end = cr
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _split_for_sniff(lines: list[str], delimiter: str) -> list[list[str]]:
    if delimiter == WHITESPACE:
        return [line.split() for line in lines]
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def sniff_delimiter(text: str) -> str:
    """The delimiter of a table, from its first (up to 30) non-blank rows.

    Each candidate of :data:`SNIFF_ORDER` splits the rows into fields; the best is the one that gives
    every row the same number (≥ 2) of fields, then the most fields that are numbers (so "1,5;2"
    with decimal commas is split at ";"), then the most fields; ties go to the earlier candidate.
    A table of one column gets ",".
    """
    lines = [line for line in text.splitlines() if line.strip()][:SNIFF_ROWS]
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in SNIFF_ORDER:
        rows = _split_for_sniff(lines, delimiter)
        counts = {len(r) for r in rows}
        if len(counts) != 1 or min(counts) < 2:
            continue
        body = rows[1:] or rows
        fields = [f for r in body for f in r]
        numeric = sum(1 for f in fields if _is_number(f)) / max(len(fields), 1)
        score = (True, numeric, len(rows[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class TablePeek:
    """The head of a delimited file as the importer sees it: resolved options, column names, rows."""

    delimiter: str
    header: bool
    names: list[str]
    rows: list[list[str]] = field(default_factory=list)
    #: the whole file was read (so ``rows`` holds every row when fewer than asked for)
    whole: bool = True


def peek_delimited(path: Path, delimiter: str = AUTO, header: Any = "auto", rows: int = 20) -> TablePeek:
    """The column names and the first ``rows`` data rows (as text) of a CSV/TSV file.

    Only the head of the file is read (:data:`HEAD_BYTES`). The delimiter, the header rule and the
    column names are those :func:`read_delimited` uses, so the preview matches the import.
    """
    _check_options(delimiter, header)
    raw, whole = read_head(path)
    if not whole:  # keep whole lines only
        cut = max(raw.rfind(b"\n"), raw.rfind(b"\r"))
        raw = raw[: cut + 1] if cut >= 0 else raw
    text = decode(raw, path)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    if delimiter == AUTO:
        delimiter = sniff_delimiter(text)
    text, _, reader = _reader(text, delimiter)
    try:
        first, _ = _first_row(reader)
    except StopIteration:
        raise DataError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise DataError(f"{path}: row {reader.line_num}: {exc}") from None
    has_header = _has_header(first, header)
    out = TablePeek(delimiter, has_header, _column_names(first, has_header), whole=whole)
    if not has_header:
        out.rows.append(first)
    try:
        for row in reader:
            if len(out.rows) >= rows:
                break
            if row and any(f.strip() for f in row):
                out.rows.append(row)
    except csv.Error as exc:
        if whole:  # else: the head may end inside a quoted field; the rows before it are fine
            raise DataError(f"{path}: row {reader.line_num}: {exc}") from None
    return out


def _has_header(first: list[str], header: Any) -> bool:
    """The header rule: given, or (for "auto") a first row with a field that is not a number."""
    if header == "auto":
        return not all(_is_number(f) for f in first)
    return bool(header)


def _column_names(first: list[str], header: bool) -> list[str]:
    if header:
        return [f.strip() or f"column {j + 1}" for j, f in enumerate(first)]
    return [f"column {j + 1}" for j in range(len(first))]


def _first_row(reader: Any) -> tuple[list[str], int]:
    for row in reader:
        if row and any(f.strip() for f in row):
            return row, reader.line_num
    raise StopIteration


def _fast_numeric(
    text: str, delimiter: str, first_line: int, header: bool, ncols: int, fcols: list[int], tcols: list[int]
) -> tuple[np.ndarray, list[int], list[tuple[str, ...]]] | None:
    """(X, line numbers, target texts) read by NumPy's C parser, or None to take the careful path.

    Only for text without quotes or lone carriage returns, where a line is a row and a field is what
    lies between two delimiters. Anything irregular (a wrong number of fields, a missing or non-numeric
    value, too many values) returns None, and the careful path then reports it precisely.
    """
    if '"' in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    all_lines = text.split("\n")
    expect = ncols - 1
    data: list[str] = []
    numbers: list[int] = []
    for i in range(first_line if header else first_line - 1, len(all_lines)):
        line = all_lines[i]
        if line.count(delimiter) != expect:
            if delimiter not in line and not line.strip():
                continue  # a blank line
            return None
        if expect == 0 and not line.strip():
            return None  # one column: a blank line or a missing value, which the careful path tells apart
        data.append(line)
        numbers.append(i + 1)
    if not data or len(data) * len(fcols) > MAX_VALUES:
        return None
    # In blocks: NumPy's parser holds the GIL, so a load in a worker thread (the import dialog's)
    # lets the user interface run between blocks.
    X = np.empty((len(data), len(fcols)), dtype=np.float64)
    step = max(1, BLOCK_VALUES // max(ncols, 1))
    for start in range(0, len(data), step):
        part = data[start : start + step]
        try:
            block = np.loadtxt(
                part, delimiter=delimiter, usecols=fcols, dtype=np.float64, ndmin=2, comments=None
            )
        except (ValueError, TypeError, OverflowError):
            return None
        if block.shape != (len(part), len(fcols)):
            return None
        X[start : start + len(part)] = block
    if tcols == [ncols - 1]:
        tvals: list[tuple[str, ...]] = [(line.rpartition(delimiter)[2],) for line in data]
    elif tcols == [0]:
        tvals = [(line.partition(delimiter)[0],) for line in data]
    else:
        tvals = []
        for line in data:
            parts = line.split(delimiter)
            tvals.append(tuple(parts[j] for j in tcols))
    return X, numbers, tvals


def _rows(
    reader: Any, text: str, delimiter: str, path: Path, header: Any, target: Any, fmt: str, targets: bool
) -> tuple[np.ndarray, Any, list[tuple[str, ...]], _Columns, ImportReport]:
    """(X with missing values filled, line numbers, target texts, columns, report) of a table.

    With ``targets`` false no column is a target: every column is an input.
    """
    try:
        first, first_line = _first_row(reader)
    except StopIteration:
        raise DataError(f"{path}: the file is empty") from None
    ncols = len(first)
    header = _has_header(first, header)
    names = _column_names(first, header)
    cols = _Columns(names, bool(header))
    tcols = _targets(cols, target) if targets else []
    fcols = [j for j in range(ncols) if j not in tcols]
    fast = _fast_numeric(text, delimiter, first_line, bool(header), ncols, fcols, tcols)
    if fast is not None:
        X, lines, tvals = fast
    else:
        X, lines, tvals = _careful(reader, path, cols, first, first_line, bool(header), fcols, tcols)
    n = len(lines)
    if n == 0:
        raise DataError(f"{path}: no data rows" + (" after the header" if header else ""))
    report = ImportReport(source=str(path), format=fmt, rows=n, columns=ncols, header=bool(header))
    _fill_missing(X, lines, cols, fcols, report, path)
    return X, lines, tvals, cols, report


def _parse(
    reader: Any, text: str, delimiter: str, path: Path, header: Any, target: Any, onehot: Any, fmt: str
) -> Dataset:
    X, lines, tvals, cols, report = _rows(reader, text, delimiter, path, header, target, fmt, True)
    names = cols.names
    tcols = _targets(cols, target)
    fcols = [j for j in range(len(names)) if j not in tcols]
    T, target_names, class_names = _target_matrix(tvals, lines, cols, tcols, onehot, path)
    return finish(
        name=path.name.split(".")[0] or "data",
        X=X,
        T=T,
        input_names=[names[j] for j in fcols],
        target_names=target_names,
        class_names=class_names,
        report=report,
        source=str(path),
    )


def _no_targets(_row: list[str]) -> tuple[str, ...]:
    """No target fields (a table read for predictions only)."""
    return ()


def _careful(
    reader: Any,
    path: Path,
    cols: _Columns,
    first: list[str],
    first_line: int,
    header: bool,
    fcols: list[int],
    tcols: list[int],
) -> tuple[np.ndarray, Any, list[tuple[str, ...]]]:
    """Row by row with the csv module: quotes, missing values, and a precise message for any error."""
    ncols = len(cols.names)
    nf = len(fcols)
    if fcols == list(range(nf)):
        pick_x = None  # the inputs are the first nf fields: slice
    else:
        getter = itemgetter(*fcols)
        pick_x = (lambda row: (row[fcols[0]],)) if nf == 1 else getter
    pick_t: Callable[[list[str]], tuple[str, ...]]
    if not tcols:
        pick_t = _no_targets
    elif len(tcols) == 1:
        pick_t = lambda row: (row[tcols[0]],)  # noqa: E731
    else:
        pick_t = itemgetter(*tcols)
    values = array.array("d")
    extend = values.extend
    lines = array.array("q")
    tvals: list[tuple[str, ...]] = []
    max_rows = min(MAX_VALUES // max(nf, 1), MAX_ROWS)

    def slow(row: list[str], line: int) -> None:
        out = []
        for j in fcols:
            field = row[j].strip()
            try:
                out.append(float(field))
            except ValueError:
                if field.lower() in MISSING:
                    out.append(math.nan)
                else:
                    raise DataError(
                        f"{path}: row {line}, {cols.ref(j)}: not a number ({excerpt(field)})"
                    ) from None
        extend(out)

    def add(row: list[str], line: int) -> None:
        if len(row) != ncols:
            if not row or (len(row) == 1 and not row[0].strip()):
                return  # a blank line
            what = "the header has" if header else f"row {first_line} has"
            raise DataError(f"{path}: row {line}: {len(row)} fields, but {what} {ncols}")
        start = len(values)
        fields = row[:nf] if pick_x is None else pick_x(row)
        try:
            extend(map(float, fields))
        except ValueError:
            del values[start:]  # extend() keeps the numbers before the bad one
            try:
                extend(map(_number_or_missing, fields))
            except ValueError:
                del values[start:]
                slow(row, line)
        tvals.append(pick_t(row))
        lines.append(line)
        if len(lines) > max_rows:  # while reading: memory stays bounded by the limits
            raise DataError(
                f"{path}: more than {max_rows:,} rows; the limit is {MAX_ROWS:,} rows and "
                f"{MAX_VALUES:,} input values ({max_rows:,} rows of {nf} columns)"
            )

    if not header:
        add(first, first_line)
    for row in reader:
        add(row, reader.line_num)
    n = len(lines)
    X = np.frombuffer(values, dtype=np.float64).reshape(n, nf).copy()
    return X, lines, tvals


def _fill_missing(
    X: np.ndarray, lines: Any, cols: _Columns, fcols: list[int], report: ImportReport, path: Path
) -> None:
    """Refuse infinities; replace NaN (missing) by the column mean x̄ⱼ of the present values."""
    bad = np.isinf(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(f"{path}: row {lines[i]}, {cols.ref(fcols[j])}: infinite value")
    missing = np.isnan(X)
    if not missing.any():
        return
    counts = missing.sum(axis=0)
    for j in np.flatnonzero(counts):
        col = X[:, j]
        present = col[~missing[:, j]]
        if present.size == 0:
            raise DataError(f"{path}: {cols.ref(fcols[j])}: every value is missing")
        mean = float(np.mean(present))
        if not math.isfinite(mean):
            raise DataError(f"{path}: {cols.ref(fcols[j])}: the values are too large to average")
        col[missing[:, j]] = mean
        report.filled[cols.names[fcols[j]]] = int(counts[j])


def _target_matrix(
    tvals: list[tuple[str, ...]], lines: Any, cols: _Columns, tcols: list[int], onehot: Any, path: Path
) -> tuple[np.ndarray, list[str], list[str] | None]:
    k = len(tcols)
    stripped = [[v.strip() for v in row] for row in tvals]
    for c in range(k):
        for i, row in enumerate(stripped):
            if row[c].lower() in MISSING:
                raise DataError(f"{path}: row {lines[i]}, {cols.ref(tcols[c])}: the target value is missing")
    numeric = True
    T = np.empty((len(stripped), k), dtype=np.float64)
    try:
        for i, row in enumerate(stripped):
            T[i] = [float(v) for v in row]
    except ValueError:
        numeric = False
    if numeric and onehot is not True:
        bad = ~np.isfinite(T)
        if bad.any():
            i, c = np.argwhere(bad)[0]
            raise DataError(f"{path}: row {lines[i]}, {cols.ref(tcols[c])}: infinite target value")
        return T, [cols.names[j] for j in tcols], None
    if onehot is False:
        for i, row in enumerate(stripped):
            for c, v in enumerate(row):
                try:
                    float(v)
                except ValueError:
                    raise DataError(
                        f"{path}: row {lines[i]}, {cols.ref(tcols[c])}: not a number ({excerpt(v)}); "
                        "set onehot to use it as a class label"
                    ) from None
    if k > 1:
        raise DataError(
            f"dataset.target: {cols.ref(tcols[0])} holds class labels, so it must be the only target column"
        )
    labels = [class_text(float(r[0])) if numeric else r[0] for r in stripped]
    Toh, classes = one_hot(labels, f"{path}: {cols.ref(tcols[0])}")
    return Toh, list(classes), list(classes)
