"""The NumPy ``.npz`` importer, read with ``allow_pickle=False`` (no code is ever run from a file).

The inputs are the array named by ``inputs_key`` (default: the first of X, x, inputs, data, images)
and the targets the array named by ``targets_key`` (default: the first of T, y, Y, targets, target,
labels). Inputs with more than two dimensions (images) are flattened to one row per sample. Targets of
text become one-hot; whole-number class labels become one-hot when ``onehot`` is true. Optional string
arrays ``input_names`` and ``class_names`` (or ``target_names``) name the columns.
"""

from __future__ import annotations

import io
import math
import tokenize
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .encode import class_text, finish, one_hot
from .files import MAX_FILE_BYTES, MAX_VALUES, limit_text, read_bytes
from .records import DataError, Dataset, ImportReport, shown

INPUT_KEYS = ("X", "x", "inputs", "data", "images")
TARGET_KEYS = ("T", "y", "Y", "targets", "target", "labels")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass
class ArrayInfo:
    """One array of an .npz file, from its header only: name, shape and element type (a NumPy
    type name such as ``float64``, ``text`` for strings, ``object`` for pickled Python objects)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    #: bytes per value
    itemsize: int = 0

    @property
    def usable(self) -> bool:
        """Numbers or text (objects, which would need pickle, are never loaded)."""
        return self.dtype != "object"

    def shape_text(self) -> str:
        """e.g. ``150 × 4``; ``1 value`` for a 0-d array."""
        return " × ".join(f"{d:,}" for d in self.shape) if self.shape else "1 value"


def npz_arrays(path: Path) -> list[ArrayInfo]:
    """The arrays an .npz file holds, read from the .npy headers only (no data, never pickle)."""
    return _array_infos(read_bytes(path), path)


#: what a damaged file raises besides ValueError and zipfile's BadZipFile: numpy's .npy header parsing
#: (its tokenizer for headers of Python 2, ast.literal_eval) and zipfile (an unknown compression method
#: or zip version: NotImplementedError; a member marked encrypted: RuntimeError, "password required")
HEADER_ERRORS = (
    tokenize.TokenError,
    SyntaxError,
    RecursionError,
    TypeError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
)


def quiet_header_warnings() -> None:
    """Inside ``warnings.catch_warnings()``: nothing on the console while NumPy parses .npy headers, whose
    text it evaluates as a Python literal: a header written by Python 2 (read, with a UserWarning) or
    one with a backslash in a string (an "invalid escape sequence" Deprecation- or SyntaxWarning). The
    file is then read or refused as usual; the console is where nobody using the window would look."""
    warnings.filterwarnings("ignore", message=".*created on Python 2", category=UserWarning)
    for category in (DeprecationWarning, SyntaxWarning):
        warnings.filterwarnings("ignore", message="invalid escape sequence", category=category)


def _array_infos(raw: bytes, path: Path) -> list[ArrayInfo]:
    if raw[:4] not in ZIP_MAGIC:
        raise DataError(f"{path}: not an .npz file (an .npz file is a zip archive of .npy arrays)")
    out = []
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf, warnings.catch_warnings():
            quiet_header_warnings()
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                kind = "object" if dtype.hasobject else "text" if dtype.kind in "US" else dtype.name
                out.append(
                    ArrayInfo(info.filename[:-4], tuple(int(d) for d in shape), kind, int(dtype.itemsize))
                )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, *HEADER_ERRORS) as exc:
        text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot read the .npz file ({text})") from None
    return out


def default_keys(names: list[str]) -> tuple[str | None, str | None]:
    """The arrays :func:`read_npz` takes by default: the first of :data:`INPUT_KEYS` and of
    :data:`TARGET_KEYS` present, else the first two arrays (None when there are none)."""
    kx = next((k for k in INPUT_KEYS if k in names), None)
    kt = next((k for k in TARGET_KEYS if k in names), None)
    rest = [n for n in names if n not in (kx, kt)]
    if kx is None and rest:
        kx = rest.pop(0)
    if kt is None and rest:
        kt = rest.pop(0)
    return kx, kt


def _listing(keys: list[str]) -> str:
    """The first array names, each a short excerpt (a file's names are not to be echoed in full)."""
    names = [repr(k)[1:-1] for k in keys[:6]]  # escaped, unquoted
    return ", ".join(n if len(n) <= 16 else n[:15] + "…" for n in names) + (" …" if len(keys) > 6 else "")


def _pick(keys: list[str], wanted: Any, defaults: tuple[str, ...], what: str, path: Path) -> str:
    if wanted is not None:
        if not isinstance(wanted, str) or wanted not in keys:
            raise DataError(
                f"dataset.{what}: {path.name} has no array {shown(wanted)} (it has: {_listing(keys)})"
            )
        return wanted
    for k in defaults:
        if k in keys:
            return k
    raise DataError(
        f"dataset.{what}: {path.name} has none of the arrays {', '.join(defaults)}; "
        f"name one of: {_listing(keys) or 'none (the file is empty)'}"
    )


def _names(npz: Any, key: str, count: int | None) -> list[str] | None:
    """A 1-D string array of the file, if it has ``count`` entries (any number if None)."""
    if key not in npz.files:
        return None
    arr = npz[key]
    if (
        not isinstance(arr, np.ndarray)
        or arr.dtype.kind not in "US"
        or arr.ndim != 1
        or (count is not None and arr.shape[0] != count)
    ):
        return None
    return [str(a) for a in arr]


def read_npz(path: Path, inputs_key: Any = None, targets_key: Any = None, onehot: Any = "auto") -> Dataset:
    """An .npz file's inputs and targets arrays as a Dataset."""
    raw = read_bytes(path)
    if raw[:4] not in ZIP_MAGIC:
        raise DataError(f"{path}: not an .npz file (an .npz file is a zip archive of .npy arrays)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            total = sum(info.file_size for info in zf.infolist())
        if total > MAX_FILE_BYTES:
            raise DataError(
                f"{path}: its arrays take {total:,} bytes, more than the {limit_text(MAX_FILE_BYTES)} limit"
            )
        # an .npy header says how large its array is, and numpy allocates that before reading: a
        # 1 KB file may claim 10¹² values, so every array is checked against the limits first
        for info in _array_infos(raw, path):
            values = math.prod(info.shape)
            if values > MAX_VALUES or values * info.itemsize > MAX_FILE_BYTES:
                raise DataError(
                    f"{path}: array {info.name!r} claims {info.shape_text()} values, more than the "
                    f"{MAX_VALUES:,}-value limit for a dataset"
                )
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz, warnings.catch_warnings():
            quiet_header_warnings()  # read again as each array is taken
            keys = list(npz.files)
            kx = _pick(keys, inputs_key, INPUT_KEYS, "inputs_key", path)
            kt = _pick(keys, targets_key, TARGET_KEYS, "targets_key", path)
            X0, T0 = npz[kx], npz[kt]
            for key, arr in ((kx, X0), (kt, T0)):
                if not isinstance(arr, np.ndarray):
                    raise DataError(f"{path}: {shown(key)} is not a NumPy array (.npy) inside the .npz file")
            input_names = _names(npz, "input_names", int(np.prod(X0.shape[1:])) if X0.ndim else 0)
            class_names = _names(npz, "class_names", None)
            target_names = _names(npz, "target_names", T0.shape[1] if T0.ndim == 2 else 1)
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{path}: holds Python objects (pickled data), which bpstudio never loads; "
                "save arrays of numbers or text"
            ) from None
        raise DataError(f"{path}: cannot read the .npz file ({str(exc)[:200]})") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error, *HEADER_ERRORS) as exc:
        text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot read the .npz file ({text})") from None
    except MemoryError:
        raise DataError(f"{path}: its arrays do not fit in memory") from None
    return _to_dataset(path, kx, kt, X0, T0, input_names, class_names, target_names, onehot)


