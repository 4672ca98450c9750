"""JSON in and out: size-limited, strict parsing and atomic, finite-only writing.

Reading refuses, each with a message naming the problem (and the field, where there is one): files
over the size limit (before reading them), non-regular files (a FIFO would block), empty and binary
files, malformed JSON, duplicate keys, the non-standard ``NaN``/``Infinity`` tokens, numbers too large
for a 64-bit float (``1e999``) and nesting deeper than :data:`MAX_DEPTH`.

Writing serialises first (refusing NaN, infinity and non-JSON values with the field named), then writes
a temporary file in the target's folder, flushes and fsyncs it and renames it over the target, so a
crash or an error mid-save never leaves a truncated file and an existing file survives a failed save.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import stat
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .errors import FileSaveError, FormatError, describe, index, join

#: files larger than this are refused before parsing (a 784-100-10 network with Adam state is ~5 MB).
#: Parsed JSON takes a Python object per number, and a project is then checked and copied into arrays:
#: a 250 MB file needed 2.9 GB and 30 s, so this bounds a load to well under a gigabyte.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: containers nested deeper than this are refused (a project file needs 5 levels)
MAX_DEPTH = 64
_FLOAT_MAX = sys.float_info.max


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


class _NonFinite:
    """A number token JSON cannot hold as a float64 (NaN, Infinity, 1e999): reported with its path."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def problem(self) -> str:
        if self.token in ("NaN", "Infinity", "-Infinity"):
            return f"{self.token} is not a number JSON allows (bpstudio files hold finite numbers only)"
        short = self.token if len(self.token) <= 24 else self.token[:12] + "…" + self.token[-6:]
        return f"{short} is too large for a 64-bit float (the largest is about ±1.8e308)"


class _DuplicateKey(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _parse_int(text: str) -> int | _NonFinite:
    # float64 holds at most ~1.8e308; refusing long literals also avoids Python's 4300-digit limit
    if len(text) > 320:
        return _NonFinite(text)
    value = int(text)
    return value if abs(value) <= _FLOAT_MAX else _NonFinite(text)


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_int=_parse_int, parse_constant=_NonFinite)
_TOO_LARGE = "this number is too large for a 64-bit float (the largest is about ±1.8e308)"


def check_values(data: Any, parsed: bool = False) -> None:
    """Refuse NaN/Infinity/huge numbers (naming their path) and nesting deeper than MAX_DEPTH.

    ``parsed``: ``data`` comes from the parser, where an infinite float can only be a literal too large
    for a float64 (``1e999``); in a document built in memory it is a true infinity.
    """
    if isinstance(data, _NonFinite):
        raise FormatError(data.problem())
    if isinstance(data, float) and data - data != 0.0:
        raise FormatError(f"{data} is not a finite number")
    if not isinstance(data, (list, dict)):
        return
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormatError(f"nested more than {MAX_DEPTH} levels deep", path)
        is_dict = isinstance(value, dict)
        for key, item in value.items() if is_dict else enumerate(value):
            kind = type(item)
            if kind is float:
                if item - item == 0.0:  # finite (inf − inf and NaN − NaN are NaN)
                    continue
                where = join(path, str(key)) if is_dict else index(path, key)
                if item != item:
                    raise FormatError("NaN is not a number JSON allows", where)
                if parsed:
                    raise FormatError(_TOO_LARGE, where)
                raise FormatError(f"{'-' if item < 0 else ''}Infinity is not a number JSON allows", where)
            if kind is list or kind is dict or kind is _NonFinite:
                where = join(path, str(key)) if is_dict else index(path, key)
                if kind is _NonFinite:
                    raise FormatError(item.problem(), where)
                stack.append((item, where, depth + 1))


