"""The importer options the import dialog relies on: delimiter detection, whitespace tables, a look at
the head of a file, the arrays of an .npz file, IDX headers and labels files, relative data paths."""

from __future__ import annotations

import gzip
import io
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpstudio.data import DataError, csvfile, load_dataset
from bpstudio.data.csvfile import peek_delimited, read_delimited, sniff_delimiter
from bpstudio.data.files import HEAD_BYTES, read_head, rebase_data_paths, relative_data_path
from bpstudio.data.idx import guess_labels_file, idx_header
from bpstudio.data.npzfile import default_keys, npz_arrays


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a,b,t\n1,2,3\n4,5,6\n", ","),
        ("a;b;t\n1;2;3\n", ";"),
        ("x;y;label\n1,5;2,25;a\n3,5;4,75;b\n", ";"),  # decimal commas: ";" gives more numbers
        ("a\tb\tt\n1\t2\t3\n", "\t"),
        ("a|b|t\n1|2|3\n", "|"),
        ("  1.0   2.0  3\n4 5\t6\n", "whitespace"),
        ('name,age\n"Smith, Ann",31\n"Lee, Bob",45\n', ","),
        ("only\n1\n2\n", ","),  # one column
    ],
)
def test_sniff_delimiter(text, expected):
    assert sniff_delimiter(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "1", ",", '"', "\n", "\r", "\r\n", " "]), max_size=40).map("".join))
def test_lines_are_split_as_a_text_file_opened_with_newline_empty(text):
    assert list(csvfile._lines(text)) == list(io.StringIO(text, newline=""))


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_whitespace_tables_runs_of_spaces_tabs_and_blank_lines(tmp_path):
    p = write(tmp_path, "  x   y\tclass\n 1.5  2 a\n\n3 4\t\tb\r\n5 6 a  \n", "t.txt")
    ds = load_dataset({"file": str(p), "format": "csv", "delimiter": "whitespace"})
    np.testing.assert_array_equal(ds.X, [[1.5, 2], [3, 4], [5, 6]])
    assert ds.input_names == ["x", "y"] and ds.class_names == ["a", "b"]
    same = load_dataset({"file": str(p), "format": "csv", "delimiter": "auto"})
    np.testing.assert_array_equal(same.X, ds.X)
    # messages name the file's own line numbers, with or without quotes
    for quoted in ('"b"', "b"):
        bad = write(tmp_path, f"x y label\n1 2 a\n\n3   x\t{quoted}\n", "bad.txt")
        with pytest.raises(DataError, match=r'row 4, column "y": not a number'):
            read_delimited(bad, delimiter="whitespace")


def test_quoted_whitespace_table_keeps_the_class_names(tmp_path):
    q = write(tmp_path, 'x y label\n1 2 "big a"\n3   4 "b"\n', "q.txt")
    ds = read_delimited(q, delimiter="whitespace")
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.class_names == ["b", "big a"]


@pytest.mark.parametrize("bad", ["ab", '"', "\n", "", 3])
def test_a_bad_delimiter_is_refused_by_name(tmp_path, bad):
    p = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DataError, match='dataset.delimiter: .*"whitespace" or "auto"'):
        load_dataset({"file": str(p), "delimiter": bad})
    with pytest.raises(DataError, match="dataset.delimiter"):
        peek_delimited(p, delimiter=bad)


def test_peek_reads_only_the_head_with_the_importers_rules(tmp_path):
    rows = ["a;b;label"] + [f"{i};{i * 0.5};{'yes' if i % 2 else 'no'}" for i in range(60_000)]
    p = write(tmp_path, "\n".join(rows) + "\n", "big.csv")
    assert p.stat().st_size > HEAD_BYTES
    peek = peek_delimited(p, rows=20)
    assert peek.delimiter == ";" and peek.header and peek.names == ["a", "b", "label"]
    assert not peek.whole and len(peek.rows) == 20 and peek.rows[3] == ["3", "1.5", "yes"]
    ds = read_delimited(p, delimiter=peek.delimiter, header=peek.header)
    assert ds.input_names + ["label"] == peek.names and len(ds) == 60_000
    # the same head from a gzip file; and without a header the first row is data
    gz = tmp_path / "big.csv.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    assert peek_delimited(gz, rows=5).rows == peek.rows[:5]
    plain = peek_delimited(p, header=False, rows=2)
    assert plain.names == ["column 1", "column 2", "column 3"] and plain.rows[0] == ["a", "b", "label"]


