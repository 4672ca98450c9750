"""The trainer: determinism, traced = fast bit for bit, accumulation, undo, divergence, refusals,
early stopping, target loss and cancellation."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from bpstudio.engine import (
    DivergenceError,
    Network,
    TrainConfig,
    Trainer,
    TrainingRefused,
    stage_names,
)

OPTIMISERS = {
    "sgd": {"lr": 0.2},
    "momentum": {"lr": 0.1, "momentum": 0.9},
    "nesterov": {"lr": 0.1, "momentum": 0.8},
    "adagrad": {"lr": 0.05},
    "rmsprop": {"lr": 0.01},
    "adam": {"lr": 0.01},
}


def _data(n=23, n_in=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    T = np.eye(k)[rng.integers(0, k, n)]
    return X, T


def _net(sizes=(4, 5, 3), acts=("tanh", "softmax"), seed=1):
    return Network.create(list(sizes), list(acts), init="xavier", seed=seed)


def _same_bits(a: Network, b: Network) -> bool:
    return all(x.tobytes() == y.tobytes() for x, y in zip(a.parameters(), b.parameters()))


def _state_bits(s1: dict, s2: dict) -> bool:
    if set(s1) != set(s2) or s1["t"] != s2["t"]:
        return False
    return all(
        all(x.tobytes() == y.tobytes() for x, y in zip(s1[k], s2[k])) for k in s1 if isinstance(s1[k], list)
    )


# ---------------------------------------------------------------------------- determinism and identity
def test_same_seed_gives_a_bit_identical_run():
    X, T = _data()
    runs = []
    for _ in range(2):
        net = Network.create([4, 5, 3], ["sigmoid", "softmax"], init="uniform", seed=7)
        cfg = TrainConfig(loss="cce", optimiser="adam", batch_mode="minibatch", batch_size=5, seed=3, l2=0.01)
        trainer = Trainer(net, cfg, X, T)
        trainer.run(epochs=4)
        runs.append(trainer)
    a, b = runs
    assert _same_bits(a.network, b.network)
    assert a.history.to_dict() == b.history.to_dict()
    assert _state_bits(a.opt_state, b.opt_state)
    assert np.array_equal(a.order, b.order)


@pytest.mark.parametrize("optimiser", sorted(OPTIMISERS))
@pytest.mark.parametrize("mode", ["online", "minibatch", "full"])
def test_traced_steps_and_the_fast_loop_give_bit_identical_weights(optimiser, mode):
    X, T = _data()
    masked = _net()
    masked.set_connection(0, 2, 1, False)
    cfg = TrainConfig(
        loss="cce",
        optimiser=optimiser,
        optimiser_params=OPTIMISERS[optimiser],
        batch_mode=mode,
        batch_size=4,  # 23 samples: the last mini-batch is short
        l1=0.001,
        l2=0.01,
        seed=5,
    )
    fast = Trainer(masked.copy(), cfg, X, T)
    traced = Trainer(masked.copy(), cfg, X, T)
    micro = Trainer(masked.copy(), cfg, X, T)
    fast.run(epochs=2)
    while traced.epoch < 2:
        traced.step_batch()
    while micro.epoch < 2:  # stage by stage, as a student steps
        step = micro.begin_step()
        while not step.done:
            step.advance()
    for other in (traced, micro):
        assert _same_bits(fast.network, other.network)
        assert _state_bits(fast.opt_state, other.opt_state)
        assert fast.history.step_loss == other.history.step_loss
        assert fast.history.loss == other.history.loss
        assert fast.step_count == other.step_count


@pytest.mark.parametrize(
    "acts,loss,use_bias",
    [
        (("sigmoid", "sigmoid", "sigmoid"), "bce", (True, True, True)),
        (("identity", "tanh", "identity"), "mse", (True, True, True)),  # δ handed back in other arrays
        (("relu", "identity", "softmax"), "half_sse", (True, False, True)),
        (("tanh", "sigmoid", "softmax"), "cce", (False, True, False)),
    ],
)
def test_one_sample_at_a_time_the_fast_loop_and_the_traced_step_agree_bit_for_bit(acts, loss, use_bias):
    """Online, the fast loop writes each layer's δ straight into ∂E/∂b (Σ over one sample is δ)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(9, 3))
    T = np.eye(2)[rng.integers(0, 2, 9)] if loss in ("cce", "bce") else rng.normal(size=(9, 2))
    if loss == "bce":
        T = T[:, :1].copy()
    net = Network.create([3, 4, 3, T.shape[1]], list(acts), init="he", seed=3)
    for i, used in enumerate(use_bias):
        if not used:
            net.set_use_bias(i, False)
    cfg = TrainConfig(loss=loss, reduction="mean", optimiser="momentum", batch_mode="online", seed=2)
    fast, traced = Trainer(net.copy(), cfg, X, T), Trainer(net.copy(), cfg, X, T)
    fast.run(epochs=3)
    while traced.epoch < 3:
        traced.step_batch()
    assert _same_bits(fast.network, traced.network)
    assert _state_bits(fast.opt_state, traced.opt_state)
    assert fast.history.step_loss == traced.history.step_loss
    assert fast.history.grad_norms == traced.history.grad_norms
    for i, used in enumerate(use_bias):
        assert np.any(fast.network.biases[i]) == used