def parse_json(raw: bytes | str, what: str = "file") -> Any:
    """Parse JSON text strictly (see the module docstring); raise FormatError on anything else."""
    if isinstance(raw, bytes):
        if not raw.strip():
            raise FormatError("the file is empty")
        article = "an" if what[:1].lower() in "aeiou" else "a"
        if b"\x00" in raw[:4096]:
            raise FormatError(f"not a text file (is it {article} {what}?)")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError(f"not a text file in UTF-8 (is it {article} {what}?)") from None
    else:
        text = raw[1:] if raw.startswith("\ufeff") else raw
    if not text.strip():
        raise FormatError("the file is empty")
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except _DuplicateKey as exc:
        raise FormatError(
            f"not valid JSON for bpstudio: the key {exc.args[0]!r} appears twice in one object"
        ) from None
    except RecursionError:
        raise FormatError(f"nested too deeply to be a {what}") from None
    except (ValueError, OverflowError) as exc:  # a number the hooks could not convert
        raise FormatError(f"not valid JSON ({exc})") from None
    check_values(data, parsed=True)
    return data


def read_json(path: str | os.PathLike[str], what: str = "file", max_bytes: int | None = None) -> Any:
    """Parse a JSON file, refusing oversized (before reading), non-regular, binary or malformed files."""
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    p = Path(path)
    source = str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise FormatError("no such file", source=source) from None
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror or exc})", source=source) from None
    except ValueError:  # a NUL character in the name
        where = source.replace("\0", "\\0")
        raise FormatError("a file name cannot contain a NUL character", source=where) from None
    if stat.S_ISDIR(st.st_mode):
        raise FormatError(f"is a folder, not a {what}", source=source)
    if not stat.S_ISREG(st.st_mode):
        raise FormatError(f"is not a regular file, so not a {what}", source=source)
    if st.st_size > limit:
        raise FormatError(
            f"{_mb(st.st_size)} is larger than the {_mb(limit)} limit for a {what}; not read", source=source
        )
    try:
        with open(p, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror or exc})", source=source) from None
    if len(raw) > limit:  # grew since stat, or a file system that reports no size
        raise FormatError(f"larger than the {_mb(limit)} limit for a {what}; not read", source=source)
    try:
        return parse_json(raw, what)
    except FormatError as exc:
        raise exc.with_source(source) from None


# ---------------------------------------------------------------------------------------------- writing
_SCALARS = (str, int, float, bool, type(None), np.generic)


def _scalar(value: Any, path: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, np.generic):
        value = value.item()
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError(
                f"{value} cannot be saved: JSON has no NaN or infinity (did training diverge?)", path
            )
        return float.__repr__(value)
    raise FormatError(f"cannot save a value of type {type(value).__name__}", path)


def _encode(value: Any, path: str, depth: int, out: list[str]) -> None:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise FormatError(f"nested more than {MAX_DEPTH} levels deep: cannot be saved", path)
        if not value:
            out.append("[]")
        elif set(map(type, value)) <= {float, int} and all(map(math.isfinite, value)):
            out.append("[" + ", ".join(map(repr, value)) + "]")  # the common case: a row of numbers
        elif all(isinstance(v, _SCALARS) for v in value):
            out.append("[" + ", ".join(_scalar(v, index(path, i)) for i, v in enumerate(value)) + "]")
        else:
            pad = "\n" + "  " * (depth + 1)
            out.append("[")
            for i, v in enumerate(value):
                out.append(pad)
                _encode(v, index(path, i), depth + 1, out)
                if i < len(value) - 1:
                    out.append(",")
            out.append("\n" + "  " * depth + "]")
    elif isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise FormatError(f"nested more than {MAX_DEPTH} levels deep: cannot be saved", path)
        if not value:
            out.append("{}")
            return
        pad = "\n" + "  " * (depth + 1)
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if not isinstance(k, str):
                raise FormatError(f"cannot save the key {describe(k)}: keys must be text", path)
            out.append(pad + json.dumps(k, ensure_ascii=False) + ": ")
            _encode(v, join(path, k), depth + 1, out)
            if i < len(value) - 1:
                out.append(",")
        out.append("\n" + "  " * depth + "}")
    else:
        out.append(_scalar(value, path))


