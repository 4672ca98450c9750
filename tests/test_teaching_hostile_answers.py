"""A student's text never stops marking (issue 13, class 2): an answer that is not a real number, or
is nested too deeply to read, is simply wrong, with the reason in the marks."""

from __future__ import annotations

import csv
import io

import pytest

from bpstudio import resource_path
from bpstudio.cli import main
from bpstudio.teaching import Attempt, ParseError, evaluate_text, load_exercise
from bpstudio.teaching.numbers import format_number
from bpstudio.teaching.results import load_answers, save_answers

XOR = resource_path("exercises", "xor-backprop-221.bpx.json")

HOSTILE = [
    "(-8)^(1/3)",  # complex in Python
    "σ((-8)^(1/3))",  # a complex number reaching a real function
    "max((-1)^0.5, 1)",
    "(" * 200 + "1" + ")" * 200,
    "-" * 1500 + "1",
    "^".join(["2"] * 600),
    "√(-1)",
    "1/0",
    "9^9^9",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_arithmetic_is_a_parse_error_with_a_short_reason(text):
    with pytest.raises(ParseError) as err:
        evaluate_text(text)
    assert 0 < len(str(err.value)) < 120


def test_deep_but_reasonable_answers_still_count():
    assert evaluate_text("(" * 40 + "0.5" + ")" * 40) == 0.5
    assert evaluate_text("--0.25") == 0.25 and evaluate_text("2^2^2") == 16.0


def test_marking_goes_on_past_them_and_says_why(tmp_path, capsys):
    ex = load_exercise(XOR)
    attempt = Attempt.for_exercise(ex, "Mallory")
    keys = attempt.keys()
    for i, key in enumerate(keys):
        bad = HOSTILE[i] if i < 3 else None
        attempt.submit(key, bad if bad is not None else format_number(attempt.question(key).value))
    path = tmp_path / "m.bpa.json"
    save_answers(path, attempt, ex)
    _, reread = load_answers(path)  # the window opens the file the same way
    assert reread.score().correct == len(keys) - 3
    marks = tmp_path / "marks.csv"
    assert main(["mark", str(XOR), str(path), "--out", str(marks)]) == 0
    (row,) = csv.DictReader(io.StringIO(marks.read_text(encoding="utf-8")))
    assert row["status"] == "ok" and row["correct"] == str(len(keys) - 3)
    assert row["notes"].startswith("3 answers are not a number (question 1: ") and len(row["notes"]) <= 300