def _to_dataset(
    path: Path,
    kx: str,
    kt: str,
    X0: np.ndarray,
    T0: np.ndarray,
    input_names: list[str] | None,
    class_names: list[str] | None,
    target_names: list[str] | None,
    onehot: Any,
) -> Dataset:
    if X0.ndim == 0 or T0.ndim == 0:
        bad = kx if X0.ndim == 0 else kt
        raise DataError(f"{path}: array {shown(bad)} is a single value, not one row per sample")
    if X0.dtype.kind not in "biuf":
        raise DataError(f"{path}: array {shown(kx)} holds {X0.dtype} values; the inputs must be numbers")
    n = X0.shape[0]
    if n == 0:
        raise DataError(f"{path}: array {shown(kx)} has no rows")
    if T0.shape[0] != n:
        raise DataError(f"{path}: {shown(kx)} has {n:,} rows but {shown(kt)} has {T0.shape[0]:,}")
    if X0.size > MAX_VALUES:
        raise DataError(f"{path}: {X0.size:,} input values is more than the limit of {MAX_VALUES:,}")
    X = X0.reshape(n, -1).astype(np.float64)
    if not np.all(np.isfinite(X)):
        i, j = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"{path}: {shown(kx)} row {i + 1}, column {j + 1}: NaN or infinity")
    report = ImportReport(source=str(path), format="npz", rows=n, columns=X.shape[1])
    classes_out = None
    text_labels = T0.dtype.kind in "US"
    if text_labels or (onehot is True):
        if onehot is False:
            raise DataError(f"{path}: {shown(kt)} holds text; set onehot to use it as class labels")
        if T0.ndim != 1:
            raise DataError(f"{path}: class labels {shown(kt)} must be one label per sample (a 1-D array)")
        if T0.dtype.kind == "f" and not np.all(np.isfinite(T0)):
            raise DataError(f"{path}: {shown(kt)} contains NaN or infinity")
        if T0.dtype.kind not in "USbiuf":
            raise DataError(f"{path}: array {shown(kt)} holds {T0.dtype} values")
        labels = [class_text(v) for v in T0.tolist()]
        T, classes_out = one_hot(labels, f"{path}: {shown(kt)}")
        if class_names and len(class_names) == len(classes_out) and not text_labels:
            # integer labels 0..K-1 named by a class_names array
            if classes_out == [str(i) for i in range(len(classes_out))]:
                classes_out = list(class_names)
        tnames = list(classes_out)
    else:
        if T0.dtype.kind not in "biuf":
            raise DataError(f"{path}: array {shown(kt)} holds {T0.dtype} values; the targets must be numbers")
        T = T0.reshape(n, -1).astype(np.float64)
        if not np.all(np.isfinite(T)):
            raise DataError(f"{path}: {shown(kt)} contains NaN or infinity")
        tnames = target_names or (["y"] if T.shape[1] == 1 else [f"y{i + 1}" for i in range(T.shape[1])])
    xnames = input_names or [f"x{i + 1}" for i in range(X.shape[1])]
    return finish(path.name.split(".")[0] or "npz", X, T, xnames, tnames, classes_out, report, str(path))
