"""The fast path's machinery: BLAS thread policy, binding of the network and optimiser state to the
trainer's flat vectors, settings changed between steps, and evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpstudio.engine import Network, TrainConfig, Trainer, blas
from bpstudio.engine.optimisers import copy_state


def _data(n=40, n_in=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), np.eye(k)[rng.integers(0, k, n)]


def _bits(net: Network) -> list[bytes]:
    return [p.tobytes() for p in net.parameters()]


def test_small_steps_use_one_blas_thread_and_large_ones_the_librarys_choice():
    assert blas.threads_for([2, 2, 1], 1) == 1
    assert blas.threads_for([64, 30, 10], 10) == 1
    assert blas.threads_for([784, 100, 10], 64) is None  # 64·784·100 multiply-adds ≥ THREADED_MNK
    assert blas.threads_for([784, 100, 10], 32) == 1


def test_blas_limit_sets_one_thread_and_restores_the_count():
    before = blas.get_threads()
    with blas.limit(1):
        inside = blas.get_threads()
        with blas.limit(1):  # nested holders
            assert blas.get_threads() == inside
        assert blas.get_threads() == inside
    with blas.limit(None):
        assert blas.get_threads() == before
    assert blas.get_threads() == before
    if blas.available():
        assert inside == 1
    else:
        assert before is None and inside is None


def test_a_network_above_the_thread_threshold_is_still_bit_identical_both_ways():
    rng = np.random.default_rng(1)
    X = rng.random((80, 700))
    T = np.eye(10)[rng.integers(0, 10, 80)]
    net = Network.create([700, 100, 10], ["sigmoid", "softmax"], init="xavier", seed=0)
    cfg = TrainConfig(loss="cce", optimiser="momentum", batch_mode="minibatch", batch_size=64, seed=0)
    assert blas.threads_for(net.sizes, 64) is None
    fast, traced = _fast_and_traced(net, cfg, X, T, epochs=2)
    assert _bits(fast.network) == _bits(traced.network)
    assert fast.history.step_loss == traced.history.step_loss


def _fast_and_traced(net: Network, cfg: TrainConfig, X, T, epochs: int) -> tuple[Trainer, Trainer]:
    """Two trainers of copies of ``net`` after ``epochs`` epochs: by the fast loop and by traced steps."""
    fast, traced = Trainer(net.copy(), cfg, X, T), Trainer(net.copy(), cfg, X, T)
    fast.run(epochs=epochs)
    while traced.epoch < epochs:
        traced.step_batch()
    return fast, traced


def test_the_network_arrays_are_updated_in_place_while_bound():
    X, T = _data()
    net = Network.create([5, 4, 3], ["tanh", "softmax"], seed=0)
    trainer = Trainer(net, TrainConfig(loss="cce", batch_mode="full"), X, T)
    trainer.run(epochs=1)
    w = net.weights[0]
    before = w.copy()
    trainer.run(epochs=1)
    assert net.weights[0] is w and not np.array_equal(w, before)
    trainer.step_batch()
    assert net.weights[0] is w


def test_replaced_arrays_and_state_are_picked_up():
    """Whatever replaces the network's arrays or the optimiser state between steps is what trains on."""
    X, T = _data()
    cfg = TrainConfig(loss="cce", optimiser="adam", batch_mode="minibatch", batch_size=8, shuffle=False)
    a = Trainer(Network.create([5, 4, 3], ["tanh", "softmax"], seed=0), cfg, X, T)
    a.run(epochs=1)
    b = Trainer(Network.create([5, 4, 3], ["tanh", "softmax"], seed=9), cfg, X, T)
    b.run(epochs=1)
    # give b a's weights and optimiser state: it must then continue exactly like a
    b.network.weights = [w.copy() for w in a.network.weights]
    b.network.biases = [x.copy() for x in a.network.biases]
    b.state.opt_state = copy_state(a.opt_state)
    a.run(epochs=2)
    b.run(epochs=2)
    assert _bits(a.network) == _bits(b.network)


