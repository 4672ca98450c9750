"""Answers files (``*.bpa.json``), results for marking (JSON and CSV) and the teacher's answer key.

An answers file holds the student's typed answers, attempts and hints, plus the exercise itself so it
reopens on its own. Rightness is never read from a file: it is checked again against the exercise.
``bpstudio mark`` checks answers files against the *teacher's* copy of the exercise (matched by the
exercise's fingerprint), so editing the copy inside an answers file gains nothing.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timezone
from typing import Any

from ..engine import EngineError
from ..formats import (
    FileFormat,
    FormatError,
    load_document,
    register_format,
    save_document,
    write_json_atomic,
)
from .checking import INVALID, Attempt
from .exercise import CREATED_WITH, EXERCISE, Exercise
from .model import KIND_LABELS, split_key
from .numbers import format_plain

ANSWERS_FORMAT = "bpstudio-exercise-answers"
ANSWERS_VERSION = 1
ANSWERS_SUFFIX = ".bpa.json"
RESULTS_FORMAT = "bpstudio-exercise-results"
RESULTS_VERSION = 1

RESULT_COLUMNS = [
    "student",
    "exercise",
    "number",
    "key",
    "quantity",
    "expected",
    "answer",
    "answer_value",
    "correct",
    "attempts",
    "hinted",
    "points",
]
KEY_COLUMNS = ["number", "key", "quantity", "kind", "value", "value_exact", "formula", "tolerance"]


def _check_answers(doc: dict[str, Any]) -> None:
    try:
        EXERCISE.decode(doc["exercise"])
    except FormatError as exc:
        raise FormatError(exc.problem, "exercise" + ("." + exc.field if exc.field else "")) from None


ANSWERS = register_format(
    FileFormat(
        name=ANSWERS_FORMAT,
        version=ANSWERS_VERSION,
        schema_file="exercise-answers.schema.json",
        what="exercise answers file",
        check=_check_answers,
    )
)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def answers_to_dict(attempt: Attempt, exercise: Exercise) -> dict[str, Any]:
    return {
        "format": ANSWERS_FORMAT,
        "version": ANSWERS_VERSION,
        "created_with": CREATED_WITH,
        "student": attempt.student,
        "saved_at": _now(),
        "fingerprint": exercise.fingerprint(),
        "exercise": exercise.to_dict(),
        "answers": {
            key: {"text": a.text, "attempts": a.attempts, "hinted": a.hinted} for key, a in attempt.answered()
        },
    }


def save_answers(path: str | os.PathLike[str], attempt: Attempt, exercise: Exercise) -> None:
    """Write the student's answers (and the exercise) atomically."""
    save_document(path, answers_to_dict(attempt, exercise), ANSWERS)


def attempt_from_dict(doc: dict[str, Any], exercise: Exercise | None = None, source: str = "") -> Attempt:
    """The attempt an answers document describes, checked against ``exercise`` (default: its own copy)."""
    doc = ANSWERS.decode(doc)
    ex = exercise if exercise is not None else Exercise.from_dict(doc["exercise"])
    attempt = Attempt.for_exercise(ex, student=doc["student"])
    for key, saved in doc["answers"].items():
        if key not in attempt.answers:
            raise FormatError(f"{key!r} is not a question of this exercise", "answers", source)
        attempt.restore(key, saved["text"], saved.get("attempts", 0), saved.get("hinted", False))
    return attempt


def load_answers(path: str | os.PathLike[str]) -> tuple[Exercise, Attempt]:
    """Read an answers file: the exercise it holds and the student's attempt at it."""
    doc = load_document(path, ANSWERS)
    try:
        ex = Exercise.from_dict(doc["exercise"])
        return ex, attempt_from_dict(doc, ex, str(path))
    except FormatError as exc:
        raise exc.with_source(str(path)) from None
    except EngineError as exc:  # e.g. the exercise's dataset (a DataError): the file is at fault
        raise FormatError(str(exc), "exercise", str(path)) from None


# ---------------------------------------------------------------------------- results
def results_to_dict(attempt: Attempt, exercise: Exercise | None) -> dict[str, Any]:
    score = attempt.score()
    return {
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "created_with": CREATED_WITH,
        "student": attempt.student,
        "exercise": exercise.title if exercise is not None else attempt.walkthrough.title,
        "fingerprint": exercise.fingerprint() if exercise is not None else None,
        "exported_at": _now(),
        "score": {
            "correct": score.correct,
            "total": score.total,
            "hints": score.hints,
            "points": score.points,
            "percent": round(score.percent, 2),
        },
        "questions": attempt.rows(),
    }


