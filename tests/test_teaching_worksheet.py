"""Worksheets (issue 16.1): problem sheets and answer keys as LaTeX (plain ASCII, every question,
the figure in TikZ) and as PDF made without TeX, per-student variants from their ids."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bpstudio import resources_dir
from bpstudio.cli import main
from bpstudio.teaching import latex
from bpstudio.teaching.exercise import load_exercise
from bpstudio.teaching.expr import Renderer
from bpstudio.teaching.worksheet import exercise_of, figure_tikz, latex_document, make_sheets, seed_for
from bpstudio.workspace import load_example

XOR = resources_dir() / "exercises" / "xor-backprop-221.bpx.json"


@pytest.fixture(scope="module")
def exercise():
    return load_exercise(XOR)


@pytest.mark.parametrize(
    "unicode,tex",
    [
        ("z₁⁽²⁾", "z_{1}^{(2)}"),
        ("∂E/∂w₁₂⁽¹⁾", r"\partial E/\partial w_{12}^{(1)}"),
        ("1/(1 + e^(−0.22))", "1/(1 + e^{-0.22})"),
        ("σ′(z₁⁽²⁾)·δ₁⁽³⁾", r"\sigma '(z_{1}^{(2)})\cdot \delta _{1}^{(3)}"),
        ("w ← w − η·a·δ", r"w \leftarrow w - \eta \cdot a\cdot \delta "),
        ("½·Σₖ", r"\tfrac{1}{2}\cdot \sum _{k}"),
    ],
)
def test_unicode_notation_becomes_latex_math(unicode, tex):
    assert latex.math(unicode) == tex


def test_text_escapes_what_latex_reserves_and_stays_ascii():
    assert latex.text("50 % of #1 & {x_1}") == r"50 \% of \#1 \& \{x\_1\}"
    assert latex.text("δ = ∂E/∂z").isascii()


def test_each_student_gets_a_variant_of_their_own_made_again_from_the_id(exercise):
    a1, b = make_sheets(exercise, ["ana", "ben"])
    (a2,) = make_sheets(exercise, [" ana "])  # the same id, typed with spaces
    assert a1.exercise.seed == seed_for("ana") == a2.exercise.seed != b.exercise.seed
    np.testing.assert_array_equal(a1.exercise.network.weights[0], a2.exercise.network.weights[0])
    assert not np.array_equal(a1.exercise.network.weights[0], b.exercise.network.weights[0])
    assert len(a1.questions) == len(exercise.questions()) == 28
    (plain,) = make_sheets(exercise)
    assert plain.student is None and plain.exercise is exercise


def test_the_latex_document_has_every_question_and_its_answers(exercise):
    sheets = make_sheets(exercise, ["ana", "ben"])
    sheet_tex = latex_document(sheets)
    key_tex = latex_document(sheets, answers=True)
    for tex in (sheet_tex, key_tex):
        assert (
            tex.isascii() and tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
        )
        for env in ("document", "tikzpicture", "enumerate", "itemize", "tabular", "center"):
            assert tex.count(rf"\begin{{{env}}}") == tex.count(rf"\end{{{env}}}")
        assert tex.count(r"\clearpage") == 1 and r"--- ana" in tex and r"--- ben" in tex
        # braces balance (the escaped ones are text)
        assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")
    assert sheet_tex.count(r"\underline{\hspace{4cm}}") == 2 * 28 and "0.5548" not in sheet_tex
    r = Renderer(exercise.notation.digits)
    for q in sheets[1].questions:  # ben's answers, each line filled in
        assert latex.math(q.render(r)) in key_tex
    assert r"\textit{Answer key}" in key_tex and r"\textit{Problem sheet}" in sheet_tex


def test_the_figure_names_every_neuron_and_weight_or_fits_a_large_network_on_the_page():
    project = load_example("xor")
    tikz = figure_tikz(project.network, exercise_of(project).notation.names)
    assert tikz.count(r"\node[draw, circle") == 5 and tikz.count(r"\draw[->]") == 6
    assert "$x_{1}$" in tikz and "$0.14$" in tikz
    digits = load_example("digits")
    big = figure_tikz(digits.network, exercise_of(digits).notation.names)
    y_unit = float(re.search(r"y=-([0-9.]+)cm", big).group(1))
    assert y_unit * 63 <= 12.0 + 1e-9  # 64 inputs within 12 cm
    assert "$" not in big.split(r"\draw")[0].split("\n", 1)[1]  # no labels without room for them


def test_pdf_without_tex(exercise, tmp_path, qapp):
    from bpstudio.app.worksheet_pdf import write_pdf

    pages = write_pdf(tmp_path / "s.pdf", make_sheets(exercise, ["ana", "ben"]))
    data = (tmp_path / "s.pdf").read_bytes()
    assert data.startswith(b"%PDF") and pages == 4  # two pages per student: the questions go on
    assert re.search(rb"/Count 4\b", data)
    assert write_pdf(tmp_path / "k.pdf", make_sheets(exercise), answers=True) >= 1


def test_worksheet_on_the_command_line(tmp_path, capsys):
    ids = tmp_path / "ids.txt"
    ids.write_text("ana\n\n# a comment\nben\n", encoding="utf-8")
    out = tmp_path / "sheet.tex"
    assert main(["worksheet", str(XOR), "--out", str(out), "--students", str(ids)]) == 0
    assert "2 sheet(s) of 28 question(s)" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8").count(r"\section*") == 2
    assert (
        main(
            [
                "worksheet",
                str(XOR),
                "--out",
                str(tmp_path / "k.pdf"),
                "--students",
                str(ids),
                "--answers",
                "--separate",
            ]
        )
        == 0
    )
    assert (tmp_path / "k-ana.pdf").exists() and (tmp_path / "k-ben.pdf").exists()
    project = str(resources_dir() / "examples" / "xor.bps.json")
    assert main(["worksheet", project, "--out", str(tmp_path / "p.tex"), "--samples", "2"]) == 0
    assert "x = (1, 0)" in (tmp_path / "p.tex").read_text(encoding="utf-8")
    assert main(["worksheet", str(XOR), "--out", str(tmp_path / "s.docx")]) == 2
    assert "name a .tex" in capsys.readouterr().err
    ids.write_text("ana\nana\n", encoding="utf-8")
    assert main(["worksheet", str(XOR), "--out", str(out), "--students", str(ids)]) == 2
    assert "an id appears twice" in capsys.readouterr().err


def test_file_export_worksheet_in_the_window(qtbot, monkeypatch, tmp_path):
    from tests.gui_helpers import answer_dialogs, shown_window, when_modal

    box = answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    try:
        w.session.step_batch()

        def answer(dialog):
            dialog.ids.setPlainText("ana\nben\n")
            dialog.accept()

        timer = when_modal("worksheetDialog", answer)
        box.files.append(tmp_path / "xor.tex")
        assert w.documents.export_worksheet()
        timer.stop()
        sheet = (tmp_path / "xor.tex").read_text(encoding="utf-8")
        key = (tmp_path / "xor-key.tex").read_text(encoding="utf-8")
        assert sheet.count(r"\section*") == 2 and r"\textit{Answer key}" in key
        sample = w.session.trace.sample_indices[0]
        x = w.session.trainer.X[sample]
        assert f"x = ({int(x[0])}, {int(x[1])})" in sheet  # the step the window shows
    finally:
        w.training.shutdown()
        w.session.undo_stack.setClean()
        w.session._trained_since_save = False
