"""The Compare Runs dock (issue 15.3): add runs through the dialog, train them side by side in the
background, read their curves and the landscape's paths against the engine, stop, save, reopen and
open a run as a project."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from bpstudio.app import ui_scale
from bpstudio.compare import train_run
from bpstudio.engine.gradcheck import batch_loss
from tests.gui_helpers import answer_dialogs, shown_window, when_modal


@pytest.fixture
def window(qtbot, monkeypatch):
    box = answer_dialogs(monkeypatch)
    w = shown_window(qtbot)
    w.box = box
    w.docks["compareRunsDock"].show()
    w.docks["compareRunsDock"].raise_()
    yield w
    w.compare_runs.cancel()
    w.training.landscape_panel.task.cancel()
    w.training.shutdown()
    ui_scale.apply(1.0)


def add_through_dialog(qtbot, panel, fill) -> None:
    """Add Run… as a user does: the dialog opens, ``fill(dialog)`` sets its fields, OK."""

    def answer(dialog):
        fill(dialog)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    timer = when_modal("runDialog", answer)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    timer.stop()


def train(qtbot, panel, epochs: int) -> None:
    panel.epochs.setValue(epochs)
    with qtbot.waitSignal(panel.task.finished, timeout=60_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)


def test_runs_made_in_the_dialog_train_side_by_side_as_they_would_alone(window, qtbot):
    s, panel = window.session, window.compare_runs
    assert "Add up to 4 runs" in panel.message.text() and not panel.train_button.isEnabled()
    add_through_dialog(qtbot, panel, lambda d: None)  # the project's own settings
    add_through_dialog(
        qtbot,
        panel,
        lambda d: (d.optimiser.setCurrentIndex(d.optimiser.findData("momentum")), d.lr.setValue(0.3)),
    )
    assert [r.name for r in s.runs] == ["Run A", "Run B"]
    assert s.runs[0].changes == {} and s.runs[1].changes == {"optimiser": "momentum", "lr": 0.3}
    assert panel.table.item(1, 1).text() == "optimiser momentum, η = 0.3"
    start = [p.copy() for p in s.network.parameters()]
    expected = [train_run(s.project, r, 25) for r in s.runs]  # each alone, headless
    train(qtbot, panel, 25)
    assert panel.message.text() == "Done." and s.dirty
    for run, alone in zip(s.runs, expected):
        assert run.history.epochs == list(range(1, 26))
        np.testing.assert_array_equal(run.network.weights[0], alone.network.weights[0])
        assert run.history.loss["train"] == alone.history.loss["train"]
    # the project itself did not train; the curves are the runs' histories
    for a, b in zip(s.network.parameters(), start):
        np.testing.assert_array_equal(a, b)
    train_curve = panel.curves[1][0]
    x, y = train_curve.getOriginalDataset()
    np.testing.assert_array_equal(x, np.arange(1, 26))
    np.testing.assert_array_equal(y, s.runs[1].history.loss["train"])
    assert panel.table.item(1, 3).text() == f"{s.runs[1].history.loss['train'][-1]:.4g}"
    # the training loss after the last epoch is the loss of the run's network on the training set
    tr = s.trainer
    assert s.runs[1].history.loss["train"][-1] == pytest.approx(
        batch_loss(s.runs[1].network, s.runs[1].training, tr.X, tr.T), rel=1e-12
    )


def test_the_landscape_draws_each_runs_path_on_its_plane(window, qtbot):
    s, panel, land = window.session, window.compare_runs, window.training.landscape_panel
    s.add_run("A", {})
    s.add_run("B", {"optimiser": "adam", "lr": 0.05})
    train(qtbot, panel, 10)
    assert [len(s.run_paths[n]) for n in ("A", "B")] == [11, 11]  # the start and every epoch
    land.grid.setValue(7)
    with qtbot.waitSignal(land.task.finished, timeout=30_000):
        qtbot.mouseClick(land.compute_button, Qt.MouseButton.LeftButton)
    for i, run in enumerate(s.runs):
        x, y = land.run_items[i].getData()
        assert len(x) == 11
        # the plane is two weights: a run's point is those two weights' values
        w = run.network.weights[0]
        assert (x[-1], y[-1]) == pytest.approx((w[0, 0], w[0, 1]), abs=1e-12)
        assert (x[0], y[0]) == pytest.approx((s.network.weights[0][0, 0], s.network.weights[0][0, 1]))


def test_stop_keeps_what_was_trained_and_another_project_cancels(window, qtbot):
    s, panel = window.session, window.compare_runs
    s.add_run("A", {})
    panel.epochs.setValue(1_000_000)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.train_button.text() == "&Stop" and not panel.add_button.isEnabled() and s.runs_busy
    assert s.remove_run(0) is False  # the list cannot change while the runs train
    qtbot.waitUntil(
        lambda: s.runs[0].history is not None and len(s.runs[0].history.epochs) > 3, timeout=30_000
    )
    with qtbot.waitSignal(panel.task.finished, timeout=30_000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert panel.message.text().startswith("Stopped") and not s.runs_busy
    trained = s.runs[0].history.epochs[-1]
    assert 3 < trained < 1_000_000 and panel.table.item(0, 2).text() == str(trained)
    # opening another project while the runs train: training stops, nothing of it arrives
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    window.documents.open_example("xor")
    qtbot.waitUntil(lambda: not panel.task.running, timeout=30_000)
    assert s.runs == [] and panel.table.rowCount() == 0


def test_runs_are_saved_with_the_project_and_open_as_projects(window, qtbot, tmp_path):
    s, panel = window.session, window.compare_runs
    s.add_run("A", {})
    s.add_run("Fast", {"lr": 2.0, "seed": 7})
    train(qtbot, panel, 5)
    s.save(tmp_path / "runs.bps.json")
    window.documents.open_path(tmp_path / "runs.bps.json", ask=False)
    assert [r.name for r in s.runs] == ["A", "Fast"] and s.runs[1].history.epochs[-1] == 5
    assert panel.table.rowCount() == 2 and panel.table.item(1, 2).text() == "5"
    weights = s.runs[1].network.weights[1].copy()
    panel.table.selectRow(1)
    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert s.path is None and s.project.name.endswith("Fast") and s.runs == []
    np.testing.assert_array_equal(s.network.weights[1], weights)
    assert s.trainer.epoch == 5 and s.config.optimiser_params["lr"] == 2.0
    s.step_epoch()  # it goes on training as the run would have
    assert s.trainer.history.epochs[-1] == 6


def test_bad_runs_are_refused_with_a_reason(window, qtbot):
    s, panel = window.session, window.compare_runs
    for name in "ABCD":
        assert s.add_run(name, {}) is not None
    assert not panel.add_button.isEnabled()
    assert s.add_run("E", {}) is None
    assert window.box.warnings[-1][0] == "No room for another run"
    s.remove_run(3)
    assert s.add_run("A", {}) is None and "already a run named" in window.box.warnings[-1][1]
    assert s.add_run("X", {"lr": 0}) is None and "η must be" in window.box.warnings[-1][1]


def test_an_edit_of_the_layers_puts_the_runs_aside_and_undo_brings_them_back(window, qtbot, tmp_path):
    s, panel = window.session, window.compare_runs
    s.add_run("A", {})
    s.add_run("B", {"lr": 0.2})
    from bpstudio.app.session import Selection

    s.select(Selection("neuron", 1, 0))
    window.editor.add_neuron()  # the hidden layer grows: the runs no longer fit the project's data
    assert s.runs == [] and panel.table.rowCount() == 0
    s.save(tmp_path / "grown.bps.json")  # a valid file: no run of other layer sizes in it
    s.undo_stack.undo()
    assert [r.name for r in s.runs] == ["A", "B"] and panel.table.rowCount() == 2
    assert len(s.run_paths["A"]) == 1


@pytest.mark.parametrize("width", [330, 520, 900])
def test_the_loss_title_shows_whole_at_any_dock_width(qtbot, width):
    """In the 348-px right-hand column of a 1024×768 screen the long title was cut at its end."""
    from bpstudio.app.plots.common import title_width
    from bpstudio.app.session import Session
    from bpstudio.app.training.compare_panel import LOSS_TITLES, CompareRunsPanel

    panel = CompareRunsPanel(Session())
    qtbot.addWidget(panel)
    panel.resize(width, 700)
    panel.show()
    qtbot.waitExposed(panel)
    plot = panel.loss_plot
    vb = plot.vb

    def fits() -> bool:
        title = plot._bp_title[0]
        room = min(vb.width(), panel.plots.width() - vb.sceneBoundingRect().left())
        return title in LOSS_TITLES and 0 < title_width(plot, title) <= room

    qtbot.waitUntil(fits, timeout=3000)
    if width >= 520:
        assert plot._bp_title[0] == LOSS_TITLES[0]
    else:
        assert plot._bp_title[0] != LOSS_TITLES[0]
