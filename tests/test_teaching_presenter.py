"""One presenter of a step for every view: which trace, signs, labels and names in a notation."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from bpstudio.app.canvas.scene import Hit
from bpstudio.app.main_window import MainWindow
from bpstudio.app.session import Selection
from bpstudio.app.table.model import RawRole
from bpstudio.engine import Network
from bpstudio.formats import ViewOptions
from bpstudio.teaching.labels import fmt
from bpstudio.teaching.notation import Notation
from bpstudio.teaching.presenter import QUANTITIES, TracePresenter, notation_from_view
from bpstudio.teaching.tables import caption, neuron_columns, neuron_table, weight_columns, weight_table
from bpstudio.workspace import load_example, trainer_for


@pytest.fixture
def stepped():
    trainer, _data = trainer_for(load_example("xor"))
    trace = trainer.step_batch()
    return trainer.network, trace


def test_error_signal_negates_delta_and_gradients_and_relabels(stepped):
    net, trace = stepped
    grad = TracePresenter(net, trace, Notation(convention="gradient"))
    err = TracePresenter(net, trace, Notation(convention="error_signal"))
    for l in range(len(net.sizes)):
        d = grad.delta(l)
        if d is not None:
            np.testing.assert_array_equal(err.delta(l), -d)
            np.testing.assert_array_equal(d, trace.layers[l].delta)
    for l in range(net.n_layers):
        np.testing.assert_array_equal(err.grad_W(l), -trace.updates[l].grad_W)
        np.testing.assert_array_equal(err.grad_b(l), -trace.updates[l].grad_b)
    assert (grad.label("delta"), err.label("delta")) == ("δ", "Δ")
    assert (grad.label("grad_w"), err.label("grad_w")) == ("∂E/∂w", "−∂E/∂w")
    assert grad.sign == 1.0 and err.sign == -1.0
    # every quantity reads differently in the two conventions, and the tables use the labels
    signed = {k: q for k, q in QUANTITIES.items() if k != "change_b"}  # Δb is Δb in both
    assert all(q.label(grad.notation) != q.label(err.notation) for q in signed.values())
    assert "Δ" in neuron_table(err).columns and "−∂E/∂w" in weight_table(err).columns
    assert "δ" in neuron_table(grad).columns and "∂E/∂w" in weight_table(grad).columns


def test_the_course_letters_label_the_tables_columns_and_tips(stepped):
    net, trace = stepped
    rn = TracePresenter(net, trace, Notation().with_preset("russell_norvig"))
    cols, tips = neuron_columns(rn)
    assert cols[:4] == ["in", "a", "f′(in)", "Δ"] and tips[0].startswith("net input in = ")
    assert rn.label("grad_w") == "−∂E/∂w" and rn.label("delta_meaning") == "−∂E/∂in"
    bmb = TracePresenter(net, trace, Notation().with_preset("bmb3015"))
    assert bmb.label("delta") == "δ" and bmb.label("grad_w") == "−∂J/∂w"  # δ = (y − a)·g′(z) there
    assert "−∂J/∂w" in weight_table(bmb).columns
    _, wtips = weight_columns(bmb)
    assert "−α·∂J/∂w" in wtips[2]  # learning rate α in BMB3015
    nielsen = TracePresenter(net, trace, Notation().with_preset("nielsen"))
    assert nielsen.label("grad_b") == "∂C/∂b" and nielsen.names.weight(1, 0, 1) == "w₁₂⁽³⁾"
    assert TracePresenter(net, trace, Notation(act="o")).names.neuron(1, 0) == "o₁⁽²⁾"


def test_a_trace_of_another_network_shape_is_not_shown(stepped):
    net, trace = stepped
    wider = Network.create([2, 3, 1], ["sigmoid", "sigmoid"], seed=1)
    p = TracePresenter(wider, trace, Notation())
    assert p.trace is None and p.source == "none" and p.delta(1) is None and p.update(0) is None
    assert caption(p).startswith("No step yet")
    # the weight table still lists the network's weights, with blanks where a step would go
    table = weight_table(p)
    assert np.isfinite(table.values[:, 0]).all() and np.isnan(table.values[:, 1:3]).all()


def test_names_follow_the_notation():
    default = notation_from_view(ViewOptions())
    assert default.bias == "b"  # the app shows a bias as a value unless the project says otherwise
    n = default.names
    assert (n.neuron(1, 0), n.weight(0, 0, 1), n.bias(0, 0)) == ("a₁⁽²⁾", "w₁₂⁽¹⁾", "b₁⁽²⁾")
    nielsen = notation_from_view(
        ViewOptions({"walkthrough_layer_base": 0, "walkthrough_weight_index": "target", "bias_style": "node"})
    ).names
    assert (nielsen.neuron(1, 0), nielsen.weight(0, 0, 1), nielsen.bias(0, 0)) == (
        "a₁⁽¹⁾",
        "w₁₂⁽¹⁾",
        "w₁₀⁽¹⁾",
    )
    assert nielsen.layer(2) == 2 and n.layer(2) == 3
    assert n.neuron(0, 2) == "x₃" and n.neuron(1, 2, "index") == "3" and n.neuron(1, 2, "none") == ""


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_before_the_first_step_the_table_shows_the_forward_pass_the_canvas_shows(window, qtbot):
    s = window.session
    assert s.trace is None
    p = s.presenter()
    assert p.is_preview and p.trace is not None
    panel = window.training.table_panel
    panel.refresh()
    model = panel.neuron_model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    zc, ac, dc = headers.index("z"), headers.index("a"), headers.index("δ")
    row = model.find_row(1, 0)  # neuron 1 of layer 2
    a = float(p.trace.layers[1].a[0, 0])
    assert model.data(model.index(row, zc), RawRole) == pytest.approx(float(p.trace.layers[1].z[0, 0]))
    assert model.data(model.index(row, ac), RawRole) == pytest.approx(a)
    assert model.data(model.index(row, dc), RawRole) is None  # no backward pass in a preview
    assert panel.caption.text().startswith("Forward pass of sample 1")
    # the canvas writes the same activation on that neuron
    scene = window.canvas.network_scene
    scene.flush()
    assert f"a = {fmt(a, int(s.view_option('precision')))}" in scene.layer_items[1].value_lines[0]


def test_every_view_names_a_neuron_and_a_weight_in_the_notation(window, qtbot):
    s = window.session
    s.set_view_option("walkthrough_layer_base", 0)
    s.set_view_option("walkthrough_weight_index", "target")
    s.select(Selection("neuron", 1, 0))
    text = window.inspector.text()
    assert "a₁⁽¹⁾" in text and "of layer 1 " in text
    s.select(Selection("edge", 0, 0, 1))
    assert "w₁₂⁽¹⁾" in window.inspector.text()  # enters layer 1 (the input layer is 0)
    panel = window.training.table_panel
    panel.refresh()
    model = panel.neuron_model
    assert model.name(model.find_row(1, 0), 1) == "a₁⁽¹⁾"
    scene = window.canvas.network_scene
    assert scene.describe(Hit("neuron", 1, 0)).startswith("a₁⁽¹⁾ — neuron 1 of layer 1")
    # a notation change refreshes the table at once
    s.set_view_option("walkthrough_layer_base", 1)
    assert model.name(model.find_row(1, 0), 1) == "a₁⁽²⁾"


def test_stage_names_follow_the_layer_numbering():
    """The engine's ``forward 1`` computes the first hidden layer: layer 2 in the notes, layer 1 with
    the input numbered 0 (issue 12.4); loss and update keep their names."""
    from bpstudio.teaching.labels import Names

    notes, zero = Names(layer_base=1), Names(layer_base=0)
    assert notes.stage("forward 1") == "forward, layer 2"
    assert notes.stage("backward 2") == "backward, layer 3"
    assert zero.stage("forward 1") == "forward, layer 1"
    assert zero.stage("backward 2") == "backward, layer 2"
    assert notes.stage("loss") == "loss" and zero.stage("update") == "update"