def test_settings_changed_in_a_callback_apply_from_the_next_step():
    X, T = _data()
    net = Network.create([5, 4, 3], ["tanh", "softmax"], seed=0)
    first = TrainConfig(loss="cce", optimiser="sgd", optimiser_params={"lr": 0.1}, batch_mode="full")
    second = TrainConfig(
        loss="cce", optimiser="momentum", optimiser_params={"lr": 0.3}, batch_mode="full", l2=0.1
    )
    live = Trainer(net.copy(), first, X, T)

    def switch(progress):
        if progress.epoch == 2:
            live.set_config(second)
        return True

    live.run(epochs=4, callback=switch)
    by_hand = Trainer(net.copy(), first, X, T)
    by_hand.run(epochs=2)
    by_hand.set_config(second)
    by_hand.run(epochs=2)
    assert _bits(live.network) == _bits(by_hand.network)
    assert live.opt_state["t"] == 2


def test_evaluate_matches_the_formulas_on_any_split():
    X, T = _data()
    Xv, Tv = _data(n=13, seed=3)
    net = Network.create([5, 4, 3], ["sigmoid", "softmax"], seed=0)
    trainer = Trainer(net, TrainConfig(loss="cce"), X, T, val=(Xv, Tv))
    trainer.run(epochs=2)
    loss, acc = trainer.evaluate(Xv, Tv)
    zs, acts = net.forward(Xv)
    o = acts[-1]
    assert loss == pytest.approx(float(np.mean(-np.sum(Tv * np.log(o), axis=1))), rel=1e-12)
    assert acc == np.mean(np.argmax(o, axis=1) == np.argmax(Tv, axis=1))
    assert (loss, acc) == (trainer.history.loss["val"][-1], trainer.history.accuracy["val"][-1])
    reg = Trainer(net.copy(), TrainConfig(loss="mse"), X, T)
    loss, acc = reg.evaluate(X, T)
    reg_o = net.forward(X)[1][-1]
    assert acc == np.mean(np.argmax(reg_o, axis=1) == np.argmax(T, axis=1))
    assert loss == pytest.approx(float(np.mean(np.mean((reg_o - T) ** 2, axis=1))), rel=1e-12)


