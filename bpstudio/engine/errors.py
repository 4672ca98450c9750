"""Errors raised by the engine. Each carries a message meant for a student, not a developer."""

from __future__ import annotations


class EngineError(ValueError):
    """Base class: a request the engine cannot carry out (bad shape, unknown name, ...)."""


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