def test_peek_of_small_odd_and_broken_files(tmp_path):
    small = peek_delimited(write(tmp_path, "1,2\n3,4\n"))
    assert small.whole and not small.header and small.rows == [["1", "2"], ["3", "4"]]
    with pytest.raises(DataError, match="the file is empty"):
        peek_delimited(write(tmp_path, "\n \n", "e.csv"))
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(DataError, match="not a text file"):
        peek_delimited(binary)
    with pytest.raises(DataError, match="no such file"):
        peek_delimited(tmp_path / "missing.csv")
    # a quoted field cut by the end of the head is not an error (the rows before it are shown)
    long = 'a,b\n1,"' + "x" * (HEAD_BYTES + 10) + '"\n'
    cut = peek_delimited(write(tmp_path, long, "long.csv"))
    assert cut.names == ["a", "b"] and not cut.whole


def test_the_fast_path_in_blocks_reads_the_same_numbers(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 4)).round(3)
    lines = ["a,b,c,d,t"] + [",".join(f"{v:g}" for v in row) + f",{i % 2}" for i, row in enumerate(X)]
    p = write(tmp_path, "\n".join(lines) + "\n")
    whole = read_delimited(p)
    monkeypatch.setattr(csvfile, "BLOCK_VALUES", 7)  # blocks of one row
    blocks = read_delimited(p)
    np.testing.assert_array_equal(blocks.X, whole.X)
    np.testing.assert_array_equal(blocks.X, X)
    lines[40] = lines[40].replace(",", ",x", 1)
    with pytest.raises(DataError, match=r'row 41, column "b": not a number'):
        read_delimited(write(tmp_path, "\n".join(lines) + "\n", "bad.csv"))


def test_npz_arrays_are_listed_from_their_headers(tmp_path):
    p = tmp_path / "a.npz"
    np.savez(
        p,
        images=np.zeros((5, 2, 3), dtype=np.uint8),
        names=np.array(["a", "b"]),
        meta=np.array([{"x": 1}], dtype=object),
        one=np.float64(2.0),
    )
    arrays = {a.name: a for a in npz_arrays(p)}
    assert arrays["images"].shape == (5, 2, 3) and arrays["images"].dtype == "uint8"
    assert arrays["images"].shape_text() == "5 × 2 × 3"
    assert arrays["names"].dtype == "text" and arrays["names"].usable
    assert arrays["meta"].dtype == "object" and not arrays["meta"].usable
    assert arrays["one"].shape == () and arrays["one"].shape_text() == "1 value"
    with pytest.raises(DataError, match="not an .npz file"):
        npz_arrays(write(tmp_path, "a,b\n", "fake.npz"))


@pytest.mark.parametrize(
    "names, expected",
    [
        (["y", "X", "extra"], ("X", "y")),
        (["features", "labels"], ("features", "labels")),
        (["a", "b", "c"], ("a", "b")),
        (["only"], ("only", None)),
        ([], (None, None)),
    ],
)
def test_default_npz_keys(names, expected):
    assert default_keys(names) == expected


def idx_file(path: Path, arr: np.ndarray, code: int = 0x08) -> Path:
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    data = head + arr.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def test_idx_header_and_the_labels_file_that_goes_with_the_images(tmp_path):
    img = idx_file(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 4, 5)))
    assert idx_header(img) == ([3, 4, 5], "unsigned byte")
    assert guess_labels_file(img) is None
    lab = idx_file(tmp_path / "train-labels-idx1-ubyte", np.zeros(3))
    assert guess_labels_file(img) == lab  # with or without .gz
    t10k = idx_file(tmp_path / "t10k-images.idx3-ubyte", np.zeros((1, 2, 2)))
    t10k_labels = idx_file(tmp_path / "t10k-labels.idx1-ubyte.gz", np.zeros(1))
    assert guess_labels_file(t10k) == t10k_labels
    assert guess_labels_file(tmp_path / "pictures.idx") is None
    with pytest.raises(DataError, match="not an IDX file"):
        idx_header(write(tmp_path, "hello", "x-idx3-ubyte"))


