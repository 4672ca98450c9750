"""Property tests: malformed, binary, empty, huge, NaN/inf and wrong-width input to every importer.

Each case must end in a Dataset or a DataError, never in another exception. The example counts are
small so that the file runs in a few seconds in CI; set BPSTUDIO_FUZZ_EXAMPLES to run more.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bpstudio.data import DataError, Dataset, load_dataset, prepare
from bpstudio.engine.errors import MAX_MESSAGE

N = int(os.environ.get("BPSTUDIO_FUZZ_EXAMPLES", "75"))
# derandomised when CI is set, so that a CI run is repeatable; random (and exploring) elsewhere
FUZZ = settings(
    max_examples=N,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def outcome(spec, **kw):
    """The Dataset the spec loads, or None for a DataError; any other exception fails the test."""
    try:
        ds = load_dataset(spec, **kw)
    except DataError as exc:
        assert 0 < len(str(exc)) <= MAX_MESSAGE  # a short message, not an empty error
        return None
    check_dataset(ds)
    return ds


def check_dataset(ds: Dataset) -> None:
    assert isinstance(ds, Dataset)
    n = len(ds)
    assert n > 0 and ds.X.shape == (n, ds.n_inputs) and ds.T.shape == (n, ds.n_outputs)
    assert ds.n_inputs > 0 and ds.n_outputs > 0
    assert np.all(np.isfinite(ds.X)) and np.all(np.isfinite(ds.T))
    assert ds.task in ("binary", "multiclass", "regression")
    assert len(ds.input_names) == ds.n_inputs and len(ds.target_names) == ds.n_outputs


OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "header": st.sampled_from([True, False, "auto", "maybe", 1]),
        "target": st.one_of(
            st.none(),
            st.integers(-4, 4),
            st.sampled_from(["a", "b", "label", "1", "a,b", ""]),
            st.lists(st.sampled_from([1, 2, "a", "b", -1]), max_size=3),
        ),
        "onehot": st.sampled_from([True, False, "auto", "yes"]),
        "delimiter": st.sampled_from([",", ";", "\t", "", ",,", '"']),
    },
)


@FUZZ
@given(text=st.text(max_size=300), opts=OPTIONS)
def test_csv_arbitrary_text(folder, text, opts):
    p = folder / "text.csv"
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    outcome({"file": str(p), **opts})


@FUZZ
@given(raw=st.binary(max_size=600), gz=st.booleans(), fmt=st.sampled_from(["csv", "tsv", "idx", "npz"]))
def test_arbitrary_bytes_in_every_format(folder, raw, gz, fmt):
    p = folder / f"bytes.{fmt}"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    spec = {"file": str(p), "format": fmt}
    if fmt == "idx":
        spec["labels"] = str(p)
    outcome(spec)


CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", "NA", "?", "nan", "inf", "-inf", "1e999", "abc", " 1.5 ", "1,5", '"q"', "N/A"]),
)


@FUZZ
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=0, max_size=12),
    header=st.booleans(),
    opts=OPTIONS,
)
def test_csv_tables_with_nan_inf_missing_and_wrong_widths(folder, rows, header, opts):
    buf = io.StringIO()
    w = csv.writer(buf)
    if header:
        w.writerow(["a", "b", "c", "d", "label"][: max(1, len(rows[0]) if rows else 1)])
    w.writerows(rows)
    p = folder / "table.csv"
    p.write_text(buf.getvalue())
    ds = outcome({"file": str(p), **opts})
    if ds is not None and ds.report is not None:
        assert ds.report.rows == len(ds)


@FUZZ
@given(
    X=hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 4)), elements=st.floats(-1e6, 1e6)),
    missing=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 3)), max_size=5),
)
def test_csv_round_trip_fills_missing_with_means(folder, X, missing):
    n, d = X.shape
    y = np.arange(n) % 2
    holes = {(i, j) for i, j in missing if i < n and j < d}
    lines = [",".join([f"x{j}" for j in range(d)] + ["y"])]
    for i in range(n):
        cells = ["" if (i, j) in holes else repr(float(X[i, j])) for j in range(d)]
        lines.append(",".join(cells + [str(y[i])]))
    p = folder / "roundtrip.csv"
    p.write_text("\n".join(lines) + "\n")
    ds = outcome({"file": str(p)})
    cols_all_missing = [j for j in range(d) if all((i, j) in holes for i in range(n))]
    if cols_all_missing:
        assert ds is None
        return
    assert ds is not None
    for j in range(d):
        present = [X[i, j] for i in range(n) if (i, j) not in holes]
        for i in range(n):
            want = np.mean(present) if (i, j) in holes else X[i, j]
            assert ds.X[i, j] == pytest.approx(want, rel=1e-12, abs=1e-9)
    assert ds.report.total_filled == len(holes)


def idx_header(code: int, dims: list[int]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


@FUZZ
@given(
    code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
    dims=st.lists(st.integers(0, 6), min_size=0, max_size=5),
    extra=st.integers(-3, 3),
    payload=st.binary(min_size=0, max_size=64),
    label_dims=st.lists(st.integers(0, 6), min_size=1, max_size=2),
)
def test_idx_headers_and_payloads(folder, code, dims, extra, payload, label_dims):
    size = {0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}.get(code, 1)
    count = int(np.prod(dims)) if dims else 0
    body = (payload * (count * size // max(len(payload), 1) + 1))[: max(count * size + extra, 0)]
    img = folder / "f-idx3-ubyte"
    img.write_bytes(idx_header(code, dims) + body)
    lab = folder / "f-idx1-ubyte"
    lab.write_bytes(idx_header(0x08, label_dims) + bytes(int(np.prod(label_dims))))
    outcome({"file": str(img), "labels": str(lab)})


ARRAY = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.dtype("<U3")]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
)


@FUZZ
@given(
    arrays=st.dictionaries(
        st.sampled_from(["X", "y", "T", "data", "labels", "class_names"]), ARRAY, max_size=4
    ),
    opts=st.fixed_dictionaries(
        {},
        optional={
            "inputs_key": st.sampled_from(["X", "data", "nope", 3]),
            "targets_key": st.sampled_from(["y", "labels", "nope"]),
            "onehot": st.sampled_from([True, False, "auto"]),
        },
    ),
)
def test_npz_with_arbitrary_arrays(folder, arrays, opts):
    p = folder / "arrays.npz"
    np.savez(p, **arrays)
    outcome({"file": str(p), **opts})


@FUZZ
@given(
    names=st.lists(st.text("abcXy_.npz/", min_size=1, max_size=8), max_size=3, unique=True),
    raw=st.binary(max_size=100),
)
def test_zip_archives_that_are_not_npz(folder, names, raw):
    p = folder / "fake.npz"
    with zipfile.ZipFile(p, "w") as zf:
        for name in names:
            zf.writestr(name, raw)
    outcome({"file": str(p)})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-5, 300) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
KNOWN = st.sampled_from(["xor", "moons", "matmul", "iris", "sine", "nope", "circle"])
PARAMS = st.dictionaries(
    st.sampled_from(["n", "noise", "seed", "encoding", "matrix", "periods", "x"]), JSON, max_size=3
)
SPEC = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"builtin": KNOWN | JSON},
        optional={"params": PARAMS | JSON, "split": JSON, "preprocessing": JSON, "name": JSON},
    ),
    st.fixed_dictionaries(
        {
            "inline": st.fixed_dictionaries(
                {}, optional={"inputs": JSON, "targets": JSON, "input_names": JSON}
            )
        },
        optional={"split": JSON},
    ),
    st.fixed_dictionaries({"file": JSON}, optional={"format": JSON, "target": JSON}),
)


@FUZZ
@given(spec=SPEC)
def test_specification_dicts(spec):
    try:
        data = prepare(spec)
    except DataError as exc:
        assert str(exc)
        return
    check_dataset(data.dataset)
    assert data.train[0].shape[0] > 0 and np.all(np.isfinite(data.train[0]))


@FUZZ
@given(
    split=st.fixed_dictionaries(
        {},
        optional={
            "val": st.floats(-0.5, 1.5) | st.integers(-1, 2),
            "test": st.floats(-0.5, 1.5),
            "seed": st.integers(-2, 2**33),
            "stratify": st.booleans(),
        },
    ),
    scaling=st.sampled_from(["none", "minmax01", "minmax11", "standardise", "other"]),
    per_feature=st.booleans(),
    name=st.sampled_from(["xor", "iris", "sine", "gaussians"]),
)
def test_split_and_scaling_options(split, scaling, per_feature, name):
    spec = {
        "builtin": name,
        "split": split,
        "preprocessing": {"scaling": scaling, "per_feature": per_feature},
    }
    try:
        data = prepare(spec)
    except DataError:
        return
    n = len(data.dataset)
    assert sum(data.sizes().values()) == n
    for part in (data.train, data.val, data.test):
        if part is not None:
            assert np.all(np.isfinite(part[0]))


PLAIN_CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["", "NA", "?", "nan", "inf", "abc", " 1.5 ", "1_000", "x y", "0x10", "1e5", "  "]),
)


@FUZZ
@given(
    rows=st.lists(st.lists(PLAIN_CELL, min_size=2, max_size=4), min_size=1, max_size=10),
    header=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
    blank=st.lists(st.integers(0, 10), max_size=2),
    target=st.sampled_from([None, 1, -1, [1, 2]]),
    onehot=st.sampled_from([True, False, "auto"]),
)
def test_fast_and_careful_csv_paths_agree(folder, rows, header, newline, blank, target, onehot):
    """NumPy's parser (plain files) and the csv-module path give the same dataset or the same error."""
    from unittest import mock

    from bpstudio.data import csvfile

    lines = [",".join(r) for r in rows]
    if header:
        lines.insert(0, ",".join(f"c{j}" for j in range(len(rows[0]))))
    for b in blank:
        lines.insert(min(b, len(lines)), "")
    p = folder / "plain.csv"
    p.write_bytes((newline.join(lines) + newline).encode())
    spec = {"file": str(p), "onehot": onehot}
    if target is not None:
        spec["target"] = target

    def attempt():
        try:
            return load_dataset(spec)
        except DataError as exc:
            return str(exc)

    fast = attempt()
    with mock.patch.object(csvfile, "_fast_numeric", return_value=None):
        careful = attempt()
    if isinstance(fast, str) or isinstance(careful, str):
        assert fast == careful
        return
    check_dataset(fast)
    assert np.array_equal(fast.X, careful.X) and np.array_equal(fast.T, careful.T)
    assert fast.class_names == careful.class_names and fast.report.filled == careful.report.filled
    assert fast.input_names == careful.input_names and fast.report.rows == careful.report.rows


def test_plain_numeric_files_take_the_fast_path():
    from bpstudio.data.csvfile import _fast_numeric

    got = _fast_numeric("a,b,t\n1,2,x\n\n3,4,y\n", ",", 1, True, 3, [0, 1], [2])
    assert got is not None
    X, lines, tvals = got
    assert X.tolist() == [[1, 2], [3, 4]] and lines == [2, 4] and tvals == [("x",), ("y",)]
    assert _fast_numeric('a,b,t\n"1",2,x\n', ",", 1, True, 3, [0, 1], [2]) is None
    assert _fast_numeric("a,b,t\n1,,x\n", ",", 1, True, 3, [0, 1], [2]) is None
