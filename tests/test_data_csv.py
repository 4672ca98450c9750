"""The CSV/TSV importer: headers, targets, one-hot classes, missing values, and errors that name the spot."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from bpstudio.data import DataError, load_dataset
from bpstudio.data import files as data_files

IRIS_LIKE = """sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.3,3.3,6.0,2.5,virginica
"""


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def load(path, **opts):
    return load_dataset({"file": str(path), **opts})


def test_header_and_text_target_become_one_hot_with_class_names(tmp_path):
    ds = load(write(tmp_path, IRIS_LIKE))
    assert ds.task == "multiclass" and ds.X.shape == (4, 4)
    assert ds.input_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert ds.class_names == ["setosa", "versicolor", "virginica"] == ds.target_names
    assert ds.T.tolist() == [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert ds.X[2].tolist() == [7.0, 3.2, 4.7, 1.4]
    assert ds.report.rows == 4 and ds.report.columns == 5 and ds.report.header
    assert ds.suggested["sizes"][0] == 4 and ds.suggested["sizes"][-1] == 3
    assert ds.suggested["activations"][-1] == "softmax" and ds.suggested["loss"] == "cce"


@pytest.mark.parametrize("target", ["species", "SPECIES", 5, -1, "5", "-1"])
def test_target_by_name_or_number(tmp_path, target):
    ds = load(write(tmp_path, IRIS_LIKE), target=target)
    assert ds.class_names == ["setosa", "versicolor", "virginica"]


def test_numeric_targets_and_several_target_columns(tmp_path):
    p = write(tmp_path, "a,b,c,d\n1,2,3,4\n5,6,7,8\n9,10,11,12\n")
    ds = load(p, target=["b", 4])
    assert ds.input_names == ["a", "c"] and ds.target_names == ["b", "d"]
    assert ds.X.tolist() == [[1, 3], [5, 7], [9, 11]] and ds.T.tolist() == [[2, 4], [6, 8], [10, 12]]
    assert ds.task == "regression" and ds.suggested["activations"][-1] == "identity"
    assert load(p, target="a,d").target_names == ["a", "d"]
    assert load(p, target=1).input_names == ["b", "c", "d"]


def test_binary_numeric_target_and_forced_one_hot(tmp_path):
    p = write(tmp_path, "x,y,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    ds = load(p)
    assert ds.task == "binary" and ds.T.shape == (4, 1) and ds.class_names == ["0", "1"]
    assert ds.suggested["loss"] == "bce"
    oh = load(p, onehot=True)
    assert oh.task == "multiclass" and oh.T.tolist() == [[1, 0], [0, 1], [0, 1], [1, 0]]
    assert oh.class_names == ["0", "1"]


def test_class_names_sort_naturally(tmp_path):
    rows = "".join(f"{i},{c}\n" for i, c in enumerate(["10", "2", "1", "2.0", "10"]))
    ds = load(write(tmp_path, "x,digit\n" + rows), onehot=True)
    assert ds.class_names == ["1", "2", "10"]
    assert ds.T.argmax(axis=1).tolist() == [2, 1, 0, 1, 2]


def test_no_header_auto_detected_and_forced(tmp_path):
    p = write(tmp_path, "1,2,0\n3,4,1\n5,6,1\n")
    ds = load(p)
    assert not ds.report.header and ds.X.shape == (3, 2) and ds.input_names == ["column 1", "column 2"]
    forced = load(p, header=True)
    assert forced.input_names == ["1", "2"] and len(forced) == 2


def test_missing_values_are_filled_with_the_column_mean_and_reported(tmp_path):
    text = "a,b,c,t\n1,,10,0\n3,4,NA,1\n,8,?,0\n5,N/A,20,1\n"
    ds = load(write(tmp_path, text))
    assert ds.X[:, 0].tolist() == [1, 3, 3, 5]  # mean of 1, 3, 5
    assert ds.X[:, 1].tolist() == [6, 4, 8, 6]
    assert ds.X[:, 2].tolist() == [10, 15, 15, 20]
    assert ds.report.filled == {"a": 1, "b": 2, "c": 2}
    assert ds.report.total_filled == 5
    assert "filled 5 missing values with the column mean" in ds.report.summary()


def test_tsv_semicolons_quotes_bom_crlf_and_gzip(tmp_path):
    tsv = load(write(tmp_path, "a\tb\tclass\n1\t2\tyes\n3\t4\tno\n", "d.tsv"))
    assert tsv.class_names == ["no", "yes"] and tsv.X.tolist() == [[1, 2], [3, 4]]
    semi = load(write(tmp_path, "a;b;t\n1;2;3\n", "d.txt"), format="csv", delimiter=";")
    assert semi.X.tolist() == [[1, 2]]
    quoted = '\ufeff"first, name",b,"class"\r\n"1.5",2,"a b"\r\n3,4,c\r\n'
    q = load(write(tmp_path, quoted))
    assert q.input_names == ["first, name", "b"] and q.class_names == ["a b", "c"]
    gz = tmp_path / "d.csv.gz"
    gz.write_bytes(gzip.compress(IRIS_LIKE.encode()))
    assert load(gz).X.shape == (4, 4)


def test_blank_lines_are_skipped_and_rows_are_file_lines(tmp_path):
    text = "a,b,t\n\n1,2,0\n\n3,x,1\n"
    with pytest.raises(DataError) as err:
        load(write(tmp_path, text))
    assert str(err.value).endswith("row 5, column \"b\": not a number ('x')")


@pytest.mark.parametrize(
    "text,opts,message",
    [
        (
            IRIS_LIKE.replace("1.4,0.2,setosa\n4.9", "1.4,abc,setosa\n4.9"),
            {},
            'row 2, column "petal_width": not a number',
        ),
        ("1,2,3\n4,five,6\n", {}, "row 2, column 2: not a number ('five')"),
        ("a,b,t\n1,2,0\n3,4\n", {}, "row 3: 2 fields, but the header has 3"),
        ("1,2,0\n3,4,5,6\n", {}, "row 2: 4 fields, but row 1 has 3"),
        ("a,b,t\n1,inf,0\n", {}, 'row 2, column "b": infinite value'),
        ("a,b,t\n1,2,\n", {}, 'row 2, column "t": the target value is missing'),
        ("a,b,t\n1,,0\n2,,1\n", {}, 'column "b": every value is missing'),
        ("a,b,t\n1,2,0\n", {"target": "z"}, "dataset.target: no column named 'z'"),
        ("a,b,t\n1,2,0\n", {"target": 4}, "dataset.target: column 4 does not exist; the file has 3 columns"),
        ("a,b,t\n1,2,0\n", {"target": 0}, "dataset.target: column 0 does not exist"),
        ("a,b,t\n1,2,0\n", {"target": ["a", "b", "t"]}, "every column is a target"),
        ("a,b,t\n1,2,0\n", {"target": ["t", 3]}, 'column "t" is given twice'),
        ("a,b,t\n1,2,x\n", {"onehot": False}, "row 2, column \"t\": not a number ('x')"),
        ("a,b,c\n1,x,2\n", {"target": ["b", "c"]}, "holds class labels, so it must be the only target"),
        ("a,b,t\n", {}, "no data rows after the header"),
        ("", {}, "the file is empty"),
        ("\n\n  \n", {}, "the file is empty"),
        ('a,b\n"1,2\n', {}, "row 2"),
        ("a,b,t\n1,2,0\n", {"delimiter": ";;"}, "dataset.delimiter: must be one character"),
        ("a,b,t\n1,2,0\n", {"header": "yes"}, "dataset.header: choose true, false"),
        ("a,b,t\n1,2,0\n", {"onehot": "maybe"}, "dataset.onehot: choose true, false"),
        ("a,b,t\n1,2,0\n", {"colour": "red"}, "dataset.colour: not an option of a csv file"),
    ],
)
def test_bad_files_fail_with_a_message_naming_the_spot(tmp_path, text, opts, message):
    p = write(tmp_path, text)
    with pytest.raises(DataError) as err:
        load(p, **opts)
    assert message in str(err.value)


def test_binary_missing_folder_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="not a text file"):
        load(write(tmp_path, b"\x00\x01\x02binary\x00"))
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_dataset({"file": str(tmp_path), "format": "csv"})
    with pytest.raises(DataError, match="cannot tell the format of data.dat"):
        load(write(tmp_path, "1,2\n", "data.dat"))
    with pytest.raises(DataError, match="damaged gzip file"):
        load(write(tmp_path, b"\x1f\x8b\x08\x00garbage", "d.csv.gz"))


def test_too_many_classes_is_refused(tmp_path, monkeypatch):
    import bpstudio.data.encode as encode

    monkeypatch.setattr(encode, "MAX_CLASSES", 3)
    p = write(tmp_path, "x,name\n" + "".join(f"{i},n{i}\n" for i in range(5)))
    with pytest.raises(DataError, match="5 different values; a class target may have at most 3 classes"):
        load(p)


def test_oversized_files_are_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(data_files, "MAX_FILE_BYTES", 100)
    big = write(tmp_path, "a,b\n" + "1,2\n" * 50)
    with pytest.raises(DataError, match=r"bytes is larger than the .* limit"):
        data_files.read_bytes(big, data_files.MAX_FILE_BYTES)
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"1,2\n" * 1000))
    with pytest.raises(DataError, match="decompresses to more than"):
        data_files.read_bytes(bomb, 100)


def test_the_limit_applies_through_load_dataset(tmp_path, monkeypatch):
    import bpstudio.data.csvfile as csvfile

    monkeypatch.setattr(csvfile, "read_bytes", lambda p, **kw: data_files.read_bytes(p, 50, **kw))
    with pytest.raises(DataError, match="limit for a data file"):
        load(write(tmp_path, IRIS_LIKE))


def test_too_many_values_is_refused_while_parsing(tmp_path, monkeypatch):
    import bpstudio.data.csvfile as csvfile

    monkeypatch.setattr(csvfile, "MAX_VALUES", 10)
    p = write(tmp_path, "a,b,t\n" + "1,2,0\n" * 10)
    with pytest.raises(DataError, match="10 input values"):
        load(p)


def test_a_second_load_of_an_unchanged_file_gives_equal_independent_records(tmp_path):
    import os
    import time

    p = write(tmp_path, IRIS_LIKE)
    old = time.time() - 10
    os.utime(p, (old, old))  # old enough to be remembered
    a = load(p)
    b = load(p)
    assert np.array_equal(a.X, b.X) and a.class_names == b.class_names
    a.class_names.append("extra")
    assert b.class_names == ["setosa", "versicolor", "virginica"]
    p.write_text(IRIS_LIKE.replace("5.1", "9.9"))  # a change is seen
    assert load(p).X[0, 0] == 9.9
