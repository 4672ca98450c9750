"""The perceptron in the window (issue 14.8): the shipped example steps sample by sample with the rule
in the walkthrough and the table, and trains until every row of AND is right."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from tests.gui_helpers import answer_dialogs, shown_window


def test_a_student_steps_the_perceptron_example_until_and_is_learned(qtbot, monkeypatch):
    answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    s = w.session
    assert w.documents.open_example("perceptron-and")
    step = w.training.actions["step_sample"]
    assert step.isEnabled()
    before = s.network.weights[0].copy()
    step.trigger()
    trace = s.trace
    assert trace is not None and trace.rule == "perceptron"
    x, t = trace.inputs[0], trace.targets[0]
    o = trace.layers[1].a[0]
    np.testing.assert_array_equal(s.network.weights[0], before + 0.1 * np.outer(t - o, x))
    w.teaching.show_walkthrough()
    text = "\n".join(ln.text() for ln in w.teaching.panel.walkthrough.lines)
    assert "δ₁⁽²⁾ = a₁⁽²⁾ − t₁ = " in text  # written even when the answer was right (δ = 0)
    header = "\n".join(w.teaching.panel.walkthrough.header)
    assert "the perceptron rule" in header and "w ← w + η·(t − a)·x" in header
    table = w.training.table_panel
    horizontal = Qt.Orientation.Horizontal
    cols = [table.neuron_model.headerData(c, horizontal) for c in range(table.neuron_model.columnCount())]
    assert "δ" in cols
    for _ in range(40):  # ten epochs of four samples
        step.trigger()
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    np.testing.assert_array_equal(s.network.predict(X).ravel(), [0, 0, 0, 1])
