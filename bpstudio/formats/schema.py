"""A small JSON Schema (draft 2020-12) validator for the subset bpstudio's schemas use.

Runtime dependencies are only NumPy, PySide6 and pyqtgraph, so the schemas in ``resources/schema/``
are checked by this module. Supported keywords: ``type``, ``properties``, ``required``,
``additionalProperties``, ``items``, ``prefixItems``, ``enum``, ``const``, ``minimum``, ``maximum``,
``exclusiveMinimum``, ``exclusiveMaximum``, ``minItems``, ``maxItems``, ``oneOf``, ``anyOf`` and
``$ref`` to ``#/...`` JSON pointers (``#/$defs/name``); annotations (``title``, ``description``,
``$comment``, ``$schema``, ``$id``, ``default``, ``examples``) are ignored. A schema using any other
keyword is refused when loaded, so a keyword can never be silently skipped. The tests check that this
validator and the ``jsonschema`` package agree on valid and invalid documents.

Validation stops at the first problem and raises :class:`FormatError` naming the field, e.g.
``network.activations[2]: unknown activation 'foo'; choose one of: identity, sigmoid, ...``; an enum
is named by the ``title`` of the schema that holds it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from .errors import FormatError, describe, index, join

Failure = tuple[str, str]  # (field path, problem)

KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
        "oneOf",
        "anyOf",
        "$ref",
        "$defs",
    }
)
ANNOTATIONS = frozenset({"title", "description", "$comment", "$schema", "$id", "default", "examples"})
TYPES = {
    "null": "null",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "array": "a list",
    "object": "an object",
}


class SchemaDefinitionError(ValueError):
    """The schema itself uses something this validator does not support (a programming error)."""


# ---------------------------------------------------------------------------------------------- helpers
def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _type_ok(x: Any, t: str) -> bool:
    if t == "number":
        return _is_number(x)
    if t == "integer":
        return (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer())
    if t == "string":
        return isinstance(x, str)
    if t == "object":
        return isinstance(x, dict)
    if t == "array":
        return isinstance(x, list)
    if t == "boolean":
        return isinstance(x, bool)
    return x is None  # "null"


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema defines it: 1 == 1.0, but true ≠ 1; lists and objects member-wise."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _list_words(words: list[str], last: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def _num(x: float) -> str:
    return repr(int(x)) if isinstance(x, float) and x.is_integer() and abs(x) < 1e15 else repr(x)


# ---------------------------------------------------------------------------------------------- schema
class Schema:
    """A loaded schema: ``validate(doc)`` raises FormatError at the first problem; ``is_valid(doc)``."""

    def __init__(self, schema: Mapping[str, Any] | bool) -> None:
        self.root = schema
        _check_definition(schema, schema, "#")
        self._fast: dict[int, Any] = {}

    # -- public
    def validate(self, instance: Any, path: str = "", ref: str | None = None) -> None:
        """Raise FormatError naming the first field that breaks the schema (or the ``ref`` definition)."""
        failure = self._check(instance, self.root if ref is None else self.resolve(ref), path)
        if failure is not None:
            raise FormatError(failure[1], failure[0])

    def is_valid(self, instance: Any, ref: str | None = None) -> bool:
        return self._check(instance, self.root if ref is None else self.resolve(ref), "") is None

    def resolve(self, ref: str) -> Any:
        return _resolve(self.root, ref)

    # -- the checks
    def _check(self, x: Any, s: Any, path: str) -> Failure | None:
        if s is True:
            return None
        if s is False:
            return (path, "not allowed here")
        ref = s.get("$ref")
        if ref is not None:
            failure = self._check(x, self.resolve(ref), path)
            if failure is not None:
                return failure
        t = s.get("type")
        if t is not None:
            kinds = [t] if isinstance(t, str) else t
            if not any(_type_ok(x, k) for k in kinds):
                want = _list_words([TYPES[k] for k in kinds])
                return (path, f"expected {want}, got {describe(x)}")
        if "const" in s and not json_equal(x, s["const"]):
            return (path, f"expected {json.dumps(s['const'], ensure_ascii=False)}, got {describe(x)}")
        if "enum" in s and not any(json_equal(x, e) for e in s["enum"]):
            return (path, self._enum_problem(x, s))
        if _is_number(x):
            failure = self._check_number(x, s, path)
            if failure is not None:
                return failure
        elif isinstance(x, list):
            failure = self._check_array(x, s, path)
            if failure is not None:
                return failure
        elif isinstance(x, dict):
            failure = self._check_object(x, s, path)
            if failure is not None:
                return failure
        if "anyOf" in s:
            failure = self._check_any_of(x, s["anyOf"], path)
            if failure is not None:
                return failure
        if "oneOf" in s:
            failure = self._check_one_of(x, s["oneOf"], path)
            if failure is not None:
                return failure
        return None

    def _enum_problem(self, x: Any, s: Mapping[str, Any]) -> str:
        choices = ", ".join(e if isinstance(e, str) else json.dumps(e) for e in s["enum"])
        shown = repr(x) if isinstance(x, str) and len(x) <= 40 else describe(x)
        title = s.get("title")
        if title:
            return f"unknown {title} {shown}; choose one of: {choices}"
        return f"expected one of: {choices}; got {shown}"

    @staticmethod
    def _check_number(x: float, s: Mapping[str, Any], path: str) -> Failure | None:
        if "minimum" in s and x < s["minimum"]:
            return (path, f"must be ≥ {_num(s['minimum'])}")
        if "exclusiveMinimum" in s and x <= s["exclusiveMinimum"]:
            return (path, f"must be > {_num(s['exclusiveMinimum'])}")
        if "maximum" in s and x > s["maximum"]:
            return (path, f"must be ≤ {_num(s['maximum'])}")
        if "exclusiveMaximum" in s and x >= s["exclusiveMaximum"]:
            return (path, f"must be < {_num(s['exclusiveMaximum'])}")
        return None

    def _check_array(self, x: list[Any], s: Mapping[str, Any], path: str) -> Failure | None:
        n = len(x)
        if "minItems" in s and n < s["minItems"]:
            return (path, f"expected at least {s['minItems']} entries, got {n}")
        if "maxItems" in s and n > s["maxItems"]:
            return (path, f"expected at most {s['maxItems']} entries, got {n}")
        prefix = s.get("prefixItems", ())
        for i, (item, sub) in enumerate(zip(x, prefix)):
            failure = self._check(item, sub, index(path, i))
            if failure is not None:
                return failure
        items = s.get("items")
        if items is not None and items is not True:
            if not prefix and self._all_fit(x, items):
                return None
            for i in range(len(prefix), n):
                failure = self._check(x[i], items, index(path, i))
                if failure is not None:
                    return failure
        return None

    def _all_fit(self, x: list[Any], items: Any) -> bool:
        """A fast, exact "every entry is valid" for lists of plain numbers/booleans (weight rows).

        Only says True when each entry certainly matches ``items``; otherwise the caller checks entry
        by entry (which also finds the message).
        """
        key = id(items)
        plan = self._fast.get(key, False)
        if plan is False:
            target = items
            if isinstance(items, dict) and "$ref" in items:  # only a bare reference may be followed
                target = self.resolve(items["$ref"]) if set(items) - ANNOTATIONS == {"$ref"} else None
            plan = self._fast[key] = _fast_plan(target)
        if plan is None:
            return False
        allowed, lo, hi = plan
        types = set(map(type, x))
        if not types <= allowed:
            return False
        if (lo is not None or hi is not None) and x:
            nums = [v for v in x if v is not None] if type(None) in types else x
            if nums and ((lo is not None and min(nums) < lo) or (hi is not None and max(nums) > hi)):
                return False
        return True

    def _check_object(self, x: dict[str, Any], s: Mapping[str, Any], path: str) -> Failure | None:
        props: Mapping[str, Any] = s.get("properties", {})
        extra = s.get("additionalProperties", True)
        unknown = [k for k in x if k not in props] if extra is not True else []
        for key in s.get("required", ()):
            if key not in x:
                close = difflib.get_close_matches(key, unknown, n=1)
                hint = f" (is {close[0]!r} a misspelling of it?)" if close else ""
                return (join(path, key), "missing" + hint)
        for key, sub in props.items():
            if key in x:
                failure = self._check(x[key], sub, join(path, key))
                if failure is not None:
                    return failure
        if extra is False and unknown:
            known = ", ".join(props)
            return (join(path, unknown[0]), f"unknown field; the fields here are: {known}")
        if extra is not True:
            for key in unknown:
                failure = self._check(x[key], extra, join(path, key))
                if failure is not None:
                    return failure
        return None

    def _required_only(self, branches: list[Any]) -> list[str] | None:
        """The key of each branch when every branch is just ``{"required": [key]}``, else None."""
        keys = []
        for b in branches:
            if not (isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1):
                return None
            keys.append(b["required"][0])
        return keys

    def _no_branch(self, x: Any, branches: list[Any], path: str, failures: list[Failure]) -> Failure:
        keys = self._required_only(branches)
        if keys is not None:
            return (path, "needs one of " + _list_words([repr(k) for k in keys]))
        # the one branch whose type fits gives the most useful message
        fitting = []
        for b, f in zip(branches, failures):
            sb = self.resolve(b["$ref"]) if isinstance(b, dict) and "$ref" in b else b
            t = sb.get("type") if isinstance(sb, dict) else None
            kinds = [t] if isinstance(t, str) else (t or [])
            if kinds and any(_type_ok(x, k) for k in kinds):
                fitting.append(f)
        if len(fitting) == 1:
            return fitting[0]
        wants = []
        for b in branches:
            sb = self.resolve(b["$ref"]) if isinstance(b, dict) and "$ref" in b else b
            if isinstance(sb, dict) and isinstance(sb.get("type"), str):
                wants.append(TYPES[sb["type"]])
            elif isinstance(sb, dict) and sb.get("title"):
                wants.append(str(sb["title"]))
        wants = list(dict.fromkeys(wants))
        if wants and len(wants) == len(branches):
            return (path, f"expected {_list_words(wants)}, got {describe(x)}")
        return failures[0] if len(set(failures)) == 1 else (path, "does not match any of the allowed forms")

    def _check_any_of(self, x: Any, branches: list[Any], path: str) -> Failure | None:
        failures = []
        for b in branches:
            failure = self._check(x, b, path)
            if failure is None:
                return None
            failures.append(failure)
        return self._no_branch(x, branches, path, failures)

    def _check_one_of(self, x: Any, branches: list[Any], path: str) -> Failure | None:
        failures: list[Failure] = []
        matched: list[int] = []
        for i, b in enumerate(branches):
            failure = self._check(x, b, path)
            if failure is None:
                matched.append(i)
            else:
                failures.append(failure)
        if len(matched) == 1:
            return None
        if not matched:
            return self._no_branch(x, branches, path, failures)
        keys = self._required_only(branches)
        if keys is not None:
            both = _list_words([repr(keys[i]) for i in matched], "and")
            return (path, f"has {both}; keep exactly one")
        return (path, "matches more than one of the allowed forms")


def _fast_plan(s: Any) -> tuple[frozenset[type], float | None, float | None] | None:
    """(allowed Python types, minimum, maximum) when ``s`` is a plain scalar schema, else None."""
    if not isinstance(s, dict) or set(s) - {"type", "minimum", "maximum"} - ANNOTATIONS:
        return None
    t = s.get("type")
    kinds = [t] if isinstance(t, str) else t
    if not kinds:
        return None
    py: dict[str, set[type]] = {
        "number": {int, float},
        "integer": {int},
        "boolean": {bool},
        "null": {type(None)},
        "string": {str},
    }
    allowed: set[type] = set()
    for k in kinds:
        if k not in py:
            return None
        allowed |= py[k]
    if (s.get("minimum") is not None or s.get("maximum") is not None) and str in allowed:
        return None
    return frozenset(allowed), s.get("minimum"), s.get("maximum")


# ---------------------------------------------------------------------------------------------- loading
def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        raise SchemaDefinitionError(f"only local references (#/...) are supported, not {ref!r}")
    node = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise SchemaDefinitionError(f"reference {ref!r} does not resolve") from None
    return node


def _check_definition(root: Any, s: Any, where: str) -> None:
    """Refuse keywords outside the supported subset, malformed keyword values and dangling $refs."""
    if isinstance(s, bool):
        return
    if not isinstance(s, dict):
        raise SchemaDefinitionError(f"{where}: a schema must be an object or a boolean")
    unsupported = sorted(set(s) - KEYWORDS - ANNOTATIONS)
    if unsupported:
        raise SchemaDefinitionError(f"{where}: unsupported keyword(s): {', '.join(unsupported)}")
    if "$ref" in s:
        _resolve(root, s["$ref"])
    t = s.get("type")
    if t is not None:
        kinds = [t] if isinstance(t, str) else t
        if not isinstance(kinds, list) or not kinds or any(k not in TYPES for k in kinds):
            raise SchemaDefinitionError(f"{where}: bad type {t!r}")
    if "required" in s and not (
        isinstance(s["required"], list) and all(isinstance(k, str) for k in s["required"])
    ):
        raise SchemaDefinitionError(f"{where}: required must be a list of names")
    if "enum" in s and not isinstance(s["enum"], list):
        raise SchemaDefinitionError(f"{where}: enum must be a list")
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in s and not _is_number(s[key]):
            raise SchemaDefinitionError(f"{where}: {key} must be a number")
    for key in ("minItems", "maxItems"):
        if key in s and not (isinstance(s[key], int) and not isinstance(s[key], bool) and s[key] >= 0):
            raise SchemaDefinitionError(f"{where}: {key} must be a whole number ≥ 0")
    for key in ("properties", "$defs"):
        if key in s:
            if not isinstance(s[key], dict):
                raise SchemaDefinitionError(f"{where}: {key} must be an object")
            for name, sub in s[key].items():
                _check_definition(root, sub, f"{where}/{key}/{name}")
    for key in ("items", "additionalProperties"):
        if key in s:
            _check_definition(root, s[key], f"{where}/{key}")
    for key in ("prefixItems", "oneOf", "anyOf"):
        if key in s:
            if not isinstance(s[key], list) or (key != "prefixItems" and not s[key]):
                raise SchemaDefinitionError(f"{where}: {key} must be a non-empty list of schemas")
            for i, sub in enumerate(s[key]):
                _check_definition(root, sub, f"{where}/{key}/{i}")


@cache
def load_schema(filename: str) -> Schema:
    """The schema ``resources/schema/<filename>``, loaded once."""
    from .. import resource_path

    with open(resource_path("schema", filename), encoding="utf-8") as fh:
        return Schema(json.load(fh))
