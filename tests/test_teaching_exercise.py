"""Exercises: files, answer checking, hints, scores, answers files, results, the answer key and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

from bpstudio import resource_path
from bpstudio.cli import main
from bpstudio.formats import FormatError, read_json
from bpstudio.teaching import (
    Attempt,
    Exercise,
    ParseError,
    check_answer,
    evaluate_text,
    export_results,
    load_answers,
    load_exercise,
    save_answers,
    save_exercise,
)
from bpstudio.teaching.numbers import format_number, format_plain, rounding_unit
from bpstudio.teaching.results import answer_key_rows, mark, results_to_dict
from bpstudio.workspace import load_example

XNOR = resource_path("exercises", "xnor-step-forward.bpx.json")
XOR = resource_path("exercises", "xor-backprop-221.bpx.json")


# ---------------------------------------------------------------------------- numbers and parsing
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.47502081, "0.4750"),
        (-0.09999999999999998, "−0.1"),
        (0.2, "0.2"),
        (1.0, "1"),
        (0.0, "0"),
        (0.00123456, "0.001235"),
        (1.23456e-5, "1.235×10⁻⁵"),
        (12.34567, "12.3457"),
        (2.5e7, "2.5×10⁷"),
    ],
)
def test_numbers_print_as_a_student_writes_them(value, text):
    assert format_number(value) == text
    assert evaluate_text(text) == pytest.approx(value, abs=0.5 * rounding_unit(value) + 1e-15)
    assert float(format_plain(value)) == pytest.approx(value, abs=0.5 * rounding_unit(value) + 1e-15)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.475", 0.475),
        ("−0.1", -0.1),
        (".5", 0.5),
        ("1e-3", 0.001),
        ("1.2×10⁻³", 0.0012),
        ("(0.5)(1 − 0.5)", 0.25),
        ("2(0.5 - 1)*0.25", -0.25),
        ("½·(1 − 0.4)²", 0.18),
        ("1/(1 + e^(0.1))", 1 / (1 + np.exp(0.1))),
        ("tanh(0) + max(0, -2) + step(0.3) + ln(1) + √(4) + σ(0)", 3.5),
        ("[(0.2)(1) + (−0.3)(1)]", -0.1),
    ],
)
def test_answers_can_be_numbers_or_hand_arithmetic(text, value):
    assert evaluate_text(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text", ["", "abc", "__import__('os')", "1 +", "(1", "1/0", "max(1)", "2 ** ** 3", "e^(1000)"]
)
def test_unreadable_answers_are_refused_without_eval(text):
    with pytest.raises(ParseError):
        evaluate_text(text)


def test_tolerance_suits_hand_arithmetic():
    assert check_answer("0.475", 0.47502, 0.01, 1e-4).correct
    assert check_answer("0.48", 0.47502, 0.01, 1e-4).status == "wrong"  # 1.05 % off
    assert check_answer("0.0002", 0.0003, 0.01, 1e-4).correct  # one unit of the 4th decimal
    assert check_answer("0", 0.0003, 0.01, 1e-4).status == "wrong"
    assert check_answer("0.00003705", 3.7046e-5, 0.01, 0.0).correct
    assert check_answer("x", 1.0, 0.01, 1e-4).status == "invalid"
    assert check_answer("  ", 1.0, 0.01, 1e-4).status == "empty"


# ---------------------------------------------------------------------------- the shipped exercises
def test_xnor_exercise_reproduces_the_notes_table():
    """seeds/004: z₁⁽²⁾, a₁⁽²⁾, z₂⁽²⁾, a₂⁽²⁾, z₁⁽³⁾, a₁⁽³⁾ for the inputs 00, 01, 10, 11."""
    ex = load_exercise(XNOR)
    table = [
        (-0.3, 0, 0.2, 1, 0.1, 1),
        (-0.1, 0, 0.0, 0, -0.1, 0),
        (-0.1, 0, 0.0, 0, -0.1, 0),
        (0.1, 1, -0.2, 0, 0.1, 1),
    ]
    values = {q.key: q.value for q in ex.questions()}
    assert len(values) == 24
    for p, (z1, a1, z2, a2, z3, a3) in enumerate(table):
        got = [values[f"{k}@{p}"] for k in ("z[1,0]", "a[1,0]", "z[1,1]", "a[1,1]", "z[2,0]", "a[2,0]")]
        assert got == pytest.approx([z1, a1, z2, a2, z3, a3], abs=1e-12)
    assert ex.locked and ex.stop_after == "forward"
    assert ex.walkthrough.line("z[1,0]@1").text().endswith("= (−0.3)(1) + (0.2)(0) + (0.2)(1) = −0.1")


def test_xor_exercise_is_a_full_backward_pass_and_update():
    ex = load_exercise(XOR)
    kinds = {q.kind for q in ex.questions()}
    assert kinds == {"z", "a", "E", "delta", "grad", "new_w"}
    assert len(ex.questions()) == 28
    # the expected values are the engine's own step on that sample
    project = load_example("xor")
    from bpstudio.workspace import trainer_for

    trainer, _ = trainer_for(project)
    trace = trainer.trace_samples([3])
    assert ex.walkthrough.line("new_w[0,1,1]").value == trace.updates[0].W_after[1, 1]
    assert ex.walkthrough.line("delta[1,0]@0").value == trace.layers[1].delta[0, 0]


@pytest.mark.parametrize("path", [XNOR, XOR])
def test_shipped_exercises_match_the_json_schema(path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(resource_path("schema", "exercise.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(read_json(path), schema)


def test_answers_schema_agrees_with_jsonschema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    ex = load_exercise(XOR)
    attempt = Attempt.for_exercise(ex, "Ana")
    attempt.submit(attempt.keys()[0], "0.22")
    save_answers(tmp_path / "a.bpa.json", attempt, ex)
    schema = json.loads(resource_path("schema", "exercise-answers.schema.json").read_text(encoding="utf-8"))
    doc = read_json(tmp_path / "a.bpa.json")
    jsonschema.validate(doc, schema)
    doc["answers"]["z[1,0]@0"]["correct"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


# ---------------------------------------------------------------------------- a student's attempt
def test_a_student_answers_hints_and_scores():
    ex = load_exercise(XOR)
    ex.hint_cost = 0.5
    attempt = Attempt.for_exercise(ex, "Ana")
    keys = attempt.keys()
    assert attempt.score().text() == "0 / 28 (0 %)"
    first = attempt.question(keys[0])
    assert attempt.submit(keys[0], "0.3").status == "wrong"
    assert attempt.submit(keys[0], "hello").status == "invalid"
    assert attempt.answers[keys[0]].attempts == 1  # an unreadable answer is not an attempt
    hint = attempt.hint(keys[0])
    assert hint.startswith("z₁⁽²⁾ = b₁⁽²⁾ + w₁₁⁽¹⁾·x₁") and "0.22" not in hint
    assert attempt.submit(keys[0], "0.31 + 0.14 − 0.23").correct
    assert first.key not in attempt.pending()
    for key in keys[1:]:
        attempt.submit(key, format_number(attempt.question(key).value))
    score = attempt.score()
    assert attempt.complete() and score.correct == 28 and score.hints == 1 and score.points == 27.5


def test_lines_computed_from_an_unanswered_question_stay_hidden():
    ex = load_exercise(XOR)
    attempt = Attempt.for_exercise(ex)
    hidden = attempt.hidden()
    # f′ and Δw are not asked, but they are computed from asked quantities
    assert "fprime[1,0]@0" in hidden and "dw[0,0,0]" in hidden
    attempt.submit("a[1,0]@0", format_number(ex.walkthrough.line("a[1,0]@0").value))
    assert "fprime[1,0]@0" not in attempt.hidden()


def test_answers_save_and_reopen_and_are_checked_again(tmp_path):
    ex = load_exercise(XOR)
    attempt = Attempt.for_exercise(ex, "Ben")
    keys = attempt.keys()
    attempt.submit(keys[0], "0.22")
    attempt.submit(keys[1], "0.6")
    attempt.hint(keys[2])
    path = tmp_path / "ben.bpa.json"
    save_answers(path, attempt, ex)
    ex2, again = load_answers(path)
    assert again.student == "Ben" and ex2.fingerprint() == ex.fingerprint()
    assert again.answers[keys[0]].correct and not again.answers[keys[1]].correct
    assert again.answers[keys[2]].hinted and again.score() == attempt.score()
    # a doctored answers file cannot claim a right answer: rightness is recomputed
    doc = read_json(path)
    doc["answers"][keys[1]]["text"] = "0.6"
    doc["answers"]["nonsense[0,0]@0"] = {"text": "1"}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FormatError, match="not a question"):
        load_answers(path)


def test_results_export_json_and_csv(tmp_path):
    ex = load_exercise(XNOR)
    attempt = Attempt.for_exercise(ex, "Chris")
    for key in attempt.keys()[:6]:
        attempt.submit(key, format_number(attempt.question(key).value))
    attempt.submit(attempt.keys()[6], "5")
    export_results(tmp_path / "r.json", attempt, ex)
    export_results(tmp_path / "r.csv", attempt, ex)
    data = read_json(tmp_path / "r.json")
    assert data["format"] == "bpstudio-exercise-results" and data["student"] == "Chris"
    assert data["score"] == {"correct": 6, "total": 24, "hints": 0, "points": 6.0, "percent": 25.0}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 24 and rows[0]["student"] == "Chris" and rows[0]["correct"] == "yes"
    assert (
        rows[6]["answer"] == "5" and rows[6]["correct"] == "no" and rows[6]["quantity"] == "z₁⁽²⁾ [sample 2]"
    )
    assert results_to_dict(attempt, ex)["questions"][0]["key"] == "z[1,0]@0"


# ---------------------------------------------------------------------------- building exercises
def test_exercise_round_trip_and_seeded_variants(tmp_path):
    project = load_example("xor")
    ex = Exercise(project=project, title="Variant", samples=[1], ask=["delta", "grad[1,*,*]"], seed=5)
    path = tmp_path / "v.bpx.json"
    save_exercise(path, ex)
    again = load_exercise(path)
    assert again.fingerprint() == ex.fingerprint()
    w = again.network.weights[0]
    assert np.array_equal(w, np.round(w, 2)) and not np.array_equal(w, project.network.weights[0])
    assert np.array_equal(again.network.weights[0], Exercise(project=project, seed=5).network.weights[0])
    assert [q.kind for q in again.questions()] == ["delta"] * 3 + ["grad"] * 3
    assert again.student_project().network.weights[0].tolist() == w.tolist()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ask": ["nonsense"]}, "ask[0]: unknown quantity"),
        ({"stop_after": "later"}, "stop_after"),
        ({"samples": [99]}, "sample 99 does not exist"),
        ({"ask": ["velocity"]}, "no quantity of this exercise matches"),
        ({"notation": {"bias": "c"}}, "notation.bias"),
        ({"project": {"format": "bpstudio-project", "version": 2}}, "project.created_with"),
    ],
)
def test_bad_exercise_files_are_refused_naming_the_field(tmp_path, change, message):
    doc = read_json(XOR)
    doc.update(change)
    path = tmp_path / "bad.bpx.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FormatError, match=re.escape(message)):
        load_exercise(path)


def test_a_step_network_only_allows_a_forward_exercise(tmp_path):
    doc = read_json(XNOR)
    doc["stop_after"] = "update"
    path = tmp_path / "x.bpx.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FormatError, match="only a forward pass"):
        load_exercise(path)


# ---------------------------------------------------------------------------- command line
def test_answer_key_command(tmp_path, capsys):
    out = tmp_path / "key.csv"
    assert main(["answer-key", str(XOR), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "∂E/∂w₁₁⁽²⁾" in printed and "0.07513" in printed
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 28
    assert [r["key"] for r in rows] == [r["key"] for r in answer_key_rows(load_exercise(XOR))]
    assert float(rows[1]["value_exact"]) == load_exercise(XOR).walkthrough.line("a[1,0]@0").value
    assert main(["answer-key", str(tmp_path / "missing.bpx.json")]) == 2


def test_make_exercise_walkthrough_and_mark_commands(tmp_path, capsys):
    project = resource_path("examples", "xor.bps.json")
    ex_path = tmp_path / "e.bpx.json"
    assert (
        main(
            [
                "make-exercise",
                str(project),
                "--out",
                str(ex_path),
                "--samples",
                "0,1",
                "--ask",
                "delta,grad[0,*,b]",
                "--notation",
                "error_signal",
            ]
        )
        == 0
    )
    ex = load_exercise(ex_path)
    assert ex.samples == [0, 1] and ex.notation.error_signal
    assert {q.kind for q in ex.questions()} == {"delta", "grad"}

    html_out = tmp_path / "w.html"
    assert (
        main(["walkthrough", str(project), "--samples", "2", "--format", "html", "--out", str(html_out)]) == 0
    )
    page = html_out.read_text(encoding="utf-8")
    assert (
        page.startswith("<!DOCTYPE html>") and "z<sub>1</sub><sup>(2)</sup>" in page and "<script" not in page
    )
    capsys.readouterr()
    assert (
        main(["walkthrough", str(resource_path("examples", "xnor-step.bps.json")), "--format", "markdown"])
        == 0
    )
    md = capsys.readouterr().out
    assert "## Forward: layer 2" in md and "δ" not in md.split("Notation")[1].split("\n", 1)[1]

    attempt = Attempt.for_exercise(ex, "Dee")
    for key in attempt.keys():
        attempt.submit(key, format_number(attempt.question(key).value))
    save_answers(tmp_path / "dee.bpa.json", attempt, ex)
    other = Attempt.for_exercise(load_exercise(XOR), "Eve")
    save_answers(tmp_path / "eve.bpa.json", other, load_exercise(XOR))
    marks = tmp_path / "marks.csv"
    code = main(
        [
            "mark",
            str(ex_path),
            str(tmp_path / "dee.bpa.json"),
            str(tmp_path / "eve.bpa.json"),
            "--out",
            str(marks),
        ]
    )
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(marks.read_text(encoding="utf-8"))))
    assert rows[0]["student"] == "Dee" and rows[0]["percent"] == "100.0" and rows[0]["status"] == "ok"
    assert "different exercise" in rows[1]["status"]
    assert mark(ex, [str(tmp_path / "nope.bpa.json")])[0]["status"].startswith("unreadable")


def test_make_exercise_refuses_bad_selectors(tmp_path, capsys):
    project = resource_path("examples", "xor.bps.json")
    assert main(["make-exercise", str(project), "--out", str(tmp_path / "x.bpx.json"), "--ask", "zz"]) == 2
    assert "unknown quantity 'zz'" in capsys.readouterr().err


def wide_exercise(width: int, samples: list[int], ask: list[str] | None = None) -> Exercise:
    """The XOR exercise's project with a hidden layer of ``width`` neurons."""
    from bpstudio.engine import edits as ed

    ex = load_exercise(XOR)
    project = ex.project
    ed.resize_layer(project.network, 1, width, ed.Initial("uniform", {"r": 0.5}, 0))
    return Exercise(project=project, title="wide", samples=samples, ask=ask or ["*"])


