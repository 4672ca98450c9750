"""FormatError and the path-style field names its messages use (``network.weights[1]``)."""

from __future__ import annotations

import re

from ..engine import EngineError
from ..engine.errors import brief

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class FormatError(EngineError):
    """A file or document that cannot be read as what it claims to be.

    The message is ``"<source>: <field>: <problem>"`` (source and field when known), e.g.
    ``xor.bps.json: network.weights[1]: expected 3×4, got 3×5``. The parts are kept as attributes so a
    dialog can show them separately.
    """

    def __init__(self, problem: str, field: str = "", source: str = "") -> None:
        self.problem = brief(problem)
        self.field = brief(field, 120)
        self.source = source
        super().__init__(": ".join(p for p in (source, self.field, self.problem) if p))

    def with_source(self, source: str) -> FormatError:
        """The same error, naming the file it came from (unless it already names one)."""
        if self.source or not source:
            return self
        err = FormatError(self.problem, self.field, source)
        err.__cause__ = self.__cause__
        return err


class FileSaveError(FormatError, OSError):
    """Saving failed in the operating system (disk full, permission denied, ...); no file was changed.

    Both a FormatError (so handlers of EngineError show it) and an OSError carrying ``errno``,
    ``strerror`` and ``filename`` of the underlying error (so handlers of OSError keep working).
    """

    def __init__(self, problem: str, source: str, cause: OSError) -> None:
        FormatError.__init__(self, problem, "", source)
        self.errno = cause.errno
        self.strerror = cause.strerror
        self.filename = source

    def __str__(self) -> str:
        return str(self.args[0])


def join(path: str, key: str) -> str:
    """The path of member ``key`` of the object at ``path``: ``network`` + ``sizes`` → ``network.sizes``."""
    part = key if _IDENTIFIER.fullmatch(key) else "[" + _quote(key) + "]"
    if not path:
        return part
    return path + part if part.startswith("[") else f"{path}.{part}"


def index(path: str, i: int) -> str:
    """The path of entry ``i`` of the list at ``path``: ``network.weights`` + 1 → ``network.weights[1]``."""
    return f"{path}[{i}]"


def _quote(key: str) -> str:
    """A member name as a message quotes it: at most 40 characters, backslashes, quotes and control
    characters (a newline, say) escaped, so that a message stays on one line."""
    short = key if len(key) <= 40 else key[:37] + "..."
    escaped = short.replace("\\", "\\\\").replace('"', '\\"')
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", escaped)
    return '"' + escaped + '"'


def describe(value: object) -> str:
    """A short, human description of a JSON value for error messages: ``the text 'abc'``, ``a list``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        text = repr(value)
        return text if len(text) <= 24 else text[:21] + "..."
    if isinstance(value, str):
        short = value if len(value) <= 30 else value[:27] + "..."
        return f"the text {short!r}"
    if isinstance(value, list):
        n = len(value)
        return "an empty list" if not n else f"a list of {n} {'entry' if n == 1 else 'entries'}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