@pytest.mark.parametrize(
    "hidden,output,loss,reduction",
    [
        ("sigmoid", "sigmoid", "half_sse", "sum"),
        ("relu", "identity", "mse", "mean"),
        ("elu", "sigmoid", "bce", "sum"),
        ("softplus", "tanh", "sse", "mean"),
        ("leaky_relu", "softmax", "half_sse", "mean"),
        (None, "sigmoid", "bce", "mean"),  # no hidden layer: a single neuron per output
    ],
)
def test_identity_holds_for_other_activations_and_losses(hidden, output, loss, reduction):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(17, 3))
    T = np.eye(2)[rng.integers(0, 2, 17)]
    sizes, acts = ([3, 4, 4, 2], [hidden, hidden, output]) if hidden else ([3, 2], [output])
    net = Network.create(sizes, acts, init="he", seed=2)
    cfg = TrainConfig(
        loss=loss, reduction=reduction, optimiser="momentum", batch_mode="minibatch", batch_size=5, seed=1
    )
    fast, traced = Trainer(net.copy(), cfg, X, T), Trainer(net.copy(), cfg, X, T)
    fast.run(epochs=3)
    while traced.epoch < 3:
        traced.step_batch()
    assert _same_bits(fast.network, traced.network)


def test_a_large_dataset_gathered_batch_by_batch_is_bit_identical(monkeypatch):
    import bpstudio.engine.training as training

    X, T = _data(n=50)
    cfg = TrainConfig(loss="cce", optimiser="sgd", batch_mode="minibatch", batch_size=8, seed=2)
    copied = Trainer(_net(), cfg, X, T)
    monkeypatch.setattr(training, "GATHER_BYTES", 0)
    gathered = Trainer(_net(), cfg, X, T)
    assert gathered._gather and not copied._gather
    copied.run(epochs=3)
    gathered.run(epochs=3)
    assert _same_bits(copied.network, gathered.network)


