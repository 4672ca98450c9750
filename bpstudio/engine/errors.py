"""Errors raised by the engine. Each carries a message meant for a student, not a developer.

Messages stay short whatever the input: :data:`MAX_MESSAGE` characters at most (a longer one keeps
its start, which names the file and place, and its end, which says what is wrong), and text taken
from a file or typed by someone is quoted through :func:`excerpt`: escaped and cut short, so a
message never echoes a whole line of a file.
"""

from __future__ import annotations

from typing import Any

#: the longest message an error of bpstudio's carries
MAX_MESSAGE = 300
#: the longest excerpt of a file's contents (or of typed text) a message quotes
MAX_EXCERPT = 24


def excerpt(value: Any, limit: int = MAX_EXCERPT) -> str:
    """``repr(value)`` (quoted and escaped: no line breaks or control characters), at most ``limit``
    characters of it, the rest replaced by "…"."""
    text = repr(value)
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def brief(message: str, limit: int = MAX_MESSAGE) -> str:
    """``message`` if it has at most ``limit`` characters, else its first ⅗ and last ⅖ around " … "."""
    if len(message) <= limit:
        return message
    tail = (limit - 3) * 2 // 5
    head = limit - 3 - tail
    return message[:head] + " … " + message[len(message) - tail :]


class EngineError(ValueError):
    """Base class: a request the engine cannot carry out (bad shape, unknown name, ...). A message
    longer than :data:`MAX_MESSAGE` is shortened (:func:`brief`)."""

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (brief(args[0]),)
        super().__init__(*args)


class UnknownNameError(EngineError):
    """A name that is not in a registry (activation, loss, optimiser, initialiser)."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        super().__init__(f"unknown {kind} {name!r}; choose one of: {', '.join(known)}")
        self.kind = kind
        self.name = name
        self.known = known


class TrainingRefused(EngineError):
    """Training cannot proceed with this configuration (e.g. a step activation)."""


class DivergenceError(EngineError):
    """A step produced NaN or infinity; the weights were left at their last finite values."""
