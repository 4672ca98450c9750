"""Exercise files (``*.bpx.json``): a teacher's hand-calculation task, and the step it is about.

An exercise holds a project (network, weights, training settings, dataset), the training samples of one
step, how far the step goes (``forward``, ``backward`` or ``update``), the notation, which quantities
the student must compute (selectors, see :mod:`bpstudio.teaching.model`), the marking tolerance, and
whether the student may change anything (``locked``). With a ``seed`` the weights are drawn afresh by
the project's initialiser and rounded to ``weight_decimals``, so a teacher can hand out variants.

The expected answers are never stored: they are the engine's trace of that step, computed on a copy of
the network whenever the exercise is opened.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .. import __version__
from ..engine import EngineError, Network, StepTrace, Trainer, get_activation, learning_rule
from ..formats import FileFormat, FormatError, Project, load_document, register_format, save_document
from ..formats.project import PROJECT, project_to_dict
from ..formats.project import project_from_dict as _project_from_dict
from .model import Line, Walkthrough, check_selector
from .notation import Notation
from .walkthrough import build_walkthrough

EXERCISE_FORMAT = "bpstudio-exercise"
EXERCISE_VERSION = 1
EXERCISE_SUFFIX = ".bpx.json"
STOP_AFTER = ("forward", "backward", "update")
#: the most questions the window asks at once (an exercise or a practice): each is a box, and a step
#: of a hidden layer of 4,096 neurons is some 19,000 quantities (5 minutes to open, the window held).
#: Worksheets and quizzes, on paper, take any number.
MAX_QUESTIONS = 1000
#: the largest step an exercise is written out for, in samples × neurons past the input (checked
#: before the walkthrough is built: a file may ask 64 samples of a wide network)
MAX_STEP_NEURONS = 20_000
CREATED_WITH = f"bpstudio {__version__}"


@dataclass(frozen=True)
class Tolerance:
    """An answer x is right when |x − v| ≤ max(relative·|v|, absolute, one unit of the last digit shown)."""

    relative: float = 0.01
    absolute: float = 1e-4

    def to_dict(self) -> dict[str, float]:
        return {"relative": self.relative, "absolute": self.absolute}


def _check_exercise(doc: dict[str, Any]) -> None:
    """Shape rules beyond the schema: the embedded project, the selectors, the notation."""
    try:
        PROJECT.decode(doc["project"])
    except FormatError as exc:
        field_name = "project" + ("." + exc.field if exc.field else "")
        raise FormatError(exc.problem, field_name) from None
    for i, sel in enumerate(doc.get("ask", ["*"])):
        try:
            check_selector(sel)
        except ValueError as exc:
            raise FormatError(str(exc), f"ask[{i}]") from None
    try:
        Notation.from_dict(doc.get("notation"))
    except (TypeError, ValueError) as exc:
        raise FormatError(str(exc), "notation") from None


EXERCISE = register_format(
    FileFormat(
        name=EXERCISE_FORMAT,
        version=EXERCISE_VERSION,
        schema_file="exercise.schema.json",
        what="exercise file",
        check=_check_exercise,
    )
)


@dataclass
class Exercise:
    """A hand-calculation exercise; see the module docstring."""

    project: Project
    title: str = ""
    instructions: str = ""
    samples: list[int] = field(default_factory=lambda: [0])
    stop_after: str = "update"
    notation: Notation = field(default_factory=Notation)
    ask: list[str] = field(default_factory=lambda: ["*"])
    tolerance: Tolerance = field(default_factory=Tolerance)
    locked: bool = True
    seed: int | None = None
    weight_decimals: int = 2
    allow_hints: bool = True
    hint_cost: float = 0.0

    def __post_init__(self) -> None:
        if self.stop_after not in STOP_AFTER:
            raise EngineError(f"stop_after: choose one of {', '.join(STOP_AFTER)}")
        if not self.samples:
            raise EngineError("samples: give at least one training sample")
        for sel in self.ask:
            check_selector(sel)

    # ------------------------------------------------------------------ documents
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": EXERCISE_FORMAT,
            "version": EXERCISE_VERSION,
            "created_with": CREATED_WITH,
            "title": self.title,
            "instructions": self.instructions,
            "project": project_to_dict(self.project),
            "samples": [int(s) for s in self.samples],
            "stop_after": self.stop_after,
            "notation": self.notation.to_dict(),
            "ask": list(self.ask),
            "tolerance": self.tolerance.to_dict(),
            "locked": bool(self.locked),
            "seed": self.seed,
            "weight_decimals": int(self.weight_decimals),
            "allow_hints": bool(self.allow_hints),
            "hint_cost": float(self.hint_cost),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Exercise:
        """An exercise from a parsed document (migrated and validated; FormatError names the field)."""
        doc = EXERCISE.decode(data)
        tol = doc.get("tolerance") or {}
        try:
            return cls(
                project=_project_from_dict(doc["project"]),
                title=doc["title"],
                instructions=doc.get("instructions", ""),
                samples=[int(s) for s in doc.get("samples", [0])],
                stop_after=doc.get("stop_after", "update"),
                notation=Notation.from_dict(doc.get("notation")),
                ask=list(doc.get("ask", ["*"])),
                tolerance=Tolerance(float(tol.get("relative", 0.01)), float(tol.get("absolute", 1e-4))),
                locked=bool(doc.get("locked", True)),
                seed=doc.get("seed"),
                weight_decimals=int(doc.get("weight_decimals", 2)),
                allow_hints=bool(doc.get("allow_hints", True)),
                hint_cost=float(doc.get("hint_cost", 0.0)),
            )
        except (EngineError, ValueError) as exc:
            if isinstance(exc, FormatError):
                raise
            raise FormatError(str(exc)) from None

    def fingerprint(self) -> str:
        """SHA-256 of the exercise's content (not of who wrote the file), to match answers to it."""
        return fingerprint(self.to_dict())

    # ------------------------------------------------------------------ the step
    @cached_property
    def network(self) -> Network:
        """The network the student works with: the project's, or drawn from ``seed`` and rounded."""
        net = self.project.network.copy()
        if self.seed is not None:
            cfg = self.project.training
            net.initialise(cfg.init, cfg.init_params, seed=int(self.seed))
            net.weights = [np.round(w, self.weight_decimals) for w in net.weights]
            net.biases = [np.round(b, self.weight_decimals) for b in net.biases]
            net.validate()
        return net

    def student_project(self) -> Project:
        """The project a student's window shows: the exercise's network, no history, the notation."""
        p = copy.copy(self.project)
        p.network = self.network.copy()
        p.history = None
        p.progress = None
        p.view = self.project.view.copy()
        for key, value in self.notation.to_view().items():
            p.view.set(key, value)
        return p

    @cached_property
    def trace(self) -> StepTrace:
        """The engine's trace of the exercise's step, computed on a copy of the network."""
        from ..workspace import trainer_for

        project = copy.copy(self.project)
        project.network = self.network.copy()
        trainer: Trainer
        trainer, _ = trainer_for(project)
        n = trainer.n_train
        for s in self.samples:
            if not 0 <= s < n:
                raise EngineError(f"samples: sample {s} does not exist (the training set has 0 to {n - 1})")
        if self.stop_after != "forward" and learning_rule(project.network) is None:
            for i, name in enumerate(project.network.activations, start=1):
                if not get_activation(name).trainable:
                    raise EngineError(
                        f"stop_after: layer {i} uses the {name} activation, so only a forward pass can be "
                        "asked (choose stop_after: forward)"
                    )
        micro = trainer.begin_step(self.samples)
        stage = {"forward": "loss", "backward": "backward 1", "update": "update"}[self.stop_after]
        return micro.run_until(stage)

    @cached_property
    def walkthrough(self) -> Walkthrough:
        neurons = sum(self.network.sizes[1:])
        if neurons * len(self.samples) > MAX_STEP_NEURONS:
            raise EngineError(
                f"samples: this step is {len(self.samples)} sample(s) through {neurons:,} neurons, too "
                f"large to work by hand (at most {MAX_STEP_NEURONS:,} neurons × samples)"
            )
        tr = self.trace
        return build_walkthrough(
            tr,
            self.network,
            self.project.training,
            self.notation,
            samples=list(range(tr.batch_size)),
            title=self.title,
        )

    def questions(self) -> list[Line]:
        """The asked lines, in walkthrough order."""
        lines = self.walkthrough.select(self.ask)
        if not lines:
            raise EngineError(
                "ask: no quantity of this exercise matches " + ", ".join(repr(s) for s in self.ask)
            )
        return lines


