"""Reading data files safely: size limits before parsing, gzip with a limit, format by name or content.

A file specification (see :mod:`bpstudio.data`) names a file and how to read it; :func:`load_file`
dispatches on its ``format`` to the CSV/TSV, IDX or NPZ importer.
"""

from __future__ import annotations

import copy
import errno
import gzip
import io
import json
import os
import stat
import time
import zlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from .records import DataError, Dataset, shown

#: files (and decompressed .gz contents) larger than this are refused before parsing
MAX_FILE_BYTES = 256 * 1024 * 1024
#: at most this many numbers in X (60,000 MNIST images of 28 × 28 = 47 million fit)
MAX_VALUES = 60_000_000
#: at most this many rows in a CSV/TSV table: each row costs Python objects while it is read, so this
#: (not the decompressed size) bounds the memory of a file of many short rows (about 0.5 GB at most)
MAX_ROWS = 2_000_000
#: at most this many classes in a one-hot target
MAX_CLASSES = 1000

#: bytes read to look at the start of a file (the import dialog's preview)
HEAD_BYTES = 256 * 1024

FORMATS = ("csv", "tsv", "idx", "npz")
GZIP_MAGIC = b"\x1f\x8b"

#: keys a file specification may have (besides "preprocessing", "split", "name", "description")
FILE_KEYS = {
    "csv": ("file", "format", "target", "header", "delimiter", "onehot"),
    "tsv": ("file", "format", "target", "header", "delimiter", "onehot"),
    "idx": ("file", "format", "labels", "onehot"),
    "npz": ("file", "format", "inputs_key", "targets_key", "onehot"),
}