def dumps(data: Any) -> str:
    """JSON text: objects one member per line, lists of numbers on one line (a weight row per line).

    Floats are written with ``repr`` so they read back bit-identical; NaN, infinity and values that are
    not JSON are refused with a FormatError naming the field.
    """
    out: list[str] = []
    _encode(data, "", 0, out)
    out.append("\n")
    return "".join(out)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _open_temp(folder: Path, name: str) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp  # the umask applies, as for any new file
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {folder}")


#: a temporary file of ours (``.NAME.1a2b3c4d.tmp``) untouched this long was left by a save that was
#: killed; the next save into its folder removes it (a save in progress writes, so it is never older)
STALE_TEMP_SECONDS = 120
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{8}\.tmp")


#: names Windows reserves for devices, with any extension (CON.txt is the console too)
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def portable_stem(text: str, default: str = "untitled", max_length: int = 80) -> str:
    """A file name stem made from ``text`` that every system accepts: letters, digits, ``-`` and ``_``
    (anything else, e.g. ``:`` ``,`` ``/`` or a space, becomes one ``-``), lower case, at most
    ``max_length`` characters, never a name Windows reserves (``con``, ``aux``, ``com1`` …).
    ``portable_stem("XOR 2-2-1: Ann, Bob")`` is ``"xor-2-2-1-ann-bob"``."""
    out: list[str] = []
    for ch in text.lower():
        ok = (ch.isascii() and ch.isalnum()) or ch in "_" or (ch.isalpha() and ch.isprintable())
        if ok:
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    stem = "".join(out)[:max_length].strip("-_")
    if not stem:
        return default
    return f"{stem}-file" if stem in _RESERVED else stem


def clean_stale_temps(folder: Path, name: str, now: float | None = None) -> list[Path]:
    """Remove the temporary files that killed saves left in ``folder``: ours for ``name``, or for any
    ``.json`` file (every bpstudio format is JSON), untouched for :data:`STALE_TEMP_SECONDS`.
    Returns what was removed; a file that cannot be removed is left alone."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_NAME.fullmatch(entry.name)
        if m is None or not (m["name"] == name or m["name"].endswith(".json")):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime >= STALE_TEMP_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def write_bytes_atomic(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write ``payload`` to a temporary file beside ``path``, fsync it, and rename it over ``path``.

    On any failure the temporary file is removed and ``path`` is left as it was; OS errors become a
    :class:`FileSaveError` (a FormatError that is also an OSError) saying so. A symbolic link is
    followed: the file it points to is replaced.
    """
    target = Path(path)
    source = str(target)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None
    existed = mode is not None
    try:
        fd, tmp = _open_temp(target.parent, target.name)
        try:
            try:
                _write_all(fd, payload)
                os.fsync(fd)
            finally:
                os.close(fd)
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        kept = "the existing file was not changed" if existed else "nothing was written"
        raise FileSaveError(f"cannot save ({exc.strerror or exc}); {kept}", source, exc) from exc
    _fsync_folder(target.parent)
    clean_stale_temps(target.parent, target.name)


def encode_json(data: Any, max_bytes: int | None = None) -> bytes:
    """UTF-8 JSON text of ``data`` (see :func:`dumps`), refused if longer than ``max_bytes``."""
    payload = dumps(data).encode("utf-8")
    if max_bytes is not None and len(payload) > max_bytes:
        raise FormatError(
            f"the file would be {_mb(len(payload))}, more than the {_mb(max_bytes)} limit, "
            "so it could not be opened again"
        )
    return payload


def write_json_atomic(path: str | os.PathLike[str], data: Any, max_bytes: int | None = None) -> None:
    """Serialise ``data`` with :func:`dumps` and write it atomically (see :func:`write_bytes_atomic`).

    Nothing is written if the data cannot be serialised or the text would exceed ``max_bytes``.
    """
    try:
        payload = encode_json(data, max_bytes)
    except FormatError as exc:
        raise FormatError(f"not saved: {exc.problem}", exc.field, str(path)) from None
    write_bytes_atomic(path, payload)
