"""The opt-in float32 fast loop (``TrainConfig.dtype = "float32"``, issue 18.3).

The network keeps float64 arrays; a run computes in float32 and leaves float32-representable values in
them; traced steps stay float64; pausing and resuming changes nothing; results agree with float64 to
float32's precision.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bpstudio.engine import (
    OPTIMISERS,
    DivergenceError,
    EngineError,
    Network,
    TrainConfig,
    Trainer,
)
from bpstudio.engine import training as training_module
from bpstudio.formats import FormatError, project_from_dict, project_to_dict
from bpstudio.workspace import load_example


def _data(n=60, n_in=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    y = rng.integers(0, k, n)
    return X, np.eye(k)[y]


def _trainer(dtype="float32", optimiser="sgd", n=60, val=None, **cfg):
    X, T = _data(n)
    net = Network.create([6, 8, 3], ["tanh", "softmax"], init="xavier", seed=3)
    params = {"lr": 0.05} if optimiser != "adam" else {"lr": 0.01}
    config = TrainConfig(
        loss="cce",
        optimiser=optimiser,
        optimiser_params=params,
        batch_mode="minibatch",
        batch_size=8,
        seed=1,
        dtype=dtype,
        **cfg,
    )
    return Trainer(net, config, X, T, val=val)


def _is_float32_exact(a: np.ndarray) -> bool:
    return bool(np.array_equal(a, a.astype(np.float32).astype(np.float64)))


@pytest.mark.parametrize("optimiser", OPTIMISERS.names())
def test_a_float32_run_follows_the_float64_run_to_float32_precision(optimiser):
    t64, t32 = _trainer("float64", optimiser), _trainer("float32", optimiser)
    t64.run(epochs=5)
    t32.run(epochs=5)
    np.testing.assert_allclose(t32.history.loss["train"], t64.history.loss["train"], rtol=2e-5)
    np.testing.assert_allclose(t32.history.step_loss, t64.history.step_loss, rtol=2e-5)
    for w32, w64 in zip(t32.network.parameters(), t64.network.parameters()):
        np.testing.assert_allclose(w32, w64, rtol=1e-4, atol=1e-6)
        assert w32.dtype == np.float64 and _is_float32_exact(w32)
    assert t32.history.loss["train"] != t64.history.loss["train"]  # it did compute in float32
    for key, arrays in t32.opt_state.items():
        if key != "t":
            assert all(a.dtype == np.float64 and _is_float32_exact(a) for a in arrays)
    assert t32.opt_state["t"] == t64.opt_state["t"] == t32.step_count


@pytest.mark.parametrize(
    "hidden,output,loss",
    [
        (hidden, output, loss)
        for hidden in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "identity")
        for output, loss in (
            ("identity", "half_sse"),
            ("sigmoid", "bce"),
            ("softmax", "cce"),
            ("tanh", "mse"),
        )
    ],
)
def test_every_activation_and_loss_trains_in_float32(hidden, output, loss):
    X, T = _data(40)
    runs = []
    for dtype in ("float64", "float32"):
        net = Network.create([6, 5, 3], [hidden, output], init="xavier", seed=2)
        cfg = TrainConfig(loss=loss, optimiser="momentum", batch_mode="minibatch", batch_size=5, dtype=dtype)
        tr = Trainer(net, cfg, X, T)
        tr.run(epochs=3)
        runs.append(tr.history.step_loss)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-4, atol=1e-6)


def test_the_perceptron_rule_in_float32():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([[0.0], [0.0], [0.0], [1.0]])
    net = Network.create([2, 1], ["step"], init="zeros", seed=0)
    tr = Trainer(net, TrainConfig(optimiser_params={"lr": 0.25}, dtype="float32"), X, T)
    tr.run(epochs=30)
    assert tr.history.accuracy["train"][-1] == 1.0


def test_the_loop_computes_in_float32_throughout():
    tr = _trainer()
    tr.run(epochs=1)
    ws = tr._bufs32
    assert ws is not None and ws.dtype == np.float32 and ws.mirror
    arrays = [ws.PGD, ws.Q, ws.work, *ws.S.values(), *ws.S_new.values()]
    for fr in ws.frames.values():
        arrays += fr.z + fr.a + fr.d + fr.g
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}
    # the network's own arrays are never views into the float32 buffers
    assert all(w.dtype == np.float64 and w.base is not ws.PGD for w in tr.network.weights)


def test_pausing_a_float32_run_changes_nothing():
    whole, paused = _trainer(), _trainer()
    whole.run(epochs=6)
    ticks = []

    def callback(progress) -> bool:
        ticks.append(progress.step)
        return True

    paused.run(epochs=6, callback=callback, interval=0.0)  # a segment per update: sync out and in
    assert len(ticks) > 6
    for a, b in zip(whole.network.parameters(), paused.network.parameters()):
        assert a.tobytes() == b.tobytes()
    assert whole.history.step_loss == paused.history.step_loss
    assert whole.history.loss["train"] == paused.history.loss["train"]


def test_gathering_large_sets_batch_by_batch_gives_the_same_float32_run(monkeypatch):
    copied = _trainer()
    monkeypatch.setattr(training_module, "GATHER_BYTES", 16)
    gathered = _trainer()
    assert gathered._gather and not copied._gather
    copied.run(epochs=3)
    gathered.run(epochs=3)
    for a, b in zip(copied.network.parameters(), gathered.network.parameters()):
        assert a.tobytes() == b.tobytes()


def test_traced_steps_stay_float64_after_a_float32_run():
    tr = _trainer()
    tr.run(epochs=2)
    twin = Trainer(tr.network.copy(), copy.deepcopy(tr.config), tr.X, tr.T)
    twin.resume(tr.progress(), tr.opt_state, tr.history)
    twin.config.dtype = "float64"
    a, b = tr.step_batch(), twin.step_batch()  # the same float64 arithmetic on the same numbers
    for la, lb in zip(a.layers[1:], b.layers[1:]):
        assert la.z.dtype == np.float64
        assert la.z.tobytes() == lb.z.tobytes() and la.delta.tobytes() == lb.delta.tobytes()
    for ua, ub in zip(a.updates, b.updates):
        assert ua.W_after.tobytes() == ub.W_after.tobytes()
    assert not _is_float32_exact(np.concatenate([w.ravel() for w in tr.network.weights]))


def test_a_float32_run_continues_where_float64_stepping_left_off_and_back():
    tr = _trainer()
    tr.config.dtype = "float64"
    tr.step_batch()
    tr.config.dtype = "float32"
    tr.run(epochs=1)
    assert all(_is_float32_exact(w) for w in tr.network.parameters())
    tr.config.dtype = "float64"
    before = [w.copy() for w in tr.network.parameters()]
    tr.run(epochs=1)
    assert any(not np.array_equal(a, b) for a, b in zip(before, tr.network.parameters()))


def test_divergence_in_float32_keeps_the_last_finite_weights():
    X, T = _data()
    net = Network.create([6, 8, 3], ["identity", "identity"], init="xavier", seed=3)
    config = TrainConfig(loss="sse", optimiser="sgd", optimiser_params={"lr": 5.0}, dtype="float32")
    tr = Trainer(net, config, X * 100, T)
    start = [w.copy() for w in net.parameters()]
    with pytest.raises(DivergenceError):
        tr.run(epochs=50)
    assert 0 < tr.step_count
    assert any(not np.array_equal(a, b) for a, b in zip(start, net.parameters()))  # synced out
    assert all(_is_float32_exact(w) for w in net.parameters())
    assert all(np.all(np.isfinite(w)) for w in tr.network.parameters())
    assert all(np.all(np.isfinite(a)) for k, v in tr.opt_state.items() if k != "t" for a in v)


def test_early_stopping_in_float32_restores_the_best_weights():
    X, T = _data(30, seed=5)
    tr = _trainer(val=(X, T), early_stopping=True, patience=2, min_delta=10.0)
    result = tr.run(epochs=20)
    assert result.reason == "early_stopping"
    best = tr.state.best
    assert best is not None
    for w, b in zip(tr.network.weights, best.weights):
        np.testing.assert_array_equal(w, b)
    assert tr.history.loss["val"][-1] is not None


def test_float32_distribution_records_and_splits():
    X, T = _data(20, seed=9)
    t32, t64 = _trainer("float32", val=(X, T)), _trainer("float64", val=(X, T))
    t32.run(epochs=3)
    t64.run(epochs=3)
    r32, r64 = t32.history.dists.records[-1], t64.history.dists.records[-1]
    assert r32.dtype == np.float64
    np.testing.assert_allclose(r32, r64, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(t32.history.loss["val"], t64.history.loss["val"], rtol=1e-5)
    assert t32.history.accuracy["val"] == t64.history.accuracy["val"]
    # evaluating outside a run is float64 (exact) whatever the setting
    assert t32.evaluate(X, T) == Trainer(t32.network.copy(), TrainConfig(loss="cce"), X, T).evaluate(X, T)


def test_the_setting_is_checked_and_saved_only_when_float32():
    with pytest.raises(EngineError, match="dtype: choose one of float64, float32"):
        TrainConfig(dtype="float16").validate()
    project = load_example("xor")
    assert "dtype" not in project_to_dict(project)["training"]
    project.training.dtype = "float32"
    doc = project_to_dict(project)
    assert doc["training"]["dtype"] == "float32"
    assert project_from_dict(doc).training.dtype == "float32"
    doc["training"]["dtype"] = "half"
    with pytest.raises(FormatError, match="training.dtype"):
        project_from_dict(doc)


def test_the_train_command_runs_in_float32_and_saves_the_setting(tmp_path, capsys):
    from bpstudio import resource_path
    from bpstudio.cli import main
    from bpstudio.formats import load_project

    out = tmp_path / "out.bps.json"
    xor = str(resource_path("examples/xor.bps.json"))
    assert main(["train", xor, "--epochs", "3", "--dtype", "float32", "--out", str(out), "--quiet"]) == 0
    project = load_project(out)
    assert project.training.dtype == "float32"
    for w in project.network.weights:
        np.testing.assert_array_equal(w, w.astype(np.float32))
    capsys.readouterr()
    assert main(["train", xor, "--dtype", "float16", "--out", str(out)]) == 2
    assert "--dtype: invalid choice: 'float16'" in capsys.readouterr().err