def check_workable(n_questions: int) -> None:
    """Raise EngineError when an exercise of ``n_questions`` is more than the window asks at once
    (:data:`MAX_QUESTIONS`), saying what to do."""
    if n_questions > MAX_QUESTIONS:
        raise EngineError(
            f"ask: that is {n_questions:,} questions, and the window asks at most {MAX_QUESTIONS:,} at "
            "once: ask for fewer kinds of quantity or fewer samples, or use a smaller network (a "
            "worksheet, `bpstudio worksheet`, takes any number)"
        )


def fingerprint(doc: dict[str, Any]) -> str:
    """SHA-256 of a document without its ``created_with`` field, keys sorted.

    The project's ``input_transform`` is left out too: it is fitted from the dataset (which counts), and
    a copy saved before it was recorded (null) is the same exercise.
    """
    body = {k: v for k, v in doc.items() if k != "created_with"}
    if isinstance(body.get("project"), dict):
        body["project"] = {
            k: v for k, v in body["project"].items() if k not in ("created_with", "input_transform")
        }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_exercise(path: str | os.PathLike[str]) -> Exercise:
    """Read an exercise file; FormatError naming the file and field on anything wrong."""
    doc = load_document(path, EXERCISE)
    try:
        ex = Exercise.from_dict(doc)
        ex.questions()  # the step can be computed and something is asked
    except EngineError as exc:
        if isinstance(exc, FormatError):
            raise exc.with_source(str(path)) from None
        raise FormatError(str(exc), source=str(path)) from None
    return ex


def save_exercise(path: str | os.PathLike[str], exercise: Exercise) -> None:
    """Write an exercise file atomically (after checking it would load again)."""
    save_document(path, exercise.to_dict(), EXERCISE)


def peek_format(path: str | os.PathLike[str]) -> str | None:
    """The ``format`` field of a JSON document, or None if it is not one (for File ▸ Open)."""
    from ..formats import read_json

    try:
        data = read_json(path)
    except FormatError:
        return None
    fmt = data.get("format") if isinstance(data, dict) else None
    return fmt if isinstance(fmt, str) else None
