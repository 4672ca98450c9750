"""Reading and writing project and weights files: size-limited, validated, atomic."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..engine import EngineError, Network
from .project import Project, project_from_dict, project_to_dict, weights_from_dict, weights_to_dict

#: files larger than this are refused before parsing
MAX_FILE_BYTES = 256 * 1024 * 1024


class FormatError(EngineError):
    """A file that cannot be read as what it claims to be; the message names the field at fault."""


def read_json(path: str | os.PathLike, what: str = "file") -> Any:
    """Parse a JSON file, refusing oversized, binary or malformed files with a clear message."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise FormatError(f"{p}: no such file") from None
    except OSError as exc:
        raise FormatError(f"{p}: cannot read ({exc.strerror})") from None
    if p.is_dir():
        raise FormatError(f"{p}: is a folder, not a {what}")
    if size > MAX_FILE_BYTES:
        raise FormatError(
            f"{p}: {size:,} bytes is larger than the {MAX_FILE_BYTES:,}-byte limit for a {what}"
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"{p}: cannot read ({exc.strerror})") from None
    if not raw.strip():
        raise FormatError(f"{p}: the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{p}: not a text file (is it a {what}?)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise FormatError(f"{p}: nested too deeply to be a {what}") from None


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    """Write JSON to a temporary file in the same folder, flush, fsync, then rename over ``path``.

    A crash or error mid-save never leaves a truncated file, and an existing file survives a failed save.
    """
    p = Path(path)
    text = json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False)
    try:
        mode = p.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=str(p.parent or "."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _check_format(data: Any, fmt: str, path: Path) -> None:
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a JSON object at the top level")
    if data.get("format") != fmt:
        raise FormatError(f"{path}: format: expected {fmt!r}, got {data.get('format')!r}")


def load_project(path: str | os.PathLike) -> Project:
    p = Path(path)
    data = read_json(p, "project file")
    _check_format(data, "bpstudio-project", p)
    try:
        return project_from_dict(data)
    except EngineError as exc:
        raise FormatError(f"{p}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{p}: malformed project ({exc})") from None


def save_project(path: str | os.PathLike, project: Project) -> None:
    write_json_atomic(path, project_to_dict(project))


def load_weights(path: str | os.PathLike) -> Network:
    p = Path(path)
    data = read_json(p, "weights file")
    _check_format(data, "bpstudio-weights", p)
    try:
        return weights_from_dict(data)
    except EngineError as exc:
        raise FormatError(f"{p}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{p}: malformed weights file ({exc})") from None


def save_weights(path: str | os.PathLike, net: Network) -> None:
    write_json_atomic(path, weights_to_dict(net))
