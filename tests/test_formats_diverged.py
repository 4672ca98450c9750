"""A project whose training diverged can be saved (issue 13, class 8): the weights stay finite (the
diverging update is refused) but the history holds ∞; such points are stored as null."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bpstudio.engine import DivergenceError, History, Network, TrainConfig, Trainer
from bpstudio.formats import Project, load_project, save_project
from bpstudio.workspace import update_project


def diverged() -> tuple[Project, Trainer]:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]) * 100
    T = np.array([[0.0], [1.0], [1.0], [0.0]])
    net = Network.create([2, 3, 1], ["identity", "identity"], seed=0)
    cfg = TrainConfig(loss="sse", optimiser_params={"lr": 1.0}, epochs=50, batch_mode="full")
    trainer = Trainer(net, cfg, X, T)
    with pytest.raises(DivergenceError):
        trainer.run(epochs=50)
    inline = {"inputs": X.tolist(), "targets": T.tolist()}
    project = Project(network=net, training=cfg, dataset={"inline": inline})
    update_project(project, trainer)
    return project, trainer


def test_a_diverged_project_saves_and_reads_back(tmp_path):
    project, trainer = diverged()
    assert not all(math.isfinite(x) for x in trainer.history.loss["train"])
    path = tmp_path / "diverged.bps.json"
    save_project(path, project)
    doc = json.loads(path.read_text())
    assert doc["history"]["loss"]["train"][-1] is None
    again = load_project(path)
    assert again.history.loss["train"][:-1] == trainer.history.loss["train"][:-1]
    assert all(np.array_equal(a, b) for a, b in zip(again.network.weights, trainer.network.weights))


def test_a_non_finite_per_update_point_reads_back_as_infinity():
    h = History()
    h.step_loss, h.grad_norms = [1.5, float("inf"), float("nan")], [[0.5], [float("inf")], [1.0]]
    data = h.to_dict()
    assert data["step_loss"] == [1.5, None, None] and data["grad_norms"] == [[0.5], [None], [1.0]]
    back = History.from_dict(json.loads(json.dumps(data)))
    assert back.step_loss[0] == 1.5 and math.isinf(back.step_loss[1]) and math.isinf(back.grad_norms[1][0])
