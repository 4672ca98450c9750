"""Versioned document formats: a registry of format name → (current version, migrations, schema, rules).

Every bpstudio document is a JSON object with ``"format"`` (e.g. ``"bpstudio-project"``) and
``"version"`` (a whole number). Reading one (:meth:`FileFormat.decode`) goes:

1. the top level must be an object whose ``format`` is this format's name;
2. ``version`` older than the current one: apply the registered migration of each step in turn
   (v1 → v2 → … → current); newer than the current one: refused ("made by a newer bpstudio");
3. validate against the format's JSON Schema (``resources/schema/<schema>``);
4. run the format's shape rules (``check``), which name the field at fault.

A new format registers itself with :func:`register_format` and its migrations with
:meth:`FileFormat.migration`; :func:`load_document` and :func:`save_document` then read and write it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import FormatError, describe
from .io import MAX_FILE_BYTES, check_values, encode_json, parse_json, read_json, write_bytes_atomic
from .schema import Schema, load_schema

Document = dict[str, Any]
Migration = Callable[[Document], Document]


@dataclass
class FileFormat:
    """One document format and everything needed to read old versions of it."""

    #: the value of the ``format`` field, e.g. ``"bpstudio-project"``
    name: str
    #: the version this bpstudio writes (and the newest it reads)
    version: int
    #: file name of the JSON Schema of the current version in ``resources/schema/`` (or the schema itself)
    schema_file: str | Mapping[str, Any]
    #: what a user calls such a file, for messages ("project file")
    what: str
    #: from-version n → function turning a version-n document into a version-(n + 1) one
    migrations: dict[int, Migration] = field(default_factory=dict)
    #: shape rules run on a schema-valid current-version document; raise FormatError
    check: Callable[[Document], None] | None = None
    #: files larger than this are refused before parsing, and never written
    max_bytes: int = MAX_FILE_BYTES
    _schema: Schema | None = field(default=None, init=False, repr=False, compare=False)

    def migration(self, from_version: int) -> Callable[[Migration], Migration]:
        """Decorator registering the step from ``from_version`` to ``from_version + 1``."""

        def register(fn: Migration) -> Migration:
            if from_version in self.migrations:
                raise ValueError(f"{self.name}: a migration from version {from_version} exists already")
            if not 1 <= from_version < self.version:
                raise ValueError(f"{self.name}: no step from version {from_version} to a newer one")
            self.migrations[from_version] = fn
            return fn

        return register

    def missing_migrations(self) -> list[int]:
        """Versions 1 … current−1 without a registered step (must be empty)."""
        return [v for v in range(1, self.version) if v not in self.migrations]

    @property
    def schema(self) -> Schema:
        if isinstance(self.schema_file, str):
            return load_schema(self.schema_file)
        if self._schema is None:
            self._schema = Schema(self.schema_file)
        return self._schema

    # ------------------------------------------------------------------ reading
    def check_header(self, data: Any) -> int:
        """The document's version, after checking it is an object of this format."""
        if not isinstance(data, dict):
            raise FormatError(f"expected a JSON object at the top level, got {describe(data)}")
        fmt = data.get("format")
        if fmt != self.name:
            if fmt is None:
                raise FormatError(f'not a bpstudio {self.what} (it has no "format" field)')
            other = FORMATS.get(fmt) if isinstance(fmt, str) else None
            if other is not None:
                raise FormatError(f"this is a bpstudio {other.what}, not a {self.what}")
            raise FormatError(f"expected {self.name!r}, got {describe(fmt)}", "format")
        version = data.get("version")
        if version is None:
            raise FormatError("missing", "version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise FormatError(f"expected a whole number ≥ 1, got {describe(version)}", "version")
        if version > self.version:
            made_by = data.get("created_with")
            by = f"; the file says it was written by {made_by[:60]}" if isinstance(made_by, str) else ""
            raise FormatError(
                f"made by a newer bpstudio (format version {version}); this one reads up to {self.version}"
                f"{by}. Update bpstudio to open it."
            )
        return version

    def upgrade(self, data: Document) -> Document:
        """A copy of ``data`` migrated step by step to the current version (``data`` is not changed)."""
        version = self.check_header(data)
        doc = data
        while version < self.version:
            step = self.migrations.get(version)
            if step is None:  # register_format refuses such a format, so only a broken registry gets here
                raise FormatError(f"no way to read format version {version} (missing migration)")
            try:
                doc = step(copy.deepcopy(doc))
            except FormatError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                raise FormatError(
                    f"cannot upgrade from format version {version}: the file is malformed ({exc})"
                ) from None
            version += 1
            doc["version"] = version
        return doc

    def validate(self, doc: Document) -> None:
        """Schema, then shape rules, on a current-version document; FormatError names the field."""
        self.schema.validate(doc)
        if self.check is not None:
            self.check(doc)

    def decode(self, data: Any, parsed: bool = False) -> Document:
        """A validated current-version document from JSON data of any known version.

        ``parsed``: the data came from :func:`parse_json`, which has checked numbers and nesting already.
        """
        if not parsed:
            check_values(data)
        doc = self.upgrade(data)
        self.validate(doc)
        return doc


FORMATS: dict[str, FileFormat] = {}


def register_format(fmt: FileFormat) -> FileFormat:
    """Add a format to the registry; every step from version 1 to the current one must be registered."""
    if fmt.name in FORMATS and FORMATS[fmt.name] is not fmt:
        raise ValueError(f"format {fmt.name!r} registered twice")
    missing = fmt.missing_migrations()
    if missing:
        raise ValueError(f"{fmt.name}: no migration from version(s) {missing}")
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> FileFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown document format {name!r}") from None


def load_document(path: str | os.PathLike[str], fmt: FileFormat | str) -> Document:
    """Read, migrate and validate a document file; every problem is a FormatError naming the file."""
    f = get_format(fmt) if isinstance(fmt, str) else fmt
    data = read_json(path, f.what, max_bytes=f.max_bytes)
    try:
        return f.decode(data, parsed=True)
    except FormatError as exc:
        raise exc.with_source(str(path)) from None


def save_document(
    path: str | os.PathLike[str], doc: Document, fmt: FileFormat | str, reparse: bool = True
) -> None:
    """Write a current-version document atomically, after checking it would load again.

    The document is serialised (NaN, infinity and non-JSON values are refused with the field named),
    parsed back and validated exactly as :func:`load_document` would; nothing is written on error.
    ``reparse`` False validates the document itself instead of the parsed text: the same values, since
    the encoder writes only JSON's, and a thread that writes in the background does not hold up the
    others (parsing a large text holds Python's interpreter lock for its whole length).
    """
    f = get_format(fmt) if isinstance(fmt, str) else fmt
    source = str(path)
    try:
        payload = encode_json(doc, max_bytes=f.max_bytes)
        if reparse:
            f.decode(parse_json(payload, f.what), parsed=True)
        else:
            f.decode(doc)
    except FormatError as exc:
        raise FormatError(f"not saved: {exc.problem}", exc.field, source) from None
    write_bytes_atomic(path, payload)
