"""The Chain Rule panel (issue 15.1): select on the canvas, read the paths with their factors, see them
marked on the canvas, and the sum equal to the δ/Δw table's ∂E/∂w."""

from __future__ import annotations

import pytest

from bpstudio import resources_dir
from bpstudio.app import ui_scale
from bpstudio.app.session import Selection
from tests.gui_helpers import window_showing


@pytest.fixture
def window(qtbot, monkeypatch):
    w = window_showing(qtbot, monkeypatch, "chainRuleDock")
    qtbot.waitUntil(lambda: w.chain_rule.in_front)
    yield w
    w.training.shutdown()
    ui_scale.apply(1.0)


def test_a_selected_weight_shows_its_paths_and_the_tables_value(window):
    s, panel = window.session, window.chain_rule
    assert "Select a weight, a bias or a neuron" in panel.view.toPlainText()
    s.step_batch()  # XOR online: one sample, so the table's ∂E/∂w is that sample's
    trace = s.trace
    assert trace is not None and trace.batch_size == 1
    assert panel.sample.value() == trace.sample_indices[0] + 1
    s.select(Selection("edge", 0, 1, 0))  # w₂₁⁽¹⁾
    cr = panel.result
    assert cr is not None and cr.name == "w₂₁⁽¹⁾" and cr.n_paths == 1
    assert cr.gradient == pytest.approx(trace.updates[0].grad_W[1, 0], rel=1e-12)
    text = panel.view.toPlainText()
    assert "∂E/∂w₂₁⁽¹⁾ on training sample" in text and "Sum over the 1 path" in text
    assert "w₂₁⁽¹⁾ → z₂⁽²⁾ → z₁⁽³⁾ → E" in text and "the same" in text
    assert "before the last step's update" in text
    # the path is marked on the canvas: the weight from hidden 2 to the output, and the output
    assert Selection("edge", 1, 0, 1) in s.highlighted and Selection("neuron", 2, 0) in s.highlighted


def test_a_bias_a_neuron_and_another_sample(window):
    s, panel = window.session, window.chain_rule
    s.select(Selection("bias", 1, 0))
    assert panel.result is not None and panel.result.name == "b₁⁽³⁾" and panel.result.n_paths == 1
    s.select(Selection("neuron", 1, 0))
    assert panel.result.kind == "neuron" and "δ = ∂E/∂z₁⁽²⁾" in panel.view.toPlainText()
    before = panel.result.total
    panel.sample.setValue(3)
    assert "training sample 3" in panel.view.toPlainText() and panel.result.total != before
    s.select(Selection("neuron", 0, 0))  # an input has no δ
    assert panel.result is None and "Select a weight" in panel.view.toPlainText()


def test_hiding_the_panel_clears_its_marks_and_an_exercise_hides_the_numbers(window, qtbot):
    s, panel = window.session, window.chain_rule
    s.select(Selection("edge", 1, 0, 0))
    assert s.highlighted
    window.training.docks["table"].raise_()
    qtbot.waitUntil(lambda: not panel.in_front)
    assert s.highlighted == ()
    window.teaching.open_file(resources_dir() / "exercises" / "xor-backprop-221.bpx.json")
    s.select(Selection("edge", 1, 0, 0))
    assert panel.result is None and "hidden during an exercise" in panel.view.toPlainText()


def test_the_error_signal_notation_shows_the_courses_sign(window):
    s, panel = window.session, window.chain_rule
    s.step_batch()
    s.select(Selection("edge", 1, 0, 0))
    assert "error-signal" not in panel.view.toPlainText()
    s.set_view_option("notation", "error_signal")
    text = panel.view.toPlainText()
    assert "In the error-signal notation the δ/Δw table shows −∂E/∂w₁₁⁽²⁾" in text
    s.select(Selection("neuron", 2, 0))
    assert "Δ = −δ" in panel.view.toPlainText()


def test_the_chain_rule_exports_as_png_svg_and_csv(window, tmp_path):
    import csv

    from PySide6.QtGui import QImage

    s, panel = window.session, window.chain_rule
    s.select(Selection("edge", 0, 1, 0))
    png = panel.export_button.export("png", str(tmp_path / "c.png"))
    assert QImage(str(png)).width() >= 800
    assert b"<svg" in panel.export_button.export("svg", str(tmp_path / "c.svg")).read_bytes()[:2000]
    out = panel.export_button.export("csv", str(tmp_path / "c.csv"))
    rows = list(csv.reader(open(out, encoding="utf-8")))
    cr = panel.result
    assert rows[0] == ["path", "route", "factors", "factor_values", "product"]
    assert rows[1][0] == "1" and rows[1][1] == "z₂⁽²⁾ > z₁⁽³⁾"
    product = 1.0
    for v in rows[1][3].split(" * "):
        product *= float(v)
    assert product == pytest.approx(float(rows[1][4]), rel=1e-12)
    assert rows[-1][0] == "sum" and float(rows[-1][4]) == cr.total