# ------------------------------------------------------------------------- the update in place
@pytest.mark.parametrize("optimiser", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_update_in_place_gives_the_bits_of_the_checked_update(monkeypatch, optimiser, dtype):
    """An update whose changes are all small is applied to P in place; forcing every update through
    the checked copy (P + Δ into Q, its sum checked, then copied) gives the same bits."""
    from bpstudio.engine import fastpath

    X, T = _data(60, 6, 3, seed=4)
    net = Network.create([6, 5, 3], ["tanh", "softmax"], init="xavier", seed=2)
    cfg = TrainConfig(
        loss="cce", optimiser=optimiser, batch_mode="minibatch", batch_size=8, seed=1, dtype=dtype
    )
    in_place = Trainer(net.copy(), cfg, X, T)
    in_place.run(epochs=3)
    assert not in_place._loop_buffers().Q.any()  # the copy Q was never written: every update in place
    monkeypatch.setitem(fastpath.SAFE_CHANGE, dtype, -1.0)  # no change is small enough: always checked
    checked = Trainer(net.copy(), cfg, X, T)
    checked.run(epochs=3)
    assert _bits(in_place.network) == _bits(checked.network)
    assert in_place.history.step_loss == checked.history.step_loss


def _buffers(lr: float) -> tuple[Trainer, object]:
    """A trainer with plain SGD (η = ``lr``) and its bound step buffers (P, G, D as flat vectors)."""
    X, T = _data(8, 3, 2)
    net = Network.create([3, 2], ["softmax"], seed=0)
    cfg = TrainConfig(loss="cce", optimiser="sgd", optimiser_params={"lr": lr})
    trainer = Trainer(net, cfg, X, T)
    return trainer, trainer._buffers()


def test_a_large_but_finite_change_is_applied_after_the_check():
    """Σ Δ² beyond the bound (|Δ| = 1e200 in float64): the update goes the checked way, and is applied."""
    trainer, ws = _buffers(1.0)
    ws.P[:] = 1.0
    ws.G[:] = 1e200
    assert ws.apply(trainer, 0.5, 1.0) == 0.5
    assert np.all(ws.P == 1.0 - 1e200) and ws.Q.any()


@pytest.mark.parametrize("loss", [0.5, math.inf])
def test_a_change_that_overflows_is_refused_and_changes_nothing(loss):
    """P + Δ beyond the largest float64 (or an infinite loss): refused, the parameters unchanged."""
    trainer, ws = _buffers(1.0)
    ws.P[:] = 1.7e308
    ws.P[0] = 1.0
    before = ws.P.tobytes()
    ws.G[:] = -1e308 if loss == 0.5 else -1.0  # Δ = +1e308: 1.7e308 + 1e308 overflows
    with np.errstate(over="ignore"):  # (as inside a run)
        assert ws.apply(trainer, loss, 1.0) is None
    assert ws.P.tobytes() == before and ws.refused_loss == loss


def test_parameters_that_are_not_finite_are_never_updated_in_place():
    """A network loaded with an infinite weight: every update is checked (and refused), as before."""
    trainer, ws = _buffers(0.1)
    ws.P[:] = 0.5
    ws.P[3] = math.inf
    ws.G[:] = 1e-3
    before = ws.P.tobytes()
    assert ws.apply(trainer, 0.5, 1.0) is None
    assert ws.P.tobytes() == before


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_plain_sgd_on_a_large_network_bounds_the_change_by_the_gradient_norms(monkeypatch, reduction):
    """Plain SGD on a network of ≥ NORMS_FIRST parameters takes ‖G‖² from the gradient norms the history
    records instead of a pass over Δ: still bit-identical to the traced step, every update in place, and
    the checked way (forced) gives the same bits; a change too large for the bound goes the checked way."""
    from bpstudio.engine import fastpath

    rng = np.random.default_rng(3)
    X = rng.random((50, 120))
    T = np.eye(4)[rng.integers(0, 4, 50)]
    net = Network.create([120, 40, 4], ["sigmoid", "softmax"], init="xavier", seed=1)
    assert net.n_parameters() >= fastpath.NORMS_FIRST
    cfg = TrainConfig(loss="cce", optimiser="sgd", reduction=reduction, batch_mode="minibatch", batch_size=16)
    fast, traced = _fast_and_traced(net, cfg, X, T, epochs=2)
    assert _bits(fast.network) == _bits(traced.network)
    assert fast.history.grad_norms == traced.history.grad_norms
    assert fast.history.step_loss == traced.history.step_loss
    assert not fast._loop_buffers().Q.any()  # every update in place
    monkeypatch.setitem(fastpath.SAFE_CHANGE, "float64", -1.0)  # always the checked way
    checked = Trainer(net.copy(), cfg, X, T)
    checked.run(epochs=2)
    assert _bits(checked.network) == _bits(fast.network)
    assert checked._loop_buffers().Q.any()


def test_the_bound_from_the_norms_is_never_below_the_change():
    """4·η²·‖G‖² ≥ ΣΔᵢ² for Δ = −η·G, over gradients of every magnitude and rounding."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        G = rng.normal(size=int(rng.integers(1, 5000))) * 10.0 ** rng.uniform(-150, 140)
        lr = 10.0 ** rng.uniform(-6, 2)
        D = np.multiply(G, np.array(-lr))
        assert float(np.vdot(D, D)) <= 4.0 * lr * lr * float(np.vdot(G, G))
