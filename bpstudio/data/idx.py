"""The IDX importer: MNIST's image and label files, raw or gzip-compressed, as distributed.

An IDX file is a 4-byte magic number ``00 00 TT NN`` (TT the element type, NN the number of
dimensions), NN big-endian uint32 sizes, then the elements in row-major order, big-endian. Images
(n × rows × cols) become X (n × rows·cols); labels (n integers) become one-hot targets with classes
0 … max(label), or a numeric column when ``onehot`` is false.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .encode import finish
from .files import MAX_CLASSES, MAX_VALUES, read_bytes, read_head
from .records import DataError, Dataset, ImportReport

#: element type code → (NumPy dtype, name)
IDX_TYPES = {
    0x08: (">u1", "unsigned byte"),
    0x09: (">i1", "signed byte"),
    0x0B: (">i2", "short"),
    0x0C: (">i4", "int"),
    0x0D: (">f4", "float"),
    0x0E: (">f8", "double"),
}


def parse_idx(raw: bytes, path: Path) -> np.ndarray:
    """The array stored in the bytes of an IDX file, after checking magic number, dimensions and size."""
    if len(raw) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0:
        raise DataError(
            f"{path}: not an IDX file (the magic number starts {raw[0]:02x} {raw[1]:02x}, expected 00 00)"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        raise DataError(f"{path}: unknown IDX element type 0x{code:02x}")
    if not 1 <= ndim <= 4:
        raise DataError(f"{path}: an IDX file with {ndim} dimensions is not supported (1 to 4)")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DataError(f"{path}: the header is cut short ({len(raw)} bytes, {head} needed)")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    dtype, _ = IDX_TYPES[code]
    count = 1
    for d in dims:
        count *= d
    shape = "×".join(str(d) for d in dims)
    if count > MAX_VALUES:
        raise DataError(f"{path}: {shape} = {count:,} values is more than the limit of {MAX_VALUES:,}")
    need = count * np.dtype(dtype).itemsize
    have = len(raw) - head
    if have != need:
        raise DataError(
            f"{path}: the header says {shape} ({need:,} bytes of data) "
            f"but the file has {have:,} bytes of data"
        )
    return np.frombuffer(raw, dtype=dtype, count=count, offset=head).reshape(dims)


def idx_header(path: Path) -> tuple[list[int], str]:
    """(dimensions, element type name) of an IDX file, read from its header only.

    e.g. ``([60000, 28, 28], "unsigned byte")`` for MNIST's training images.
    """
    raw, _ = read_head(path, 4 + 4 * 4)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{path}: not an IDX file (it does not start with 00 00)")
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        raise DataError(f"{path}: unknown IDX element type 0x{code:02x}")
    if not 1 <= ndim <= 4:
        raise DataError(f"{path}: an IDX file with {ndim} dimensions is not supported (1 to 4)")
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path}: the header is cut short")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return dims, IDX_TYPES[code][1]


def guess_labels_file(images: Path) -> Path | None:
    """The labels file distributed with an images file, if it is in the same folder.

    MNIST's ``train-images-idx3-ubyte.gz`` goes with ``train-labels-idx1-ubyte.gz`` (with or without
    ``.gz``); ``t10k-images.idx3-ubyte`` with ``t10k-labels.idx1-ubyte``.
    """
    name = images.name
    if "images" not in name:
        return None
    base = name.replace("images", "labels").replace("idx3", "idx1")
    stem = base[:-3] if base.endswith(".gz") else base
    for candidate in (base, stem, stem + ".gz"):
        p = images.with_name(candidate)
        if p != images and p.is_file():
            return p
    return None


def read_idx(path: Path) -> np.ndarray:
    """The array of an IDX file (raw or .gz)."""
    return parse_idx(read_bytes(path), path)


def read_idx_dataset(images: Path, labels: Path, onehot: Any = "auto") -> Dataset:
    """Images and labels IDX files as a Dataset: X = pixels (n × rows·cols, raw values), T = labels."""
    imgs = read_idx(images)
    labs = read_idx(labels)
    n = imgs.shape[0]
    if n == 0:
        raise DataError(f"{images}: holds no images")
    if labs.shape[0] != n:
        raise DataError(f"{labels}: {labs.shape[0]:,} labels for {n:,} images in {images.name}")
    X = imgs.reshape(n, -1).astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise DataError(f"{images}: contains NaN or infinity")
    report = ImportReport(source=str(images), format="idx", rows=n, columns=X.shape[1])
    if imgs.ndim == 3:
        report.notes.append(f"images of {imgs.shape[1]}×{imgs.shape[2]} pixels")
    class_names = None
    if labs.ndim == 1 and onehot is not False:
        if labs.dtype.kind == "f" and not np.all(np.isfinite(labs) & (labs == np.round(labs))):
            raise DataError(f"{labels}: class labels must be whole numbers")
        if n and labs.min() < 0:
            raise DataError(f"{labels}: class labels must be 0 or more (found {labs.min()})")
        k = int(labs.max()) + 1 if n else 1
        if k > MAX_CLASSES:
            raise DataError(f"{labels}: label {k - 1} is more than the limit of {MAX_CLASSES:,} classes")
        k = max(k, 2)
        T = np.zeros((n, k), dtype=np.float64)
        T[np.arange(n), labs.astype(np.intp)] = 1.0
        class_names = [str(c) for c in range(k)]
        target_names = list(class_names)
    else:
        T = labs.reshape(n, -1).astype(np.float64)
        if not np.all(np.isfinite(T)):
            raise DataError(f"{labels}: contains NaN or infinity")
        target_names = ["label"] if T.shape[1] == 1 else [f"t{i + 1}" for i in range(T.shape[1])]
    if imgs.ndim == 3:
        r, c = imgs.shape[1], imgs.shape[2]
        input_names = [f"r{i // c}c{i % c}" for i in range(r * c)]
    else:
        input_names = [f"x{i + 1}" for i in range(X.shape[1])]
    name = images.name.split(".")[0].split("-idx")[0] or "idx"
    return finish(name, X, T, input_names, target_names, class_names, report, str(images))