def test_step_sample_accumulation_equals_step_batch():
    X, T = _data()
    cfg = TrainConfig(loss="cce", optimiser="adam", batch_mode="minibatch", batch_size=6, l2=0.05, seed=2)
    by_sample, by_batch = Trainer(_net(), cfg, X, T), Trainer(_net(), cfg, X, T)
    for _ in range(2):  # two mini-batches
        traces = [by_sample.step_sample() for _ in range(6)]
        assert [t.applied for t in traces] == [False] * 5 + [True]
        assert [t.sample_indices[0] for t in traces] == by_batch.next_batch_indices()
        batch = by_batch.step_batch()
        for a, b in zip(traces[-1].updates, batch.updates):
            np.testing.assert_allclose(a.grad_W, b.grad_W, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(a.W_after, b.W_after, rtol=1e-12, atol=1e-15)
        assert by_sample.step_count == by_batch.step_count
        assert by_sample.cursor == by_batch.cursor
    for a, b in zip(by_sample.network.parameters(), by_batch.network.parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_a_micro_step_shows_every_stage_in_order():
    X, T = _data()
    trainer = Trainer(_net((4, 3, 3, 3), ("sigmoid", "tanh", "softmax")), TrainConfig(loss="cce"), X, T)
    step = trainer.begin_step()
    assert step.stages == stage_names(3)
    names = []
    while not step.done:
        names.append(step.advance())
        if names[-1] == "forward 2":
            assert step.trace.layers[2].z is not None and step.trace.layers[3].z is None
        if names[-1] == "loss":
            assert step.trace.loss_before is not None and step.trace.layers[3].delta is None
    assert names == [
        "forward 1",
        "forward 2",
        "forward 3",
        "loss",
        "backward 3",
        "backward 2",
        "backward 1",
        "update",
    ]
    assert step.trace.applied and trainer.step_count == 1


# ---------------------------------------------------------------------------- undo
def test_snapshot_and_restore_are_exact_including_optimiser_state_and_order():
    X, T = _data()
    cfg = TrainConfig(loss="cce", optimiser="adam", batch_mode="minibatch", batch_size=4, seed=9)
    trainer = Trainer(_net(), cfg, X, T)
    trainer.run(epochs=1)
    trainer.step_batch()
    trainer.step_sample()  # part of a mini-batch accumulated
    snap = trainer.snapshot()
    net0, state0 = trainer.network.copy(), copy.deepcopy(trainer.opt_state)
    trainer.run(epochs=3)
    first = (
        trainer.network.copy(),
        copy.deepcopy(trainer.opt_state),
        trainer.history.to_dict(),
        trainer.order.copy(),
    )
    trainer.restore(snap)
    assert _same_bits(trainer.network, net0) and _state_bits(trainer.opt_state, state0)
    assert trainer.epoch == 1 and trainer.cursor == 5
    trainer.run(epochs=3)
    assert _same_bits(trainer.network, first[0])
    assert _state_bits(trainer.opt_state, first[1])
    assert trainer.history.to_dict() == first[2]
    assert np.array_equal(trainer.order, first[3])  # the epoch order follows the restored epoch


def test_a_shallow_copy_trains_independently():
    """The GUI's background runner trains a Trainer.clone()."""
    X, T = _data()
    cfg = TrainConfig(loss="cce", optimiser="momentum", batch_mode="minibatch", batch_size=4, seed=3)
    trainer = Trainer(_net(), cfg, X, T)
    trainer.run(epochs=1)
    before = trainer.network.copy()
    clone = trainer.clone()
    clone.run(epochs=2)
    assert _same_bits(trainer.network, before)  # the original is untouched
    twin = Trainer(_net(), cfg, X, T)
    twin.run(epochs=3)
    assert _same_bits(clone.network, twin.network)
    trainer.restore(clone.snapshot())
    assert _same_bits(trainer.network, twin.network)
    trainer.run(epochs=1)
    twin.run(epochs=1)
    assert _same_bits(trainer.network, twin.network)


def test_a_network_the_trainer_let_go_of_is_not_changed_any_more():
    X, T = _data()
    trainer = Trainer(_net(), TrainConfig(loss="cce", batch_mode="full"), X, T)
    trainer.run(epochs=1)
    old = trainer.network
    kept = old.copy()
    trainer.network = old.copy()
    trainer.run(epochs=2)
    assert _same_bits(old, kept)
    assert not _same_bits(trainer.network, kept)


# ---------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("optimiser", ["sgd", "momentum"])
def test_divergence_raises_and_leaves_weights_and_state_unchanged(optimiser):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3)) * 100
    T = rng.normal(size=(8, 2)) * 100
    net = Network.create([3, 4, 2], ["identity", "identity"], init="normal", seed=0)
    cfg = TrainConfig(
        loss="sse", reduction="sum", optimiser=optimiser, optimiser_params={"lr": 1e3}, batch_mode="online"
    )
    # traced: remember every state, find the step that diverges
    traced = Trainer(net.copy(), cfg, X, T)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way to NaN
        for k in range(200):  # noqa: B007 (k is the step that diverged)
            snap = traced.snapshot()
            try:
                traced.step_batch()
            except DivergenceError as exc:
                assert "diverged" in str(exc) and "learning rate" in str(exc)
                break
        else:
            pytest.fail("did not diverge")
        assert traced.step_count == k
        assert all(x.tobytes() == y.tobytes() for x, y in zip(traced.network.weights, snap.weights))
        assert _state_bits(traced.opt_state, snap.opt_state)
        assert len(traced.history.step_loss) == k
        # the fast loop stops at the same update with the same weights
        fast = Trainer(net.copy(), cfg, X, T)
        with pytest.raises(DivergenceError):
            fast.run(epochs=100)
    assert fast.step_count == k
    assert _same_bits(fast.network, traced.network)
    assert _state_bits(fast.opt_state, traced.opt_state)
    assert all(np.all(np.isfinite(p)) for p in fast.network.parameters())


