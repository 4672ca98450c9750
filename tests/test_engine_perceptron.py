"""Threshold units and the perceptron rule (issue 14.8, the BMB3015 notes): a single layer of step or
sign units learns w ← w + η·(t − o)·x; it learns AND, OR and majority but never XOR."""

from __future__ import annotations

import numpy as np
import pytest

from bpstudio.cli import main
from bpstudio.data.builtins import load_builtin
from bpstudio.engine import Network, TrainConfig, Trainer, TrainingRefused, get_activation, learning_rule
from bpstudio.engine.optimisers import OPTIMISERS
from bpstudio.teaching import Attempt, Exercise
from bpstudio.teaching.notation import Notation
from bpstudio.teaching.numbers import format_number
from bpstudio.teaching.walkthrough import build_walkthrough


def gate(name: str, encoding: str = "01"):
    ds = load_builtin(name, {"encoding": encoding})
    return ds.X, ds.T


def perceptron(n_in: int, unit: str, seed: int = 0, lr: float = 0.1, **cfg) -> tuple[Network, TrainConfig]:
    net = Network.create([n_in, 1], unit, seed=seed)
    return net, TrainConfig(optimiser_params={"lr": lr}, batch_mode="online", seed=seed, **cfg)


def test_sign_is_plus_or_minus_one_and_has_no_slope():
    sign = get_activation("sign")
    z = np.array([[-2.0, -0.0, 0.0, 1e-300, 3.0]])
    np.testing.assert_array_equal(sign.fn(z), [[-1, -1, -1, 1, 1]])
    assert not sign.trainable and not np.any(sign.grad(z, sign.fn(z)))


def test_which_networks_learn_and_how():
    assert learning_rule(Network.create([2, 2, 1], "sigmoid")) == "backprop"
    assert learning_rule(Network.create([2, 1], "step")) == "perceptron"
    assert learning_rule(Network.create([3, 2], "sign")) == "perceptron"
    assert learning_rule(Network.create([2, 2, 1], "step")) is None
    assert learning_rule(Network.create([2, 2, 1], ["sigmoid", "step"])) is None
    X, T = gate("xnor")
    deep = Trainer(Network.create([2, 2, 1], "step"), TrainConfig(), X, T)
    with pytest.raises(TrainingRefused, match="perceptron rule"):
        deep.step_batch()
    single = Trainer(Network.create([2, 1], "step"), TrainConfig(loss="bce"), X, T)
    with pytest.raises(TrainingRefused, match="squared error"):
        single.step_batch()


@pytest.mark.parametrize(
    ("name", "encoding", "unit", "learnable"),
    [
        ("and", "01", "step", True),
        ("or", "01", "step", True),
        ("majority", "01", "step", True),
        ("and", "pm1", "sign", True),
        ("majority", "pm1", "sign", True),
        ("xor", "01", "step", False),
        ("xor", "pm1", "sign", False),
    ],
)
def test_the_perceptron_learns_what_is_linearly_separable_and_never_xor(name, encoding, unit, learnable):
    X, T = gate(name, encoding)
    for seed in range(5):
        net, cfg = perceptron(X.shape[1], unit, seed=seed, shuffle=True)
        trainer = Trainer(net, cfg, X, T)
        solved_at = None
        for epoch in range(1, 101):
            trainer.run(epochs=1)
            if np.array_equal(net.predict(X), T):
                solved_at = epoch
                break
        if learnable:
            assert solved_at is not None, f"{name} not learned from seed {seed}"
            trainer.run(epochs=5)  # once every sample is right, the rule changes nothing
            assert np.array_equal(net.predict(X), T)
        else:
            assert solved_at is None


def test_each_update_is_the_rule_by_hand():
    X, T = gate("or")
    net, cfg = perceptron(2, "step", lr=0.25, shuffle=False)
    trainer = Trainer(net, cfg, X, T)
    for _ in range(12):
        W, b = net.weights[0].copy(), net.biases[0].copy()
        trace = trainer.step_sample()
        x, t = trace.inputs[0], trace.targets[0]
        o = (W @ x + b > 0).astype(float)
        np.testing.assert_array_equal(net.weights[0], W + 0.25 * np.outer(t - o, x))
        np.testing.assert_array_equal(net.biases[0], b + 0.25 * (t - o))
        assert trace.rule == "perceptron" and np.array_equal(trace.layers[1].delta[0], o - t)


@pytest.mark.parametrize("optimiser", sorted(OPTIMISERS.names()))
@pytest.mark.parametrize("unit", ["step", "sign"])
def test_the_traced_step_and_the_fast_loop_agree_bit_for_bit(optimiser, unit):
    X, T = gate("majority", "01" if unit == "step" else "pm1")
    net = Network.create([3, 1], unit, seed=2)
    cfg = TrainConfig(optimiser=optimiser, batch_mode="minibatch", batch_size=3, seed=4)
    fast, traced = Trainer(net.copy(), cfg, X, T), Trainer(net.copy(), cfg, X, T)
    fast.run(epochs=4)
    while traced.epoch < 4:
        traced.step_batch()
    assert [p.tobytes() for p in fast.network.parameters()] == [
        p.tobytes() for p in traced.network.parameters()
    ]
    assert fast.history.step_loss == traced.history.step_loss


def test_the_walkthrough_writes_the_rule_and_an_exercise_asks_for_it(tmp_path):
    X, T = gate("and")
    net, cfg = perceptron(2, "step", lr=0.5, shuffle=False)
    trace = Trainer(net.copy(), cfg, X, T).begin_step([3]).finish()
    text = build_walkthrough(trace, net, cfg, Notation()).to_text()
    assert "the perceptron rule for a layer of threshold units, w ← w + η·(t − a)·x" in text
    assert "δ₁⁽²⁾ = a₁⁽²⁾ − t₁" in text
    rn = build_walkthrough(trace, net, cfg, Notation().with_preset("russell_norvig")).to_text()
    assert "w ← w + α·(y − a)·x" in rn and "Δ₃ = y₃ − a₃" in rn and "a₃ = step(in₃)" in rn

    from bpstudio.formats import Project
    from bpstudio.formats.dataset import DatasetSpec

    project = Project(net, training=cfg, dataset=DatasetSpec({"builtin": "and"}))
    ex = Exercise(project=project, title="AND", samples=[3], stop_after="update")
    attempt = Attempt.for_exercise(ex, "Ana")
    kinds = {q.kind for q in ex.questions()}
    assert {"delta", "new_w"} <= kinds and "fprime" not in kinds
    for key in attempt.keys():
        assert attempt.submit(key, format_number(attempt.question(key).value)).correct
    path = tmp_path / "p.bps.json"
    from bpstudio.formats import save_project

    save_project(path, project)
    assert main(["walkthrough", str(path), "--samples", "3"]) == 0