def test_the_window_asks_at_most_a_thousand_questions_and_paper_any_number(tmp_path, capsys):
    """A hidden layer of 4,096 asked whole is 18,789 questions: each a box in the window, which then
    took five minutes to open. check_workable refuses such an exercise for the window, saying why;
    a narrow question on the same network is fine, and a worksheet takes every question."""
    from bpstudio.engine import EngineError
    from bpstudio.teaching.exercise import MAX_QUESTIONS, check_workable

    wide = wide_exercise(4096, [0])
    with pytest.raises(EngineError, match=r"18,789 questions, and the window asks at most 1,000"):
        check_workable(len(wide.questions()))
    check_workable(len(wide_exercise(4096, [0], ["delta[2,*]@*"]).questions()))  # the output's δ: 1
    check_workable(MAX_QUESTIONS)
    path = tmp_path / "wide.bpx.json"
    save_exercise(path, wide)
    assert main(["worksheet", str(path), "--out", str(tmp_path / "sheet.tex")]) == 0
    assert (tmp_path / "sheet.tex").read_text().count(r"\item") > 18_789
    # the command line writes such an exercise, and says the window will not open it
    from bpstudio.formats.project import save_project

    save_project(tmp_path / "wide.bps.json", wide.project)
    capsys.readouterr()
    assert (
        main(["make-exercise", str(tmp_path / "wide.bps.json"), "--out", str(tmp_path / "x.bpx.json")]) == 0
    )
    err = capsys.readouterr().err
    assert "18789 questions" in err and "note: the window will not open it: that is 18,789" in err


def test_a_step_too_large_to_work_by_hand_is_refused_before_it_is_computed(tmp_path):
    """64 samples through a layer of 4,096 would be written out (800,000 lines) before counting."""
    from bpstudio.engine import EngineError

    ex = wide_exercise(4096, [0, 1, 2, 3] * 16)
    with pytest.raises(EngineError, match=r"64 sample\(s\) through 4,097 neurons, too large"):
        ex.questions()
    assert "trace" not in ex.__dict__  # (a cached property: never computed)
    path = tmp_path / "wide.bpx.json"
    save_exercise(path, ex)  # a file may hold it; opening it says why it cannot be worked
    with pytest.raises(EngineError, match="too large to work by hand"):
        Attempt.for_exercise(load_exercise(path))