# ---------------------------------------------------------------------------- refusals
def test_training_through_a_step_activation_is_refused_but_forward_passes_work():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([[1.0], [0.0], [0.0], [1.0]])
    net = Network.create([2, 2, 1], ["step", "sigmoid"], seed=0)
    trainer = Trainer(net, TrainConfig(), X, T)
    before = net.copy()
    for attempt in (
        trainer.step_batch,
        trainer.step_sample,
        trainer.step_epoch,
        lambda: trainer.run(epochs=3),
    ):
        with pytest.raises(TrainingRefused, match="step"):
            attempt()
    step = trainer.begin_step()
    step.run_until("loss")
    assert step.trace.loss_before is not None
    with pytest.raises(TrainingRefused):
        step.advance()
    assert _same_bits(net, before) and trainer.step_count == 0


def test_a_loss_that_needs_another_output_layer_is_refused():
    X, T = _data()
    trainer = Trainer(_net(acts=("tanh", "sigmoid")), TrainConfig(loss="cce"), X, T)
    with pytest.raises(TrainingRefused, match="softmax"):
        trainer.run(epochs=1)


# ---------------------------------------------------------------------------- stopping
def test_early_stopping_restores_the_best_weights_after_patience_epochs():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2))
    T = (X[:, :1] > 0).astype(float)
    Xv = rng.normal(size=(10, 2))
    Tv = 1.0 - (Xv[:, :1] > 0).astype(float)  # the opposite rule: validation loss rises as training learns
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=4)
    cfg = dict(loss="bce", optimiser="sgd", optimiser_params={"lr": 0.5}, batch_mode="full", seed=0)
    reference = Trainer(net.copy(), TrainConfig(**cfg), X, T, val=(Xv, Tv))
    weights = []
    reference.run(epochs=12, callback=lambda p: weights.append(reference.network.copy()) or True)
    val = reference.history.loss["val"]
    best = int(np.argmin(val))
    patience = 4
    assert best + patience < 12  # the case does stop early

    stopping = Trainer(
        net.copy(), TrainConfig(**cfg, early_stopping=True, patience=patience), X, T, val=(Xv, Tv)
    )
    result = stopping.run(epochs=50)
    assert result.reason == "early_stopping" and stopping.stop_reason == "early_stopping"
    assert result.epochs == best + 1 + patience
    assert _same_bits(stopping.network, weights[best])
    assert stopping.history.loss["val"] == val[: best + 1 + patience]


