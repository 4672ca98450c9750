"""The 2-2-1 sigmoid network learns XOR from a fixed seed; the built-in XOR example trains."""

from __future__ import annotations

import numpy as np

from bpstudio.engine import Network, TrainConfig, Trainer
from bpstudio.workspace import load_example, trainer_for


def test_xor_learns_from_fixed_seed(xor_data):
    X, T = xor_data
    net = Network.create([2, 2, 1], "sigmoid", init="uniform", init_params={"r": 0.5}, seed=0)
    cfg = TrainConfig(optimiser="sgd", optimiser_params={"lr": 1.0}, batch_mode="online", seed=0)
    trainer = Trainer(net, cfg, X, T)
    trainer.run(epochs=2000)
    out = net.predict(X)[:, 0]
    assert np.all((out > 0.5) == (T[:, 0] > 0.5))
    assert trainer.history.accuracy["train"][-1] == 1.0


def test_builtin_xor_example_learns():
    project = load_example("xor")
    assert project.network.sizes == [2, 2, 1]
    assert project.network.activations == ["sigmoid", "sigmoid"]
    trainer, data = trainer_for(project)
    trainer.run(epochs=project.training.epochs)
    assert trainer.history.accuracy["train"][-1] == 1.0
    assert trainer.history.loss["train"][-1] < 0.01