def test_read_head(tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"abc" * 10)
    assert read_head(p, 4) == (b"abca", False) and read_head(p, 30) == (b"abc" * 10, True)
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(b"hello world"))
    assert read_head(gz, 5) == (b"hello", False)
    with pytest.raises(DataError, match="is a folder"):
        read_head(tmp_path)


def test_relative_data_paths(tmp_path, monkeypatch):
    project = tmp_path / "course" / "lab1"
    project.mkdir(parents=True)
    assert relative_data_path(project / "iris.csv", project) == "iris.csv"
    assert relative_data_path(project / "data" / "iris.csv", project) == "data/iris.csv"
    assert relative_data_path(tmp_path / "course" / "data" / "iris.csv", project) == "../data/iris.csv"
    far = tmp_path / "elsewhere" / "iris.csv"
    assert relative_data_path(far, project) == str(far)  # two levels up: absolute
    assert relative_data_path(far, None) == str(far)
    # a sibling of a folder in the home folder is not "next to" the project
    home = Path(os.environ["HOME"])
    assert relative_data_path(home / "Downloads" / "iris.csv", home / "project") == str(
        home / "Downloads" / "iris.csv"
    )
    monkeypatch.chdir(project)
    assert relative_data_path("iris.csv", None) == str(project / "iris.csv")


def test_rebase_data_paths_when_a_project_moves(tmp_path):
    old, new = tmp_path / "course" / "lab1", tmp_path / "course" / "lab2"
    spec = {"file": "../data/img-idx3-ubyte", "labels": "lab-idx1-ubyte", "format": "idx"}
    moved = rebase_data_paths(spec, old, new)
    assert moved == {"file": "../data/img-idx3-ubyte", "labels": "../lab1/lab-idx1-ubyte", "format": "idx"}
    assert spec["labels"] == "lab-idx1-ubyte"  # not changed in place
    far = rebase_data_paths(spec, old, tmp_path / "elsewhere" / "deep")
    assert far["file"] == str(tmp_path / "course" / "data" / "img-idx3-ubyte")
    assert far["labels"] == str(old / "lab-idx1-ubyte")
    same = {"file": "/abs/iris.csv", "target": [1]}
    assert rebase_data_paths(same, old, new) is same
    builtin = {"builtin": "xor"}
    assert rebase_data_paths(builtin, old, new) is builtin and rebase_data_paths(None, old, new) is None


def test_an_absolute_path_in_the_projects_folder_becomes_relative(tmp_path):
    """Issue 12.6: a CSV imported into an untitled project and saved next to it stayed absolute."""
    project = tmp_path / "course" / "lab1"
    spec = {"file": str(project / "iris.csv"), "target": [4]}
    assert rebase_data_paths(spec, tmp_path, project)["file"] == "iris.csv"


def test_a_missing_data_file_is_looked_for_next_to_the_project(tmp_path):
    """Issue 12.6: a project copied with its CSV to another folder read the original file or failed."""
    from bpstudio.data.files import resolve_path
    from bpstudio.data.records import DataError

    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "iris.csv").write_text("a,b\n1,2\n")
    original = tmp_path / "gone" / "iris.csv"
    assert resolve_path(str(original), copy) == copy / "iris.csv"
    assert resolve_path("../gone/iris.csv", copy) == copy / "iris.csv"
    with pytest.raises(DataError) as err:  # neither: the message names both places tried
        resolve_path(str(tmp_path / "gone" / "wine.csv"), copy)
    assert str(tmp_path / "gone" / "wine.csv") in str(err.value) and "wine.csv in the project" in str(
        err.value
    )
    assert resolve_path(str(original), None) == original  # no project folder: as given (checked later)
