"""The IDX (MNIST) and .npz importers, on small files the tests make."""

from __future__ import annotations

import gzip
import struct
import zipfile

import numpy as np
import pytest

from bpstudio.data import DataError, load_dataset, prepare


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file as MNIST distributes it: magic 00 00 code ndim, big-endian sizes, big-endian data."""
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def mnist_like(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    labels = (np.arange(12) % 10).astype(np.uint8)
    img = tmp_path / "train-images-idx3-ubyte.gz"
    lab = tmp_path / "train-labels-idx1-ubyte"
    img.write_bytes(gzip.compress(idx_bytes(images)))
    lab.write_bytes(idx_bytes(labels))
    return img, lab, images, labels


def test_idx_images_and_labels_as_distributed(mnist_like):
    img, lab, images, labels = mnist_like
    ds = load_dataset({"file": str(img), "labels": str(lab)})
    assert ds.X.shape == (12, 784) and ds.T.shape == (12, 10)
    assert np.array_equal(ds.X, images.reshape(12, 784))
    assert ds.T.argmax(axis=1).tolist() == labels.tolist()
    assert ds.class_names == [str(d) for d in range(10)] and ds.task == "multiclass"
    assert ds.suggested["sizes"] == [784, 30, 10]  # the notes' 784-30-10 network
    assert ds.input_names[:2] == ["r0c0", "r0c1"] and ds.input_names[-1] == "r27c27"
    scaled = prepare(
        {"file": str(img), "labels": str(lab), "preprocessing": {"scaling": "minmax01", "per_feature": False}}
    )
    assert scaled.train[0].min() == 0.0 and scaled.train[0].max() == 1.0


def test_idx_other_element_types_and_numeric_labels(tmp_path):
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    y = np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5], dtype=np.float64)
    (tmp_path / "x.idx").write_bytes(idx_bytes(x, 0x0D))
    (tmp_path / "y.idx").write_bytes(idx_bytes(y, 0x0E))
    ds = load_dataset({"file": str(tmp_path / "x.idx"), "labels": str(tmp_path / "y.idx"), "onehot": False})
    assert np.array_equal(ds.X, x) and ds.T[:, 0].tolist() == y.tolist() and ds.task == "regression"
    shorts = np.array([[-3, 300], [7, -20]], dtype=np.int16)
    (tmp_path / "s.idx").write_bytes(idx_bytes(shorts, 0x0B))
    (tmp_path / "l.idx").write_bytes(idx_bytes(np.array([0, 1], dtype=np.int32), 0x0C))
    ds = load_dataset({"file": str(tmp_path / "s.idx"), "labels": str(tmp_path / "l.idx")})
    assert ds.X.tolist() == [[-3, 300], [7, -20]] and ds.T.tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"", "too short to be an IDX file"),
        (b"\x01\x02\x08\x01\x00\x00\x00\x01\x05", "not an IDX file (the magic number starts 01 02"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX element type 0x07"),
        (b"\x00\x00\x08\x09" + b"\x00" * 40, "9 dimensions is not supported"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", "the header is cut short"),
        (
            b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02",
            "the header says 5 (5 bytes of data) but the file has 2 bytes",
        ),
        (b"\x00\x00\x0c\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00", "(4 bytes of data) but the file has 5"),
    ],
)
def test_bad_idx_files_are_explained(tmp_path, mnist_like, raw, message):
    _, lab, _, _ = mnist_like
    bad = tmp_path / "bad-idx3-ubyte"
    bad.write_bytes(raw)
    with pytest.raises(DataError) as err:
        load_dataset({"file": str(bad), "labels": str(lab)})
    assert message in str(err.value)


def test_idx_label_problems(tmp_path, mnist_like):
    img, lab, _, _ = mnist_like
    with pytest.raises(DataError, match="an IDX dataset needs the IDX file of its labels"):
        load_dataset({"file": str(img)})
    few = tmp_path / "few-idx1-ubyte"
    few.write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(DataError, match="5 labels for 12 images"):
        load_dataset({"file": str(img), "labels": str(few)})
    neg = tmp_path / "neg-idx1"
    neg.write_bytes(idx_bytes(np.array([-1] * 12, np.int8), 0x09))
    with pytest.raises(DataError, match="class labels must be 0 or more"):
        load_dataset({"file": str(img), "labels": str(neg), "format": "idx"})
    with pytest.raises(DataError, match="damaged gzip file"):
        img.write_bytes(img.read_bytes()[:50])
        load_dataset({"file": str(img), "labels": str(lab)})


def test_idx_size_limit_is_checked_from_the_header(tmp_path, monkeypatch):
    import bpstudio.data.idx as idx

    monkeypatch.setattr(idx, "MAX_VALUES", 100)
    p = tmp_path / "big-idx3-ubyte"
    p.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", 60000, 28, 28))
    with pytest.raises(DataError, match="60000×28×28 = 47,040,000 values is more than the limit of 100"):
        load_dataset({"file": str(p), "labels": str(p)})


# ---------------------------------------------------------------------------- npz
def test_npz_default_and_named_arrays(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(9, 3))
    p = tmp_path / "d.npz"
    np.savez(p, X=X, y=np.array(["cat", "dog", "emu"] * 3), input_names=np.array(["a", "b", "c"]))
    ds = load_dataset({"file": str(p)})
    assert np.array_equal(ds.X, X) and ds.class_names == ["cat", "dog", "emu"]
    assert ds.input_names == ["a", "b", "c"] and ds.task == "multiclass"
    q = tmp_path / "e.npz"
    np.savez_compressed(q, feats=X, out=X[:, :2] * 2)
    ds = load_dataset({"file": str(q), "inputs_key": "feats", "targets_key": "out"})
    assert ds.task == "regression" and np.array_equal(ds.T, X[:, :2] * 2)


def test_npz_images_and_integer_labels(tmp_path):
    images = np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4)
    labels = np.array([0, 2, 1, 2, 0])
    p = tmp_path / "img.npz"
    np.savez(p, images=images, labels=labels, class_names=np.array(["zero", "one", "two"]))
    numeric = load_dataset({"file": str(p)})
    assert numeric.X.shape == (5, 16) and numeric.T[:, 0].tolist() == [0, 2, 1, 2, 0]
    onehot = load_dataset({"file": str(p), "onehot": True})
    assert onehot.T.argmax(axis=1).tolist() == [0, 2, 1, 2, 0]
    assert onehot.class_names == ["zero", "one", "two"]


@pytest.mark.parametrize(
    "arrays,opts,message",
    [
        ({"X": np.array([object(), 1], dtype=object), "y": np.zeros(2)}, {}, "holds Python objects"),
        ({"X": np.zeros((3, 2)), "y": np.zeros(4)}, {}, "'X' has 3 rows but 'y' has 4"),
        ({"X": np.array([[1.0, np.nan]]), "y": np.zeros(1)}, {}, "'X' row 1, column 2: NaN or infinity"),
        ({"X": np.zeros((2, 2)), "y": np.array([1.0, np.inf])}, {}, "'y' contains NaN or infinity"),
        ({"X": np.array(["a", "b"]), "y": np.zeros(2)}, {}, "the inputs must be numbers"),
        ({"X": np.float64(3.0), "y": np.zeros(2)}, {}, "'X' is a single value"),
        ({"a": np.zeros((2, 2)), "b": np.zeros(2)}, {}, "has none of the arrays X, x, inputs"),
        ({"X": np.zeros((2, 2)), "y": np.zeros(2)}, {"targets_key": "z"}, "has no array 'z' (it has: X, y)"),
        ({"X": np.zeros((2, 2)), "y": np.array(["a", "b"])}, {"onehot": False}, "holds text; set onehot"),
        ({"X": np.zeros((2, 2)), "y": np.zeros((2, 2))}, {"onehot": True}, "must be one label per sample"),
        (
            {"X": np.zeros((2, 2)), "y": np.zeros(2)},
            {"labels": "x"},
            "dataset.labels: not an option of a npz file",
        ),
    ],
)
def test_bad_npz_content_is_explained(tmp_path, arrays, opts, message):
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(DataError) as err:
        load_dataset({"file": str(p), **opts})
    assert message in str(err.value)


def test_npz_that_is_not_a_zip_or_is_damaged(tmp_path):
    p = tmp_path / "x.npz"
    np.save(tmp_path / "x.npy", np.zeros(3))
    p.write_bytes((tmp_path / "x.npy").read_bytes())
    with pytest.raises(DataError, match="not an .npz file"):
        load_dataset({"file": str(p)})
    np.savez(p, X=np.zeros((40, 40)), y=np.zeros(40))
    p.write_bytes(p.read_bytes()[:-200])
    with pytest.raises(DataError, match="cannot read the .npz file"):
        load_dataset({"file": str(p)})


def _npz_claiming(shape: tuple[int, ...], extra: dict[str, tuple[int, ...]] | None = None) -> bytes:
    """A tiny .npz whose .npy headers claim arrays of ``shape`` (the data are a few zero bytes)."""
    import io
    import zipfile

    def header(sh: tuple[int, ...]) -> bytes:
        out = io.BytesIO()
        np.lib.format.write_array_header_1_0(out, {"descr": "<f8", "fortran_order": False, "shape": sh})
        return out.getvalue() + b"\0" * 64

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("X.npy", header(shape))
        zf.writestr("T.npy", header((shape[0], 1)))
        for name, sh in (extra or {}).items():
            zf.writestr(f"{name}.npy", header(sh))
    return buf.getvalue()


@pytest.mark.parametrize("shape", [(10**6, 10**6), (10**12,), (2**31, 2**31, 2**31)])
def test_an_npz_header_claiming_huge_arrays_is_refused_before_allocating(tmp_path, shape):
    path = tmp_path / "bomb.npz"
    path.write_bytes(_npz_claiming(shape))
    assert path.stat().st_size < 1000
    with pytest.raises(DataError, match="claims .* values, more than the"):
        load_dataset({"file": str(path)})


def test_an_npz_whose_data_are_shorter_than_its_header_says_is_a_clear_error(tmp_path):
    path = tmp_path / "short.npz"
    path.write_bytes(_npz_claiming((1000, 3)))
    with pytest.raises(DataError, match="cannot read the .npz file"):
        load_dataset({"file": str(path)})


def test_an_npz_with_a_member_marked_encrypted_is_a_clear_error(tmp_path):
    """zipfile raises RuntimeError ("password required") for an encrypted member (found by the
    loader fuzzer, seed 370115): it must be refused like any damaged file."""
    p = tmp_path / "locked.npz"
    np.savez(p, X=np.zeros((4, 2)), y=np.zeros(4))
    raw = bytearray(p.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local and central headers
        at = raw.find(signature)
        while at >= 0:
            raw[at + flag_offset] |= 0x01  # general purpose bit 0: encrypted
            at = raw.find(signature, at + 4)
    p.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="cannot read the .npz file.*encrypted"):
        load_dataset({"file": str(p)})


def _npy(values: np.ndarray, shape_text: str, descr: str = "'<f8'") -> bytes:
    """An .npy file of float64 ``values`` whose header says ``shape_text`` and ``descr`` as written."""
    header = f"{{'descr': {descr}, 'fortran_order': False, 'shape': ({shape_text}), }}".encode("latin1")
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + values.astype("<f8").tobytes()


def test_an_npz_written_by_python_2_loads_without_a_warning(tmp_path, recwarn):
    """An .npy header from Python 2 writes its shape as (4L, 2L); NumPy reads it with a UserWarning on
    the console (found by the loader fuzzer, seed 14). It loads, and quietly."""
    X = np.arange(8.0).reshape(4, 2)
    T = np.array([[0.0], [1.0], [1.0], [0.0]])
    path = tmp_path / "old.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("X.npy", _npy(X, "4L, 2L"))
        zf.writestr("y.npy", _npy(T, "4L, 1L"))
    data = load_dataset({"file": str(path)})
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.T.ravel(), T.ravel())
    assert not list(recwarn)


def test_an_npz_header_with_a_backslash_is_refused_without_a_warning(tmp_path, recwarn):
    """NumPy evaluates a header as a Python literal: a backslash in its text made Python warn of an
    invalid escape sequence on the console (the loader fuzzer, seed 14, once the first was quiet)."""
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("X.npy", _npy(np.zeros((4, 2)), "4, 2", descr="'<f8\\d'"))
        zf.writestr("y.npy", _npy(np.zeros((4, 1)), "4, 1"))
    with pytest.raises(DataError, match="cannot read the .npz file"):
        load_dataset({"file": str(path)})
    assert not list(recwarn)
