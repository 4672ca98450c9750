"""A project's dataset specification (``dataset`` in the project file) as one typed, immutable record.

The file stores one JSON object of one of three kinds (see :mod:`bpstudio.data` for every option)::

    {"builtin": "moons", "params": {"n": 200, "noise": 0.1, "seed": 0}}
    {"inline": {"inputs": [[0, 0], ...], "targets": [[0], ...]}}
    {"file": "data/iris.csv", "format": "csv", "target": "species"}

each optionally with ``"preprocessing"``, ``"split"``, ``"name"`` and ``"description"``.
:class:`DatasetSpec` holds that object: it reads as a (read-only) mapping, so the data loaders take
it as they take a plain dict, and it has typed accessors for the parts the application reads. It is
changed only by making a new one (:meth:`DatasetSpec.replace`), so a spec handed to the Session can
never be patched behind its back. Whether the data it names exist and are valid is checked by
``bpstudio.data`` when they are loaded (a ``DataError`` naming the field at fault).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["COMMON_KEYS", "DATASET_KINDS", "DatasetSpec"]

#: the keys that say which kind of dataset a specification describes (exactly one is present)
DATASET_KINDS = ("builtin", "inline", "file")
#: the keys every kind may carry
COMMON_KEYS = ("preprocessing", "split", "name", "description")


class DatasetSpec(Mapping[str, Any]):
    """The dataset specification of a project: a read-only mapping of its JSON object.

    ``DatasetSpec({"builtin": "xor"})``; ``spec.kind == "builtin"``; ``spec.replace(split=None)``
    is the same data without a split. Values read through the mapping are copies.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        if values is None:
            values = {"builtin": "xor", "params": {}}
        if not isinstance(values, Mapping):
            raise TypeError('a dataset specification is an object such as {"builtin": "xor"}')
        self._values: dict[str, Any] = copy.deepcopy(dict(values))

    @classmethod
    def builtin_named(cls, name: str, params: Mapping[str, Any] | None = None) -> DatasetSpec:
        """``{"builtin": name, "params": params}``."""
        return cls({"builtin": name, "params": dict(params or {})})

    # ------------------------------------------------------------------ the mapping
    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DatasetSpec):
            return self._values == other._values
        if isinstance(other, Mapping):
            return self._values == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to dicts, which are not hashable

    def __repr__(self) -> str:
        return f"DatasetSpec({self._values!r})"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object as the project file stores it (a deep copy)."""
        return copy.deepcopy(self._values)

    # ------------------------------------------------------------------ typed accessors
    @property
    def kind(self) -> str | None:
        """``builtin``, ``inline`` or ``file``; None when the object names none or several."""
        kinds = [k for k in DATASET_KINDS if k in self._values]
        return kinds[0] if len(kinds) == 1 else None

    @property
    def builtin(self) -> str | None:
        """The built-in dataset's name (None for other kinds)."""
        value = self._values.get("builtin")
        return value if isinstance(value, str) else None

    @property
    def params(self) -> dict[str, Any]:
        """The built-in's parameters ({} when none are given)."""
        value = self._values.get("params")
        return copy.deepcopy(dict(value)) if isinstance(value, Mapping) else {}

    @property
    def file(self) -> str | None:
        """The data file's path as stored (relative to the project's folder, or absolute)."""
        value = self._values.get("file")
        return value if isinstance(value, str) else None

    @property
    def name(self) -> str:
        """The name given to the data ("" when none)."""
        value = self._values.get("name")
        return value if isinstance(value, str) else ""

    @property
    def preprocessing(self) -> dict[str, Any]:
        """The ``preprocessing`` object ({} when the data are not scaled)."""
        value = self._values.get("preprocessing")
        return copy.deepcopy(dict(value)) if isinstance(value, Mapping) else {}

    @property
    def split(self) -> dict[str, Any]:
        """The ``split`` object ({} when all samples are for training)."""
        value = self._values.get("split")
        return copy.deepcopy(dict(value)) if isinstance(value, Mapping) else {}

    @property
    def scaling(self) -> str:
        """The scaling chosen in ``preprocessing`` ("none" when none)."""
        value = self.preprocessing.get("scaling", "none")
        return value if isinstance(value, str) else "none"

    # ------------------------------------------------------------------ changes make a new spec
    def replace(self, **changes: Any) -> DatasetSpec:
        """A copy with the keys given set (a value of None removes the key).

        ``spec.replace(preprocessing={"scaling": "minmax01"}, split=None)``.
        """
        values = self.to_dict()
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = copy.deepcopy(value)
        return DatasetSpec(values)

    def merged(self, key: str, **entries: Any) -> DatasetSpec:
        """A copy whose object ``key`` (e.g. ``preprocessing``) has ``entries`` set on top of its own."""
        current = self._values.get(key)
        base = dict(current) if isinstance(current, Mapping) else {}
        return self.replace(**{key: base | entries})
