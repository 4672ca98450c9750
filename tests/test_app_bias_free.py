"""A layer without biases in the window (issue 14.9): Network ▸ Layer Has Biases, as a user would."""

from __future__ import annotations

import numpy as np

from bpstudio.app.canvas.scene import Hit
from bpstudio.app.session import Selection
from tests.gui_helpers import answer_dialogs, shown_window


def test_a_user_takes_a_layers_biases_away_and_every_view_follows(qtbot, monkeypatch):
    boxes = answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    s, editor = w.session, w.editor
    s.select(Selection("neuron", 2, 0))  # the output neuron of XOR's 2-2-1
    act = editor.act_layer_bias
    assert act.isEnabled() and act.isChecked()
    act.trigger()
    assert s.network.use_bias == [True, False] and not np.any(s.network.biases[1])
    assert not act.isChecked() and w.canvas.network_scene.describe(Hit("neuron", 2, 0)).endswith("no bias")
    # training leaves the missing bias at 0; the table and the walkthrough have no bias for it
    s.step_batch()
    assert not np.any(s.network.biases[1])
    table = w.training.table_panel
    keys = [table.weight_model.row_key(r) for r in range(table.weight_model.rowCount())]
    assert (1, 0, -1) not in keys and (0, 0, -1) in keys
    w.teaching.show_walkthrough()
    text = "\n".join(ln.text() for ln in w.teaching.panel.walkthrough.lines)
    assert "z₁⁽³⁾ = w₁₁⁽²⁾·a₁⁽²⁾ + w₁₂⁽²⁾·a₂⁽²⁾ =" in text and "b₁⁽³⁾" not in text
    # editing its bias is refused with a reason; Undo gives the biases back
    s.select(Selection("neuron", 2, 0))
    editor.edit_value()
    assert boxes.warnings and "no biases" in boxes.warnings[-1][1]
    s.undo_stack.undo()  # the step
    s.undo_stack.undo()  # the edit
    assert s.network.use_bias == [True, True]
    s.select(Selection("neuron", 2, 0))
    assert act.isChecked()
    # the input layer has no biases to take away
    s.select(Selection("neuron", 0, 0))
    assert not act.isEnabled()
