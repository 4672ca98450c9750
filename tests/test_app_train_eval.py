"""Settings ▸ Epoch loss on (``TrainConfig.train_eval``): the choice reaches the trainer, and the loss
plot's legend says when a large training set's loss is measured on a subsample."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from bpstudio.app.plots.loss import LossPlotPanel
from bpstudio.app.session import Session
from bpstudio.app.training.settings_panel import SettingsPanel


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
    choose(settings.train_eval_box, "all")
    assert session.config.train_eval == "all" and session.trainer.config.train_eval == "all"
    assert [e[1] for e in panel.legend.entries] == ["training"]
    assert "train_loss" in panel.csv_data()[0]
    assert "however large" in settings.train_eval_box.toolTip()
    session.step_epoch()
    tr = session.trainer
    assert tr.history.loss["train"][-1] == tr.evaluate(tr.X, tr.T)[0]
    # saved with the project and shown again when it is reopened
    project = session.project
    assert project.training.to_dict()["train_eval"] == "all"
    project.training.train_eval = "auto"
    session.set_project(project)
    assert settings.train_eval_box.currentData() == "auto"
    box = settings.train_eval_box
    assert box.itemData(0, Qt.ItemDataRole.ToolTipRole) == box.toolTip()
    assert [e[1] for e in panel.legend.entries] == ["training (1,250 of 5,000)"]


def test_a_small_set_keeps_the_plain_legend(qtbot):
    session = large_session(4096)
    panel = LossPlotPanel(session)
    qtbot.addWidget(panel)
    assert [e[1] for e in panel.legend.entries] == ["training"]
