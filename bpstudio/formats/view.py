"""A project's view options (``view`` in the project file): typed, validated when a file is opened.

| key | values | default | what it sets |
|---|---|---|---|
| ``notation`` | ``gradient``, ``error_signal`` | ``gradient`` | δ = ∂E/∂z, or Δ = −∂E/∂z |
| ``precision`` | whole number 0 … 12 | 3 | decimals on the canvas and in the inspector |
| ``bias_style`` | ``value``, ``node``, ``node_minus`` | ``value`` | b; a "+1" node (w₀); a "−1" node |
| ``labels`` | true, false | true | numbers on the canvas |
| ``names`` | ``index``, ``notes``, ``none`` | ``index`` | neuron names: 1, 2 …; x₁, a₁⁽²⁾ …; none |
| ``fill`` | ``activation``, ``delta`` | ``activation`` | what a neuron's colour shows |
| ``table_precision`` | whole number 0 … 12 | 4 | decimals in the δ/Δw table |
| ``walkthrough_layer_base`` | 0, 1 | 1 | the number of the input layer in the walkthrough |
| ``walkthrough_weight_index`` | ``source``, ``target`` | ``source`` | superscript: source or target layer |
| ``walkthrough_digits`` | whole number 2 … 10 | 4 | decimals in the walkthrough |
| ``neuron_numbering`` | ``layer``, ``global`` | ``layer`` | zⱼ⁽ˡ⁾ by layer, or z₅ through the network |
| ``letter_net`` | ``z``, ``in``, ``net``, ``s``, ``u`` | ``z`` | the net input's letter |
| ``letter_act`` | ``a``, ``o``, ``y``, ``z`` | ``a`` | the activation's (a neuron's output) letter |
| ``letter_target`` | ``t``, ``d``, ``y`` | ``t`` | the target's letter |
| ``letter_loss`` | ``E``, ``C``, ``L``, ``J`` | ``E`` | the loss's letter |
| ``letter_lr`` | ``η``, ``α`` | ``η`` | the learning rate's letter |
| ``letter_momentum`` | ``α``, ``β``, ``μ``, ``η`` | ``α`` | the momentum coefficient's letter |
| ``letter_signal`` | ``auto``, ``δ``, ``Δ`` | ``auto`` | the error signal (auto: by the convention) |

A key the file does not set takes the user's preference (the window fills it when it opens the
project) or the default above. A value that is not allowed is left out, with one note saying so
(:attr:`ViewOptions.notes`): a view option never stops a project from opening. Keys this version does
not know are kept as they are and saved again.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine import CONVENTIONS

__all__ = ["LETTERS", "VIEW_DEFAULTS", "VIEW_OPTIONS", "ViewOption", "ViewOptions"]

#: the letters a course may use for each role of the notation, the default first
LETTERS: dict[str, tuple[str, ...]] = {
    "net": ("z", "in", "net", "s", "u"),
    "act": ("a", "o", "y", "z"),
    "target": ("t", "d", "y"),
    "loss": ("E", "C", "L", "J"),
    "lr": ("η", "α"),
    "momentum": ("α", "β", "μ", "η"),
    "signal": ("auto", "δ", "Δ"),
}


@dataclass(frozen=True)
class ViewOption:
    """One key: its default and what it allows (``choices``, or whole numbers ``lo`` … ``hi``, or bool)."""

    key: str
    default: Any
    choices: tuple[Any, ...] = ()
    lo: int | None = None
    hi: int | None = None

    def check(self, value: Any) -> Any:
        """``value`` as stored, or ValueError saying what is allowed."""
        if isinstance(self.default, bool):
            if isinstance(value, bool):
                return value
            raise ValueError("true or false")
        if self.lo is not None and self.hi is not None:
            whole = isinstance(value, int) or (
                isinstance(value, float) and math.isfinite(value) and value == int(value)
            )
            if isinstance(value, bool) or not whole or not self.lo <= value <= self.hi:
                raise ValueError(f"a whole number from {self.lo} to {self.hi}")
            return int(value)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value in self.choices:
            return value
        raise ValueError("one of " + ", ".join(map(str, self.choices)))


#: every view option this version knows, in the order of the table above
VIEW_OPTIONS: dict[str, ViewOption] = {
    o.key: o
    for o in (
        ViewOption("notation", "gradient", tuple(CONVENTIONS)),
        ViewOption("precision", 3, lo=0, hi=12),
        ViewOption("bias_style", "value", ("value", "node", "node_minus")),
        ViewOption("labels", True),
        ViewOption("names", "index", ("index", "notes", "none")),
        ViewOption("fill", "activation", ("activation", "delta")),
        ViewOption("table_precision", 4, lo=0, hi=12),
        ViewOption("walkthrough_layer_base", 1, (0, 1)),
        ViewOption("walkthrough_weight_index", "source", ("source", "target")),
        ViewOption("walkthrough_digits", 4, lo=2, hi=10),
        ViewOption("neuron_numbering", "layer", ("layer", "global")),
        *(ViewOption(f"letter_{role}", choices[0], choices) for role, choices in LETTERS.items()),
    )
}
VIEW_DEFAULTS: dict[str, Any] = {k: o.default for k, o in VIEW_OPTIONS.items()}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


class ViewOptions(Mapping[str, Any]):
    """The view options a project sets (a read-only mapping of the keys it sets); typed accessors give
    the value or the default. Change them with :meth:`set`, which refuses values that are not allowed."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = {}
        #: what was left out when the options were read (see :meth:`parse`)
        self.notes: list[str] = []
        for key, value in (values or {}).items():
            self.set(key, value)

    @classmethod
    def parse(cls, data: Mapping[str, Any], path: str = "view") -> ViewOptions:
        """The options of a file: values that are not allowed are left out, each with a note."""
        out = cls()
        for key, value in data.items():
            try:
                out.set(str(key), value)
            except ValueError as exc:
                out.notes.append(f"{path}.{key}: {_short(value)} is not {exc}; the default is used")
        return out

    # ------------------------------------------------------------------ the mapping: the keys set
    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"ViewOptions({self._values!r})"

    def value(self, key: str) -> Any:
        """The value set, else the default (KeyError for a key this version does not know)."""
        return self._values.get(key, VIEW_OPTIONS[key].default)

    # ------------------------------------------------------------------ changes
    def set(self, key: str, value: Any) -> None:
        """Set ``key``; ValueError (saying what is allowed) if ``value`` is not allowed for it."""
        option = VIEW_OPTIONS.get(key)
        self._values[key] = value if option is None else option.check(value)

    def setdefault(self, key: str, value: Any) -> Any:
        if key not in self._values:
            self.set(key, value)
        return self._values[key]

    def copy(self) -> ViewOptions:
        out = ViewOptions()
        out._values = copy.deepcopy(self._values)
        return out

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._values)

    # ------------------------------------------------------------------ typed accessors
    @property
    def notation(self) -> str:
        return str(self.value("notation"))

    @property
    def precision(self) -> int:
        return int(self.value("precision"))

    @property
    def bias_style(self) -> str:
        return str(self.value("bias_style"))

    @property
    def labels(self) -> bool:
        return bool(self.value("labels"))

    @property
    def names(self) -> str:
        return str(self.value("names"))

    @property
    def fill(self) -> str:
        return str(self.value("fill"))

    @property
    def table_precision(self) -> int:
        return int(self.value("table_precision"))
