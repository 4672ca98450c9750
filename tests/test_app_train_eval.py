"""Settings ▸ Epoch loss on (``TrainConfig.train_eval``): the choice reaches the trainer, and the loss
plot's legend says when a large training set's loss is measured on a subsample."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from bpstudio.app.plots.loss import LossPlotPanel
from bpstudio.app.session import Session
from bpstudio.app.training.settings_panel import SettingsPanel
from bpstudio.engine import History


def choose(box, data) -> None:
    i = box.findData(data)
    assert i >= 0, data
    box.setCurrentIndex(i)


def large_session(n: int) -> Session:
    session = Session()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    assert session.set_dataset({"inline": {"inputs": x.tolist(), "targets": y[:, None].tolist()}})
    return session


def test_the_legend_names_the_subsample_and_the_setting_turns_it_off(qtbot):
    session = large_session(5000)
    panel, settings = LossPlotPanel(session), SettingsPanel(session)
    for w in (panel, settings):
        qtbot.addWidget(w)
    panel.resize(420, 520)
    panel.show()
    assert session.trainer is not None and session.trainer.n_train == 5000
    assert settings.train_eval_box.currentData() == "auto"
    assert "4,096" in settings.train_eval_box.toolTip()
    assert [e[1] for e in panel.legend.entries] == ["training (1,250 of 5,000)"]
    session.step_epoch()
    tr = session.trainer
    assert tr.history.loss["train"][-1] == tr.evaluate(tr.X[::4], tr.T[::4])[0]
    header, cols = panel.csv_data()  # Export ▸ CSV names the subsample in its columns
    assert "train_loss_on_1250_of_5000" in header and "train_accuracy_on_1250_of_5000" in header
    assert cols[header.index("train_loss_on_1250_of_5000")][-1] == tr.history.loss["train"][-1]
    assert "train_samples" not in header
    choose(settings.train_eval_box, "all")
    assert session.config.train_eval == "all" and session.trainer.config.train_eval == "all"
    assert "however large" in settings.train_eval_box.toolTip()
    # the point plotted so far stays what it was: the legend describes the points, not the setting
    assert [e[1] for e in panel.legend.entries] == ["training (1,250 of 5,000)"]
    session.step_epoch()
    tr = session.trainer
    assert tr.history.loss["train"][-1] == tr.evaluate(tr.X, tr.T)[0]
    assert [e[1] for e in panel.legend.entries] == ["training (all 5,000 from epoch 2)"]
    header, cols = panel.csv_data()  # mixed: plain columns and each epoch's number of samples
    assert "train_loss" in header and "train_loss_on_1250_of_5000" not in header
    assert list(cols[header.index("train_samples")]) == [1250, 5000]
    # saved with the project and shown again when it is reopened
    session.sync_project()
    project = session.project
    assert project.training.to_dict()["train_eval"] == "all"
    assert project.history is not None
    assert project.history.to_dict()["train_basis"] == [[1, 1250, 5000], [2, 5000, 5000]]
    project.training.train_eval = "auto"
    session.set_project(project)
    assert settings.train_eval_box.currentData() == "auto"
    box = settings.train_eval_box
    assert box.itemData(0, Qt.ItemDataRole.ToolTipRole) == box.toolTip()
    assert [e[1] for e in panel.legend.entries] == ["training (all 5,000 from epoch 2)"]
    session.step_epoch()
    assert [e[1] for e in panel.legend.entries] == ["training (1,250 of 5,000 from epoch 3)"]
    assert session.undo_step()  # Undo Step takes the record of epoch 3 back with it
    assert [e[1] for e in panel.legend.entries] == ["training (all 5,000 from epoch 2)"]


def test_a_small_set_keeps_the_plain_legend(qtbot):
    session = large_session(4096)
    panel = LossPlotPanel(session)
    qtbot.addWidget(panel)
    assert [e[1] for e in panel.legend.entries] == ["training"]


def test_a_history_from_a_file_without_the_record_keeps_a_plain_legend_for_every_sample(qtbot):
    """A project saved before ``history.train_basis`` existed (or with every epoch on every sample,
    when nothing is written) reads as measured on every sample: training on keeps the plain legend,
    and a large set's subsample from then on is named with the epoch it began."""
    for n, expected in ((300, "training"), (5000, "training (1,250 of 5,000 from epoch 3)")):
        session = large_session(n)
        panel = LossPlotPanel(session)
        qtbot.addWidget(panel)
        session.project.training.train_eval = "all"
        session.set_project(session.project)
        session.step_epoch()
        session.step_epoch()
        session.sync_project()
        project = session.project
        assert project.history is not None and "train_basis" not in project.history.to_dict()
        project.training.train_eval = "auto"
        project.history = History.from_dict(project.history.to_dict())  # as written to a file
        session.set_project(project)  # as if reopened: no record of the two epochs so far
        assert session.trainer.history.train_basis == [] and len(session.trainer.history.epochs) == 2
        session.step_epoch()
        assert [e[1] for e in panel.legend.entries] == [expected]