def test_target_loss_stops_at_the_first_epoch_at_or_below_it(xor_data):
    X, T = xor_data
    net = Network.create([2, 2, 1], "sigmoid", init="uniform", seed=0)
    cfg = TrainConfig(optimiser="sgd", optimiser_params={"lr": 2.0}, batch_mode="online", seed=0)
    reference = Trainer(net.copy(), cfg, X, T)
    reference.run(epochs=300)
    losses = reference.history.loss["train"]
    target = losses[150]
    first = next(i for i, v in enumerate(losses) if v <= target)
    trainer = Trainer(net.copy(), cfg, X, T)
    result = trainer.run(epochs=1000, target_loss=target)
    assert result.reason == "target" and trainer.stop_reason == "target"
    assert trainer.epoch == first + 1
    assert trainer.history.loss["train"][-1] <= target < trainer.history.loss["train"][-2]


def test_a_callback_returning_false_cancels_between_steps_and_training_resumes_exactly():
    X, T = _data(n=40)
    cfg = TrainConfig(loss="cce", optimiser="momentum", batch_mode="minibatch", batch_size=4, seed=1)
    trainer = Trainer(_net(), cfg, X, T)
    calls = []

    def stop(progress):
        calls.append(progress)
        return False

    result = trainer.run(epochs=5, callback=stop, interval=0.0)
    assert result.reason == "cancelled" and result.steps == 1 and result.epochs == 0
    assert trainer.step_count == 1 and trainer.cursor == 4 and trainer.epoch == 0
    assert len(calls) == 1 and calls[0].step == 1 and calls[0].epochs_target == 5
    trainer.run(epochs=3)
    uninterrupted = Trainer(_net(), cfg, X, T)
    uninterrupted.run(epochs=3)
    assert trainer.epoch == 3 and uninterrupted.epoch == 3
    assert trainer.step_count == uninterrupted.step_count + 1 - 1
    assert _same_bits(trainer.network, uninterrupted.network)


def test_the_callback_is_told_about_every_epoch():
    X, T = _data()
    trainer = Trainer(_net(), TrainConfig(loss="cce", batch_mode="full"), X, T)
    seen = []
    result = trainer.run(
        epochs=4, callback=lambda p: seen.append((p.epoch, p.epoch_loss)) or True, interval=1e9
    )
    assert result.reason == "epochs" and [e for e, _ in seen] == [1, 2, 3, 4]
    assert [v for _, v in seen] == trainer.history.loss["train"]


def test_history_records_every_update_and_epoch():
    X, T = _data()
    cfg = TrainConfig(loss="cce", batch_mode="minibatch", batch_size=5, l2=0.1)
    trainer = Trainer(_net(), cfg, X, T, val=_data(n=6, seed=1), test=_data(n=5, seed=2))
    trainer.run(epochs=2)
    h = trainer.history
    assert len(h.step_loss) == len(h.grad_norms) == trainer.step_count == 10  # ⌈23/5⌉ per epoch
    assert all(len(g) == 2 and all(v > 0 for v in g) for g in h.grad_norms)
    assert h.epochs == [1, 2]
    for split, (Xs, Ts) in (("train", (trainer.X, trainer.T)), ("val", trainer.val), ("test", trainer.test)):
        zs, acts = trainer.network.forward(Xs)
        o = acts[-1]
        loss = float(np.mean(-np.sum(Ts * np.log(o), axis=1)))
        assert h.loss[split][-1] == pytest.approx(loss, rel=1e-12)
        assert h.accuracy[split][-1] == np.mean(np.argmax(o, 1) == np.argmax(Ts, 1))


def test_evaluation_in_blocks_equals_one_pass(monkeypatch):
    import bpstudio.engine.fastpath as fastpath

    X, T = _data(n=50)
    trainer = Trainer(_net(), TrainConfig(loss="cce"), X, T)
    whole = trainer.evaluate(X, T)
    monkeypatch.setattr(fastpath, "EVAL_BLOCK", 7)
    blocked = Trainer(trainer.network.copy(), TrainConfig(loss="cce"), X, T).evaluate(X, T)
    assert blocked[1] == whole[1]
    assert blocked[0] == pytest.approx(whole[0], rel=1e-13)
