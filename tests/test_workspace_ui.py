"""The workspace inside the studio window: docks, the Train menu and toolbar, keys, closing mid-run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from bpstudio.app.session import Selection
from tests.gui_helpers import shown_window

TIMEOUT = 30_000


@pytest.fixture
def dialogs(monkeypatch):
    """Message boxes are answered at once (a modal box would block the test); their texts are kept."""
    shown = []

    def answer(kind, reply):
        def box(_parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return reply

        return box

    monkeypatch.setattr(QMessageBox, "warning", answer("warning", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "question", answer("question", QMessageBox.StandardButton.Discard))
    return shown


@pytest.fixture
def window(qtbot, dialogs):
    w = shown_window(qtbot)
    yield w
    w.training.shutdown()
    w.session.undo_stack.setClean()
    w.session._trained_since_save = False


def test_install_adds_docks_menu_and_toolbar(window):
    ws = window.training
    for name in (
        "trainingSettingsDock",
        "datasetDock",
        "traceTableDock",
        "lossDock",
        "boundaryDock",
        "gradientsDock",
    ):
        assert name in window.docks
    texts = [a.text().replace("&", "") for a in window.menus["train"].actions() if not a.isSeparator()]
    assert texts == [
        "Next Stage",
        "Step Sample",
        "Step Batch",
        "Step Epoch",
        "Run",
        "Undo Step",
        "Reset Weights",
        "Gradient Check…",
        "Compare Runs…",
    ]
    assert window.menus["train"].menuAction().isVisible()
    bar = window.toolbars["train"]
    assert ws.speed_box in [bar.widgetForAction(a) for a in bar.actions()]
    assert "(Space)" in ws.actions["run"].toolTip()


def test_keys_step_run_pause_and_undo(window, qtbot):
    ws, s = window.training, window.session
    qtbot.keyClick(window, Qt.Key.Key_F6)
    assert s.micro is not None and s.trace.stages_done == ["forward 1"]
    assert ws.table_panel.neuron_model.highlight_layer == 1
    # stages are numbered like the layers everywhere else: the output of 2-2-1 is layer 3 (issue 12.4)
    assert "next stage: forward, layer 3" in ws.status.text()
    s.set_view_option("walkthrough_layer_base", 0)
    assert "next stage: forward, layer 2" in ws.status.text()
    s.set_view_option("walkthrough_layer_base", 1)
    qtbot.keyClick(window, Qt.Key.Key_F8)  # finishes the step in progress
    assert s.micro is None and s.trace.applied
    qtbot.keyClick(window, Qt.Key.Key_F7)
    qtbot.keyClick(window, Qt.Key.Key_F9)
    assert s.trainer.epoch == 1
    ws.settings_panel.epochs_box.setValue(10_000_000)  # a run that lasts until it is paused
    with qtbot.waitSignal(ws.runner.progress, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert s.running and ws.actions["run"].isChecked() and not ws.actions["step_batch"].isEnabled()
    assert ws.actions["run"].text() == "&Pause"
    with qtbot.waitSignal(ws.runner.finished, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not s.running and ws.actions["step_batch"].isEnabled()
    epoch = s.trainer.epoch
    assert epoch > 1
    qtbot.keyClick(window, Qt.Key.Key_Backspace, Qt.KeyboardModifier.ControlModifier)
    assert s.trainer.epoch == 1  # the run is undone
    assert ws.loss_panel.raw_curve.getOriginalDataset()[1].size == len(s.trainer.history.step_loss)


def test_speed_control_reaches_the_runner(window):
    ws = window.training
    ws.speed_box.setCurrentIndex(0)
    assert ws.runner.speed == 1.0
    ws.speed_box.setCurrentIndex(ws.speed_box.count() - 1)
    assert ws.runner.speed == 0.0


def test_closing_the_window_stops_the_run_first(window, qtbot, monkeypatch, dialogs):
    ws, s = window.training, window.session
    asked = []

    def question(*args, **kwargs):
        asked.append(s.running)  # the prompt sees a stopped run
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", question)
    with qtbot.waitSignal(ws.runner.progress, timeout=TIMEOUT):
        ws.runner.start(epochs=10_000_000)
    assert window.close()
    assert asked == [False]
    assert not ws.runner.running and not s.running


def test_cannot_train_yet_clears_once_the_dataset_fits(window, qtbot):
    """Issue 12.13: the status bar kept "cannot train yet" after the dataset was fixed."""
    s = window.session
    window.canvas.setFocus()
    s.select(Selection("neuron", 0, 0))
    window.editor.add_neuron()  # three inputs: XOR's two columns no longer fit
    assert s.trainer is None and "cannot train yet" in window.summary.text()
    assert window.statusBar().currentMessage().startswith("Cannot train yet")
    assert "Cannot train yet" in window.training.status.text()
    inputs = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 1]]
    assert s.set_dataset({"inline": {"inputs": inputs, "targets": [[0], [1], [1], [0]]}})
    assert s.trainer is not None
    assert "cannot train yet" not in window.summary.text()
    assert window.statusBar().currentMessage() == ""
    assert "Cannot train" not in window.training.status.text()
    assert window.training.actions["step_batch"].isEnabled()
