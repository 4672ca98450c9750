"""Checking a student's answers: tolerance for hand arithmetic, hints, attempts and the score.

An :class:`Attempt` is one student's work on a set of questions (walkthrough lines whose values are
hidden). It knows nothing of Qt: the exercise panel and the practice mode drive it, the answers file
stores it, and ``bpstudio mark`` recomputes it from the teacher's copy of the exercise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .expr import HtmlRenderer, Renderer
from .model import Line, Walkthrough
from .numbers import format_number, rounding_unit
from .parse import ParseError, evaluate_text

if TYPE_CHECKING:
    from .exercise import Exercise

CORRECT, WRONG, INVALID, EMPTY = "correct", "wrong", "invalid", "empty"


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one answer: ``status`` is correct, wrong, invalid or empty."""

    status: str
    value: float | None = None
    message: str = ""

    @property
    def correct(self) -> bool:
        return self.status == CORRECT


def accepts(value: float, expected: float, relative: float, absolute: float, digits: int = 4) -> bool:
    """|value − expected| ≤ max(relative·|expected|, absolute, one unit of the last digit shown)."""
    if not math.isfinite(value):
        return False
    allowed = max(relative * abs(expected), absolute, rounding_unit(expected, digits))
    return abs(value - expected) <= allowed * (1 + 1e-12)


def check_answer(text: str, expected: float, relative: float, absolute: float, digits: int = 4) -> Verdict:
    """Parse a typed answer (a number or arithmetic such as ``(0.5)(1 − 0.5)``) and compare it."""
    if not text or not text.strip():
        return Verdict(EMPTY, None, "")
    try:
        value = evaluate_text(text)
    except ParseError as exc:
        return Verdict(INVALID, None, f"Not a number: {exc}")
    if accepts(value, expected, relative, absolute, digits):
        return Verdict(CORRECT, value, "Right.")
    return Verdict(WRONG, value, f"Not right: {format_number(value, digits)} is not within the tolerance.")


@dataclass
class Answer:
    """What the student did on one question."""

    text: str = ""
    attempts: int = 0
    hinted: bool = False
    verdict: Verdict = field(default_factory=lambda: Verdict(EMPTY))

    @property
    def correct(self) -> bool:
        return self.verdict.correct


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    hints: int
    points: float

    @property
    def percent(self) -> float:
        return 100.0 * self.points / self.total if self.total else 0.0

    def text(self) -> str:
        hints = f", {self.hints} hint{'s' if self.hints != 1 else ''} used" if self.hints else ""
        pts = f"{self.points:g}" if self.points != self.correct else str(self.correct)
        return f"{pts} / {self.total} ({self.percent:.0f} %){hints}"


class Attempt:
    """One student's answers to the questions ``questions`` (lines of ``walkthrough``)."""

    def __init__(
        self,
        walkthrough: Walkthrough,
        questions: Sequence[Line],
        relative: float = 0.01,
        absolute: float = 1e-4,
        allow_hints: bool = True,
        hint_cost: float = 0.0,
        student: str = "",
    ) -> None:
        self.walkthrough = walkthrough
        self.questions = list(questions)
        self.relative = relative
        self.absolute = absolute
        self.allow_hints = allow_hints
        self.hint_cost = hint_cost
        self.student = student
        self.digits = getattr(walkthrough.notation, "digits", 4)
        self.answers: dict[str, Answer] = {q.key: Answer() for q in self.questions}
        self._by_key = {q.key: q for q in self.questions}

    @classmethod
    def for_exercise(cls, exercise: Exercise, student: str = "") -> Attempt:
        """An empty attempt at an :class:`~bpstudio.teaching.exercise.Exercise`."""
        tol = exercise.tolerance
        attempt = cls(
            exercise.walkthrough,
            exercise.questions(),
            tol.relative,
            tol.absolute,
            exercise.allow_hints,
            exercise.hint_cost,
            student,
        )
        attempt.exercise = exercise
        return attempt

    #: the exercise this attempt answers (None for a walkthrough's own questions)
    exercise: Exercise | None = None

    # ------------------------------------------------------------------ questions
    def question(self, key: str) -> Line:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"{key!r} is not a question of this exercise") from None

    def keys(self) -> list[str]:
        return [q.key for q in self.questions]

    def submit(self, key: str, text: str) -> Verdict:
        """Check ``text`` as the answer to question ``key``; an unreadable answer is not an attempt."""
        q = self.question(key)
        ans = self.answers[key]
        verdict = check_answer(text, q.value, self.relative, self.absolute, self.digits)
        ans.text = text.strip()
        if verdict.status in (CORRECT, WRONG):
            ans.attempts += 1
        ans.verdict = verdict
        return verdict

    def restore(self, key: str, text: str, attempts: int, hinted: bool) -> Verdict:
        """Put back a saved answer (checked again, never trusted)."""
        q = self.question(key)
        ans = self.answers[key]
        ans.text = text
        ans.attempts = max(0, int(attempts))
        ans.hinted = bool(hinted) and self.allow_hints
        ans.verdict = check_answer(text, q.value, self.relative, self.absolute, self.digits)
        return ans.verdict

    def hint(self, key: str, html: bool = False) -> str:
        """The formula of question ``key`` without numbers (recorded as a hint used)."""
        if not self.allow_hints:
            raise PermissionError("this exercise does not give hints")
        q = self.question(key)
        self.answers[key].hinted = True
        return q.hint(HtmlRenderer(self.digits) if html else Renderer(self.digits))

    # ------------------------------------------------------------------ progress
    def pending(self) -> set[str]:
        """Keys whose values must stay hidden: questions not yet answered right."""
        return {k for k, a in self.answers.items() if not a.correct}

    def hidden(self) -> set[str]:
        """Keys whose values must not be shown: the pending questions and every other line computed
        from one of them (a given line would otherwise give the answer away)."""
        hidden = self.pending()
        for ln in self.walkthrough.lines:
            if ln.key not in self._by_key and any(u in hidden for u in ln.uses()):
                hidden.add(ln.key)
        return hidden

    def complete(self) -> bool:
        return all(a.correct for a in self.answers.values())

    def score(self) -> Score:
        correct = hints = 0
        points = 0.0
        for a in self.answers.values():
            if a.hinted:
                hints += 1
            if a.correct:
                correct += 1
                points += 1.0 - (self.hint_cost if a.hinted else 0.0)
        return Score(correct, len(self.questions), hints, round(points, 6))

    def rows(self) -> list[dict[str, object]]:
        """One row per question for the results file."""
        out = []
        for i, q in enumerate(self.questions, start=1):
            a = self.answers[q.key]
            out.append(
                {
                    "number": i,
                    "key": q.key,
                    "quantity": self.walkthrough.label(q),
                    "expected": q.value,
                    "expected_shown": format_number(q.value, self.digits),
                    "answer": a.text,
                    "value": a.verdict.value,
                    "correct": a.correct,
                    "attempts": a.attempts,
                    "hinted": a.hinted,
                    "points": (1.0 - (self.hint_cost if a.hinted else 0.0)) if a.correct else 0.0,
                }
            )
        return out

    def answered(self) -> Iterable[tuple[str, Answer]]:
        return ((k, a) for k, a in self.answers.items() if a.text or a.attempts or a.hinted)