def results_csv(attempt: Attempt, exercise: Exercise | None) -> str:
    """One CSV row per question (for a spreadsheet), the columns of :data:`RESULT_COLUMNS`."""
    title = exercise.title if exercise is not None else attempt.walkthrough.title
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(RESULT_COLUMNS)
    for row in attempt.rows():
        value = row["value"]
        w.writerow(
            [
                attempt.student,
                title,
                row["number"],
                row["key"],
                row["quantity"],
                repr(float(row["expected"])),  # type: ignore[arg-type]
                row["answer"],
                "" if value is None else repr(float(value)),  # type: ignore[arg-type]
                "yes" if row["correct"] else "no",
                row["attempts"],
                "yes" if row["hinted"] else "no",
                f"{row['points']:g}",
            ]
        )
    return buf.getvalue()


def export_results(path: str | os.PathLike[str], attempt: Attempt, exercise: Exercise | None) -> None:
    """Write the results as JSON (``*.json``) or CSV (any other suffix), atomically."""
    p = os.fspath(path)
    if p.lower().endswith(".json"):
        write_json_atomic(p, results_to_dict(attempt, exercise))
    else:
        _write_text_atomic(p, results_csv(attempt, exercise))


def _write_text_atomic(path: str, text: str) -> None:
    from ..formats.io import write_bytes_atomic

    write_bytes_atomic(path, text.encode("utf-8"))


# ---------------------------------------------------------------------------- answer key
def answer_key_rows(exercise: Exercise) -> list[dict[str, str]]:
    """Every asked quantity with its value, the formula and the tolerance, for the teacher."""
    from .expr import Renderer

    d = exercise.notation.digits
    r = Renderer(d)
    tol = exercise.tolerance
    rows = []
    for i, q in enumerate(exercise.questions(), start=1):
        kind = split_key(q.key)[0]
        rows.append(
            {
                "number": str(i),
                "key": q.key,
                "quantity": exercise.walkthrough.label(q, r),
                "kind": KIND_LABELS.get(kind, kind),
                "value": format_plain(q.value, d),
                "value_exact": repr(float(q.value)),
                "formula": q.render(r),
                "tolerance": f"max({tol.relative:g}·|value|, {tol.absolute:g})",
            }
        )
    return rows


def answer_key_csv(exercise: Exercise) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=KEY_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(answer_key_rows(exercise))
    return buf.getvalue()


def answer_key_text(exercise: Exercise) -> str:
    """The answer key as aligned text for a terminal."""
    rows = answer_key_rows(exercise)
    width = max((len(r["quantity"]) for r in rows), default=8)
    out = [exercise.title or "Answer key", ""]
    for r in rows:
        out.append(f"{r['number']:>3}. {r['quantity']:<{width}}  {r['value']:>12}    {r['formula']}")
    return "\n".join(out) + "\n"


def write_answer_key(path: str | os.PathLike[str], exercise: Exercise) -> None:
    _write_text_atomic(os.fspath(path), answer_key_csv(exercise))


# ---------------------------------------------------------------------------- marking
MARK_COLUMNS = ["file", "student", "correct", "total", "hints", "points", "percent", "status", "notes"]
#: the longest ``notes`` entry of a marks row (a student's text is quoted only in short)
MAX_NOTES = 300


def unreadable_notes(attempt: Attempt) -> str:
    """Why answers that are not numbers scored nothing: "question 3: nested more than …; …" (short)."""
    parts = []
    for i, q in enumerate(attempt.questions, start=1):
        verdict = attempt.answers[q.key].verdict
        if verdict.status == INVALID:
            parts.append(f"question {i}: {verdict.message.removeprefix('Not a number: ')}")
    if not parts:
        return ""
    text = f"{len(parts)} answer{'s are' if len(parts) > 1 else ' is'} not a number ({'; '.join(parts)})"
    return text if len(text) <= MAX_NOTES else text[: MAX_NOTES - 2] + "…)"


def mark(exercise: Exercise, paths: list[str]) -> list[dict[str, str]]:
    """Score answers files against the teacher's exercise; a file for another exercise is reported."""
    want = exercise.fingerprint()
    rows = []
    for path in paths:
        row = {k: "" for k in MARK_COLUMNS}
        row["file"] = path
        try:
            doc = load_document(path, ANSWERS)
            row["student"] = doc["student"]
            theirs = Exercise.from_dict(doc["exercise"]).fingerprint()
            if theirs != want:
                row["status"] = "answers a different exercise (or a changed copy of it)"
            else:
                attempt = attempt_from_dict(doc, exercise, path)
                s = attempt.score()
                row.update(
                    correct=str(s.correct),
                    total=str(s.total),
                    hints=str(s.hints),
                    points=f"{s.points:g}",
                    percent=f"{s.percent:.1f}",
                    status="ok",
                    notes=unreadable_notes(attempt),
                )
        except FormatError as exc:
            row["status"] = f"unreadable: {exc}"
        rows.append(row)
    return rows


def marks_csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MARK_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