def limit_text(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB ({n:,} bytes)"


def resolve_path(path: Any, base_dir: str | os.PathLike[str] | None, what: str = "file") -> Path:
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise DataError(f"{what}: expected the path of a file")
    if "\0" in str(path):
        raise DataError(f"{what}: a file name cannot contain a NUL character")
    p = Path(path).expanduser()
    if base_dir is None:
        return p
    if not p.is_absolute():
        p = Path(base_dir) / p
    if not os.path.lexists(p):
        # a project copied with its data to another folder or machine: the file next to the project
        beside = Path(base_dir) / p.name
        if os.path.lexists(beside):
            return beside
        raise DataError(f"{what}: no such file: {p} (also looked for {beside.name} in the project's folder)")
    return p


_KINDS = (
    (stat.S_ISDIR, "is a folder, not a data file"),
    (stat.S_ISFIFO, "is a named pipe, not a data file"),
    (stat.S_ISCHR, "is a device, not a data file"),
    (stat.S_ISBLK, "is a device, not a data file"),
    (stat.S_ISSOCK, "is a socket, not a data file"),
)


def check_regular(path: Path) -> int:
    """The size of ``path``, a regular file (after following links); a DataError for anything else.

    Devices (/dev/zero, /dev/urandom) would be read until memory runs out and a named pipe would
    block for ever, so they are refused before anything is opened.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    for test, message in _KINDS:
        if test(st.st_mode):
            raise DataError(f"{path}: {message}")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path}: is not a regular file, so not a data file")
    return int(st.st_size)


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading without ever blocking (a file swapped for a pipe after
    :func:`check_regular` is refused rather than waited on)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES, max_lines: int | None = None) -> bytes:
    """The file's bytes (decompressed if it is gzip), refusing missing, oversized or corrupt files.

    The size on disk is checked before reading and the decompressed size while decompressing, so
    neither a huge file nor a small "zip bomb" is ever held in memory beyond ``limit`` bytes; a gzip
    text with more than ``max_lines`` lines is refused while it is decompressed (:func:`gunzip`).
    """
    size = check_regular(path)
    if size > limit:
        raise DataError(
            f"{path}: {size:,} bytes is larger than the {limit_text(limit)} limit for a data file"
        )
    try:
        with _open_regular(path) as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > limit:  # grew since it was looked at
        raise DataError(f"{path}: larger than the {limit_text(limit)} limit for a data file")
    if raw[:2] == GZIP_MAGIC:
        raw = gunzip(raw, path, limit, max_lines)
    return raw


def read_head(path: Path, size: int = HEAD_BYTES) -> tuple[bytes, bool]:
    """The first ``size`` bytes of a file (of its decompressed contents if it is gzip), and whether
    that is the whole file. Only the head is read, so a look at a large file is quick."""
    check_regular(path)
    try:
        with _open_regular(path) as fh:
            raw = fh.read(size + 1)
            if raw[:2] == GZIP_MAGIC:
                fh.seek(0)
                try:
                    with gzip.GzipFile(fileobj=fh) as gz:
                        raw = gz.read(size + 1)
                except (OSError, EOFError, zlib.error) as exc:
                    raise DataError(f"{path}: damaged gzip file ({exc})") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return raw[:size], len(raw) <= size


def relative_data_path(path: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None) -> str:
    """How a project in ``base_dir`` should name the data file ``path``.

    Relative (with ``/``) when the file is inside the project's folder (``data/iris.csv``) or next to
    it, in a sibling folder (``../data/iris.csv``), so that the project and its data can be moved or
    shared together; absolute otherwise (and when the project has no folder yet). A sibling of a
    folder directly under the file system root or the home folder does not count as "next to".
    """
    p = Path(os.path.abspath(Path(path).expanduser()))
    if base_dir is None:
        return str(p)
    base = Path(os.path.abspath(Path(base_dir).expanduser()))
    try:
        rel = Path(os.path.relpath(p, base))
    except ValueError:  # another drive (Windows)
        return str(p)
    ups = 0
    for part in rel.parts:
        if part != "..":
            break
        ups += 1
    if ups == 0 or (ups == 1 and base.parent not in (Path(base.anchor), Path.home())):
        return rel.as_posix()
    return str(p)


def rebase_data_paths(spec: Any, old_dir: str | os.PathLike[str], new_dir: str | os.PathLike[str]) -> Any:
    """The dataset specification of a project saved from ``old_dir`` into ``new_dir``.

    ``file`` and ``labels`` paths (relative ones pointed into ``old_dir``) are named again for
    ``new_dir`` by :func:`relative_data_path`: relative if inside or next to it, else absolute. So an
    absolute path of a file in the project's folder becomes relative. Specifications without a file,
    or whose paths do not change, are returned unchanged (the same object).
    """
    if not isinstance(spec, Mapping) or "file" not in spec:
        return spec
    out = dict(spec)
    for key in ("file", "labels"):
        value = out.get(key)
        if isinstance(value, str) and value.strip() and "\0" not in value:
            p = Path(value).expanduser()
            out[key] = relative_data_path(p if p.is_absolute() else Path(old_dir) / p, new_dir)
    return spec if out == spec else out


#: gzip data is decompressed in pieces of this size, each checked against the limits as it comes
GUNZIP_CHUNK = 4 << 20


def gunzip(raw: bytes, path: Path, limit: int = MAX_FILE_BYTES, max_lines: int | None = None) -> bytes:
    """The decompressed contents of gzip data ``raw``, refused as soon as they pass ``limit`` bytes or
    (a text table) ``max_lines`` line breaks, i.e. the rows and a header (LF and CR counted apart, as
    ``csvfile._check_rows`` does), so that a small file of millions of short rows is refused after a
    few megabytes."""
    chunks: list[bytes] = []
    total = lf = cr = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            while chunk := gz.read(GUNZIP_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise DataError(
                        f"{path}: decompresses to more than the {limit_text(limit)} limit for a data file"
                    )
                if max_lines is not None:
                    lf, cr = lf + chunk.count(b"\n"), cr + chunk.count(b"\r")
                    if max(lf, cr) > max_lines:
                        rows, mb = max_lines - 1, max(total >> 20, 1)
                        raise DataError(
                            f"{path}: more than the limit of {rows:,} rows (passed in its first {mb:,} MB)"
                        )
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: damaged gzip file ({exc})") from None
    return b"".join(chunks)


def guess_format(path: Path) -> str | None:
    """csv, tsv, idx or npz from the file name (``.gz`` ignored), or None."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".tsv", ".tab")):
        return "tsv"
    if name.endswith(".npz"):
        return "npz"
    if name.endswith(".idx") or "-idx" in name or ".idx" in name:
        return "idx"
    return None


#: the last file loaded: (key, dataset); a second load of an unchanged file with the same options
#: (e.g. check, then train) reuses it instead of parsing the file again
_last: list[tuple[tuple[Any, ...], Dataset]] = []


def _stamp(path: Path) -> tuple[Any, ...]:
    try:
        st = path.stat()
    except OSError:
        return (str(path), None)
    return (str(path.absolute()), st.st_mtime_ns, st.st_size, st.st_ino)


def _cached(ds: Dataset) -> Dataset:
    """A new Dataset record sharing the (read-only) arrays of ``ds``."""
    report = ds.report
    if report is not None:
        report = replace(report, filled=dict(report.filled), notes=list(report.notes))
    return replace(
        ds,
        input_names=list(ds.input_names),
        target_names=list(ds.target_names),
        class_names=list(ds.class_names),
        suggested=copy.deepcopy(ds.suggested),
        report=report,
    )


def load_file(spec: Mapping[str, Any], base_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """The dataset of a file specification ``{"file": path, "format": ..., ...}``."""
    path = resolve_path(spec.get("file"), base_dir, "dataset.file")
    options = {k: v for k, v in spec.items() if k not in ("preprocessing", "split", "file")}
    try:
        opts_key = json.dumps(options, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        opts_key = repr(options)
    labels_path = spec.get("labels")
    stamps = [_stamp(path)]
    if isinstance(labels_path, (str, os.PathLike)):
        stamps.append(_stamp(resolve_path(labels_path, base_dir, "dataset.labels")))
    key = (tuple(stamps), opts_key)
    if _last and _last[0][0] == key:
        return _cached(_last[0][1])
    ds = _load_file(path, spec, base_dir)
    # Only files last changed more than a second ago are remembered, so that a change within the
    # file system's timestamp granularity can never be missed (git's "racy clean" rule).
    now = time.time_ns()
    if all(st[1] is not None and now - st[1] > 1_000_000_000 for st in stamps):
        ds.X.flags.writeable = False
        ds.T.flags.writeable = False
        _last[:] = [(key, ds)]
        return _cached(ds)
    return ds


def _load_file(path: Path, spec: Mapping[str, Any], base_dir: str | os.PathLike[str] | None) -> Dataset:
    fmt = spec.get("format")
    if fmt is None:
        fmt = guess_format(path)
        if fmt is None:
            raise DataError(
                f"dataset.format: cannot tell the format of {path.name} from its name; "
                f"give one of {', '.join(FORMATS)}"
            )
    if fmt not in FORMATS:
        raise DataError(f"dataset.format: choose one of {', '.join(FORMATS)}, not {shown(fmt)}")
    allowed = set(FILE_KEYS[fmt]) | {"preprocessing", "split", "name", "description"}
    for key in spec:
        if key not in allowed:
            raise DataError(
                f"dataset.{key}: not an option of a {fmt} file (options: {', '.join(FILE_KEYS[fmt])})"
            )
    onehot = spec.get("onehot", "auto")
    if onehot not in (True, False, "auto"):
        raise DataError('dataset.onehot: choose true, false or "auto"')
    if fmt in ("csv", "tsv"):
        from .csvfile import read_delimited

        delimiter = spec.get("delimiter", "," if fmt == "csv" else "\t")
        ds = read_delimited(
            path,
            delimiter=delimiter,
            header=spec.get("header", "auto"),
            target=spec.get("target"),
            onehot=onehot,
            fmt=fmt,
        )
    elif fmt == "idx":
        from .idx import read_idx_dataset

        if spec.get("labels") is None:
            raise DataError("dataset.labels: an IDX dataset needs the IDX file of its labels")
        labels = resolve_path(spec.get("labels"), base_dir, "dataset.labels")
        ds = read_idx_dataset(path, labels, onehot=onehot)
    else:
        from .npzfile import read_npz

        ds = read_npz(path, spec.get("inputs_key"), spec.get("targets_key"), onehot=onehot)
    if isinstance(spec.get("name"), str) and spec["name"]:
        ds.name = spec["name"]
    return ds
