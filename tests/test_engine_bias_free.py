"""Layers without biases (issue 14.9): 001's chain a⁽ᴸ⁾ = σ(w⁽ᴸ⁾a⁽ᴸ⁻¹⁾) and 004's NumPy loop.

A layer without biases computes z = W·a; its biases are exactly 0 and never change. Checked against the
independent autograd reference (where b is simply 0), between the traced step and the fast loop, over
every optimiser, through edits, the gradient check and the file formats.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_reference import reference_gradients

from bpstudio.engine import EngineError, Network, TrainConfig, Trainer, edits
from bpstudio.engine.gradcheck import gradient_check
from bpstudio.engine.optimisers import OPTIMISERS


def _net(sizes, use_bias, acts="sigmoid", seed=0) -> Network:
    net = Network.create(sizes, acts, seed=seed)
    for i, used in enumerate(use_bias):
        if not used:
            net.set_use_bias(i, False)
    return net


def _data(n=12, n_in=3, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.random((n, n_out))


@pytest.mark.parametrize("seed", range(8))
def test_gradients_agree_with_autograd_and_the_missing_biases_get_none(seed):
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(1, 5, size=int(rng.integers(2, 5)))]
    use_bias = [bool(u) for u in rng.integers(0, 2, size=len(sizes) - 1)]
    net = _net(sizes, use_bias, acts=str(rng.choice(["sigmoid", "tanh", "softplus"])), seed=seed)
    X, T = rng.normal(size=(5, sizes[0])), rng.random((5, sizes[-1]))
    trainer = Trainer(net.copy(), TrainConfig(loss="half_sse", reduction="mean"), X, T)
    trace = trainer.begin_step(list(range(5))).run_until("backward 1")
    ref = reference_gradients(net, "half_sse", "mean", X, T)
    for i, up in enumerate(trace.updates):
        np.testing.assert_allclose(up.grad_W, ref[2 * i], rtol=1e-10, atol=1e-13)
        if use_bias[i]:
            np.testing.assert_allclose(up.grad_b, ref[2 * i + 1], rtol=1e-10, atol=1e-13)
        else:
            assert not np.any(up.grad_b)


@pytest.mark.parametrize("optimiser", sorted(OPTIMISERS.names()))
def test_the_traced_step_and_the_fast_loop_stay_bit_identical_and_the_biases_stay_zero(optimiser):
    X, T = _data()
    net = _net([3, 4, 2], [False, True])
    cfg = TrainConfig(optimiser=optimiser, batch_mode="minibatch", batch_size=4, seed=0, l2=0.01)
    fast, traced = Trainer(net.copy(), cfg, X, T), Trainer(net.copy(), cfg, X, T)
    fast.run(epochs=3)
    while traced.epoch < 3:
        traced.step_batch()
    assert [p.tobytes() for p in fast.network.parameters()] == [
        p.tobytes() for p in traced.network.parameters()
    ]
    assert not np.any(fast.network.biases[0]) and np.any(fast.network.biases[1])
    assert not np.array_equal(fast.network.weights[0], net.weights[0])


def test_a_bias_taken_away_after_training_with_momentum_stays_zero():
    X, T = _data()
    net = _net([3, 4, 2], [True, True])
    trainer = Trainer(net, TrainConfig(optimiser="momentum", batch_mode="full"), X, T)
    trainer.run(epochs=5)
    assert np.any(trainer.opt_state["velocity"][1])  # the first bias's velocity is not 0
    trainer.network.set_use_bias(0, False)
    trainer.run(epochs=3)
    trainer.step_batch()
    assert not np.any(trainer.network.biases[0])


def test_the_network_refuses_biases_on_a_layer_without_and_counts_parameters():
    net = _net([2, 2, 1], [False, True])
    assert net.n_parameters() == 4 + 2 + 1 and not net.has_bias(0) and net.has_bias(1)
    with pytest.raises(EngineError, match="has no biases"):
        edits.set_bias(net, 0, 0, 0.5)
    bad = net.copy()
    bad.biases[0] = np.array([0.1, 0.0])
    with pytest.raises(EngineError, match="use_bias"):
        bad.validate()
    net.initialise("uniform", seed=3)
    assert not np.any(net.biases[0])
    back = net.copy()
    assert back.use_bias == [False, True]


def test_edits_keep_each_layers_bias_setting():
    init = edits.Initial()
    net = _net([2, 3, 1], [True, False])
    edits.insert_layer(net, 1, 4, "tanh", init)  # 2-4-3-1: the layer after the new one keeps its setting
    assert net.use_bias == [True, True, False] and not np.any(net.biases[2])
    edits.resize_layer(net, 3, 2, init)
    assert net.use_bias == [True, True, False] and not np.any(net.biases[2])
    edits.remove_layer(net, 2, init)  # 2-4-2: the layer after the removed one keeps its setting
    assert net.use_bias == [True, False] and not np.any(net.biases[1])
    edits.insert_layer(net, 3, 1, "sigmoid", init)
    edits.insert_layer(net, 0, 2, "sigmoid", init)
    assert net.use_bias == [True, True, False, True]
    edits.remove_layer(net, 0, init)
    edits.remove_layer(net, net.n_layers, init)
    assert net.use_bias == [True, False]


def test_the_gradient_check_leaves_out_the_missing_biases():
    X, T = _data(n=4)
    net = _net([3, 2, 2], [False, True])
    report = gradient_check(net, TrainConfig(), X, T)
    assert all(layer.max_rel_error_W < 1e-6 for layer in report)
    assert report[0].checked == 6 and report[1].checked == 6  # 6 weights; then 4 weights and 2 biases


def test_projects_and_weights_files_keep_the_setting_and_refuse_biases_where_there_are_none(tmp_path):
    import json

    from bpstudio.formats import FormatError, Project, load_project, save_project
    from bpstudio.formats.project import load_weights, save_weights

    net = _net([2, 2, 1], [True, False])
    save_project(tmp_path / "p.bps.json", Project(net))
    back = load_project(tmp_path / "p.bps.json")
    assert back.network.use_bias == [True, False]
    doc = json.loads((tmp_path / "p.bps.json").read_text(encoding="utf-8"))
    assert doc["network"]["use_bias"] == [True, False]
    # files of networks with every bias do not change: no use_bias member
    save_project(tmp_path / "q.bps.json", Project(_net([2, 2, 1], [True, True])))
    assert "use_bias" not in json.loads((tmp_path / "q.bps.json").read_text(encoding="utf-8"))["network"]
    doc["network"]["biases"][1] = [0.5]
    (tmp_path / "bad.bps.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FormatError, match=r"network\.biases\[1\].*without biases"):
        load_project(tmp_path / "bad.bps.json")
    doc["network"]["biases"][1] = [0.0]
    doc["network"]["use_bias"] = [True]
    (tmp_path / "bad.bps.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FormatError, match="use_bias"):
        load_project(tmp_path / "bad.bps.json")
    save_weights(tmp_path / "w.json", net)
    assert load_weights(tmp_path / "w.json").use_bias == [True, False]
