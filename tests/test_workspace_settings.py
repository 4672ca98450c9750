"""The settings and dataset panels: every control changes the session's settings, and only that."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from bpstudio.app.data.panel import DatasetPanel, image_side
from bpstudio.app.session import Session
from bpstudio.app.table.view import TraceTablePanel
from bpstudio.app.training.settings_panel import SettingsPanel
from bpstudio.engine import get_optimiser


@pytest.fixture
def panel(qtbot):
    session = Session()
    p = SettingsPanel(session)
    qtbot.addWidget(p)
    p.resize(400, 900)
    return p


def choose(box, data) -> None:
    i = box.findData(data)
    assert i >= 0, data
    box.setCurrentIndex(i)


def test_optimiser_parameters_come_from_the_registry(panel, qtbot):
    s = panel.session
    eta = get_optimiser(s.config.optimiser).hyper(s.config.optimiser_params)["lr"]
    said = []
    s.statusMessage.connect(said.append)
    choose(panel.optimiser_box, "adam")
    assert s.config.optimiser == "adam" and s.config.optimiser_params == {"lr": eta}
    assert said and f"η kept at {eta:g}" in said[-1] and "η = 0.001" in said[-1]
    adam = get_optimiser("adam")
    assert set(panel.param_boxes) == set(adam.defaults)
    for key, box in panel.param_boxes.items():
        assert box.value() == pytest.approx(eta if key == "lr" else adam.defaults[key])
        assert adam.parameter_help[key] in box.toolTip() and adam.formula in box.toolTip()
    box = panel.param_boxes["lr"]
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "2e-3")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert s.config.optimiser_params == {"lr": 0.002}
    assert s.trainer.hyper["lr"] == 0.002


def test_another_optimiser_keeps_the_users_learning_rate(panel, qtbot):
    """Issue 12, item 11: choosing Momentum used to reset η (0.5 → 0.1) without a word."""
    s = panel.session
    panel.param_boxes["lr"].setValue(0.5)
    choose(panel.optimiser_box, "momentum")
    assert s.config.optimiser_params["lr"] == 0.5 and panel.param_boxes["lr"].value() == 0.5
    assert panel.param_boxes["momentum"].value() == pytest.approx(0.9)
    choose(panel.optimiser_box, "nesterov")
    assert s.config.optimiser_params == {"lr": 0.5, "momentum": 0.9}
    assert s.trainer.hyper["lr"] == 0.5


def test_a_refused_value_is_put_back(panel, qtbot):
    s = panel.session
    choose(panel.optimiser_box, "momentum")
    errors = []
    s.errorOccurred.connect(lambda t, m: errors.append(m))
    panel.param_boxes["momentum"].setValue(1.0)  # α must be < 1
    assert errors and "momentum" in errors[0]
    assert s.config.optimiser_params.get("momentum", 0.9) == 0.9
    assert panel.param_boxes["momentum"].value() == pytest.approx(0.9)


def test_loss_reduction_batches_and_regularisation(panel, qtbot):
    s = panel.session
    choose(panel.loss_box, "sse")
    choose(panel.reduction_box, "sum")
    assert (s.config.loss, s.config.reduction) == ("sse", "sum")
    assert "Σₓ [Σₖ (tₖ − oₖ)²]" in panel.loss_formula.text()
    assert "that is E = Σₓ ‖t − a‖²" in panel.loss_formula.text()
    choose(panel.loss_box, "half_sse")
    choose(panel.reduction_box, "mean")
    s.set_view_option("letter_loss", "C")  # Nielsen's letters: the panel follows at once
    s.set_view_option("letter_target", "y")
    assert "that is C = 1/(2n)·Σₓ ‖y − a‖²" in panel.loss_formula.text()  # Nielsen's cost (issue 14.6)
    choose(panel.loss_box, "sse")
    choose(panel.reduction_box, "sum")
    assert not panel.batch_size_box.isEnabled()
    choose(panel.batch_box, "minibatch")
    assert panel.batch_size_box.isEnabled()
    panel.batch_size_box.setValue(3)
    assert (s.config.batch_mode, s.config.batch_size) == ("minibatch", 3)
    assert s.trainer.batch_size == 3
    panel.l2_box.setValue(0.01)
    panel.l1_box.setValue(0.001)
    assert (s.config.l1, s.config.l2) == (0.001, 0.01)
    assert "λ₂" in panel.l2_box.toolTip()
    panel.epochs_box.setValue(50)
    panel.target_check.setChecked(True)
    panel.target_box.setValue(0.02)
    assert s.config.epochs == 50 and s.config.target_loss == 0.02
    panel.target_check.setChecked(False)
    assert s.config.target_loss is None
    panel.early_box.setChecked(True)
    assert s.config.early_stopping
    assert "validation" in panel.early_note.text()  # XOR has no validation split


def test_every_control_has_a_tooltip(panel):
    from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QPushButton, QSpinBox

    widgets = [
        w
        for t in (QComboBox, QDoubleSpinBox, QSpinBox, QCheckBox, QPushButton)
        for w in panel.findChildren(t)
    ]
    assert len(widgets) > 15
    missing = [w for w in widgets if not w.toolTip() and not isinstance(w.parent(), QSpinBox)]
    assert missing == []


def test_activation_change_is_an_undoable_edit(panel, qtbot):
    s = panel.session
    choose(panel.activation_boxes[0], "tanh")
    assert s.network.activations == ["tanh", "sigmoid"]
    s.undo_stack.undo()
    assert s.network.activations == ["sigmoid", "sigmoid"]
    assert panel.activation_boxes[0].currentData() == "sigmoid"
    assert panel.activation_boxes[1].findData("softmax") >= 0  # softmax only for the output layer
    assert panel.activation_boxes[0].findData("softmax") < 0


def test_notation_flips_the_table(panel, qtbot):
    s = panel.session
    table = TraceTablePanel(s)
    qtbot.addWidget(table)
    s.step_batch()
    m = table.neuron_model
    headers = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]
    d = headers.index("δ")
    before = m.value(m.rowCount() - 1, d)
    choose(panel.notation_box, "error_signal")
    assert s.notation == "error_signal"
    headers = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())]
    assert "Δ" in headers and "−∂E/∂b" in headers
    assert m.value(m.rowCount() - 1, headers.index("Δ")) == -before


def test_reset_weights_uses_the_initialiser_and_seed(panel, qtbot):
    s = panel.session
    choose(panel.init_box, "normal")
    panel.seed_box.setValue(7)
    assert (s.config.init, s.config.seed) == ("normal", 7)
    panel.init_param_boxes["sigma"].setValue(0.25)
    assert s.config.init_params == {"sigma": 0.25}
    s.step_batch()
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    from bpstudio.engine import Network

    expect = Network.create([2, 2, 1], "sigmoid", init="normal", init_params={"sigma": 0.25}, seed=7)
    for a, b in zip(s.network.weights, expect.weights):
        np.testing.assert_array_equal(a, b)
    assert s.trainer.step_count == 0


# ---------------------------------------------------------------------------- dataset panel
@pytest.fixture
def dpanel(qtbot):
    session = Session()
    p = DatasetPanel(session)
    qtbot.addWidget(p)
    p.resize(400, 700)
    return p


def test_builtin_with_parameters_scaling_and_split(dpanel, qtbot):
    s = dpanel.session
    choose(dpanel.source_box, "moons")
    dpanel.param_widgets["n"].setValue(120)
    dpanel.param_widgets["noise"].setValue(0.1)
    assert dpanel.preview.currentWidget() is dpanel.scatter_widget
    assert len(dpanel.scatter.data) == 120
    choose(dpanel.scaling_box, "standardise")
    dpanel.val_box.setValue(0.25)
    qtbot.mouseClick(dpanel.apply_button, Qt.MouseButton.LeftButton)
    spec = s.project.dataset
    assert spec["builtin"] == "moons" and spec["params"]["n"] == 120 and spec["params"]["noise"] == 0.1
    assert spec["preprocessing"] == {"scaling": "standardise"}
    assert spec["split"]["val"] == 0.25
    assert s.trainer.n_train == 90 and s.trainer.val[0].shape[0] == 30
    assert abs(float(s.trainer.X.mean())) < 1e-9  # standardised on the training split


def test_a_dataset_that_does_not_fit_offers_the_suggested_network(dpanel, qtbot, monkeypatch):
    s = dpanel.session
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    choose(dpanel.source_box, "digits")
    assert dpanel.preview.currentWidget() is dpanel.image_widget
    assert image_side(dpanel.preview_dataset) == 8
    assert dpanel.apply()
    assert s.network.sizes == [64, 30, 10]
    assert s.network.activations == ["sigmoid", "softmax"]
    assert s.config.loss == "cce"
    assert s.trainer is not None and s.trainer.task == "multiclass"


def test_refusing_the_suggested_network_keeps_everything(dpanel, monkeypatch):
    s = dpanel.session
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    choose(dpanel.source_box, "iris")
    assert dpanel.preview.currentWidget() is dpanel.table_view
    assert not dpanel.apply()
    assert s.network.sizes == [2, 2, 1] and s.project.dataset["builtin"] == "xor"


def test_import_a_csv_file(dpanel, tmp_path, monkeypatch):
    s = dpanel.session
    path = tmp_path / "gate.csv"
    path.write_text("a,b,y\n0,0,1\n0,1,0\n1,0,0\n1,1,1\n", encoding="utf-8")
    assert dpanel.import_file(str(path), target="y")
    assert dpanel.source_box.currentData() == "__file__"
    assert dpanel.preview.currentWidget() is dpanel.scatter_widget
    assert dpanel.apply()
    assert s.project.dataset["file"] == str(path.resolve())
    np.testing.assert_array_equal(s.trainer.T[:, 0], [1, 0, 0, 1])


def test_a_bad_file_is_reported(dpanel, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    path = tmp_path / "bad.csv"
    path.write_text("a,b\nx,1\n", encoding="utf-8")
    assert not dpanel.import_file(str(path), target="nope")
    assert shown and "nope" in shown[0]


def test_formulas_on_screen_follow_the_notation(panel):
    """Issue 12.9: the loss hint kept δₖ = oₖ − tₖ under the error-signal notation, and the momentum
    formula reused δ and Δ for its velocity."""
    choose(panel.loss_box, "bce")
    choose(panel.optimiser_box, "momentum")
    assert "δₖ = oₖ − tₖ" in panel.loss_formula.text()
    choose(panel.notation_box, "error_signal")
    assert "Δₖ = tₖ − oₖ" in panel.loss_formula.text() and "δ" not in panel.loss_formula.text()
    formula = panel.optimiser_formula.text()
    assert formula.startswith("v ← α·v − η·∂E/∂w") and "δ" not in formula
    assert all("δ" not in box.toolTip() for box in panel.param_boxes.values())
    choose(panel.notation_box, "gradient")
    assert "δₖ = oₖ − tₖ" in panel.loss_formula.text()


def test_in_notation_rewrites_only_delta():
    from bpstudio.teaching.notation import in_notation

    assert in_notation("∂E/∂oₖ = oₖ − tₖ", "error_signal") == "∂E/∂oₖ = oₖ − tₖ"
    assert in_notation("with softmax outputs: δₖ = oₖ − tₖ", "error_signal").endswith("Δₖ = tₖ − oₖ")
    assert in_notation("δⱼ = f′(zⱼ)·Σ", "error_signal") == "−Δⱼ = f′(zⱼ)·Σ"
    assert in_notation("δₖ = oₖ − tₖ", "gradient") == "δₖ = oₖ − tₖ"


def test_a_project_saved_next_to_its_csv_names_it_relatively_and_travels_with_it(dpanel, tmp_path):
    """Issue 12.6: the CSV was stored as an absolute path, so a copied project + CSV folder read the
    original file (or failed once it was gone)."""
    import json
    import shutil

    s = dpanel.session
    folder = tmp_path / "lab"
    folder.mkdir()
    path = folder / "gate.csv"
    path.write_text("a,b,y\n0,0,1\n0,1,0\n1,0,0\n1,1,1\n", encoding="utf-8")
    assert dpanel.import_file(str(path), target="y") and dpanel.apply()
    s.save(folder / "gate.bps.json")
    stored = json.loads((folder / "gate.bps.json").read_text(encoding="utf-8"))["dataset"]["file"]
    assert stored == "gate.csv"
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    shutil.rmtree(folder)
    other = Session()
    other.open(copy / "gate.bps.json")
    assert other.trainer is not None, other.trainer_problem
    np.testing.assert_array_equal(other.trainer.T[:, 0], [1, 0, 0, 1])


def test_the_dataset_panel_shows_where_the_file_is_and_warns_when_outside(dpanel, tmp_path):
    """Issue 13.14: the resolved path is shown, with a warning for a file outside the project's folder."""
    s = dpanel.session
    far = tmp_path / "elsewhere"  # not in the project's folder, nor next to it
    far.mkdir(parents=True)
    path = far / "gate<b>.csv"  # the name is shown as text, never as markup
    path.write_text("a,b,y\n0,0,1\n0,1,0\n1,0,0\n1,1,1\n", encoding="utf-8")
    assert dpanel.import_file(str(path), target="y") and dpanel.apply()
    folder = tmp_path / "course" / "lab"
    folder.mkdir(parents=True)
    s.save(folder / "gate.bps.json")
    dpanel._update_preview()
    text = dpanel.info.text()
    assert "gate&lt;b&gt;.csv" in text and "Outside the project's folder" in text
    inside = folder / "gate.csv"
    inside.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert dpanel.import_file(str(inside), target="y") and dpanel.apply()
    dpanel._update_preview()
    assert str(inside) in dpanel.info.text() and "Outside" not in dpanel.info.text()


def test_float32_runs_are_a_setting_that_leaves_stepping_exact(panel, qtbot):
    s = panel.session
    assert panel.dtype_box.currentData() == "float64"
    assert "float32" in panel.dtype_box.itemData(1, Qt.ItemDataRole.ToolTipRole)
    choose(panel.dtype_box, "float32")
    assert s.config.dtype == "float32" and s.trainer.config.dtype == "float32"
    assert "walkthrough" in panel.dtype_box.toolTip()
    s.step_epoch()  # the fast loop: float32, the network keeps float64 arrays of float32 values
    assert s.trainer.config.dtype == "float32"
    for w in s.network.parameters():
        assert w.dtype == np.float64
        np.testing.assert_array_equal(w, w.astype(np.float32))
    trace = s.step_batch()  # a traced step: float64 arithmetic
    assert trace is not None
    assert any(not np.array_equal(u.W_after, u.W_after.astype(np.float32)) for u in trace.updates)
    # a project opened with the other setting shows it
    project = s.project
    project.training.dtype = "float64"
    s.set_project(project)
    assert panel.dtype_box.currentData() == "float64"
