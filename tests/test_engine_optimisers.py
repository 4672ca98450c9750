"""The optimisers follow the notes' formulas step after step, and masked connections never move.

The reference re-implements every update rule from the formulas (gradients by autograd, see
tests/test_engine_reference.py) and is compared with the engine's weights over several full-batch steps.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_reference import reference_gradients

from bpstudio.engine import OPTIMISERS, Network, TrainConfig, Trainer

HYPER = {
    "sgd": {"lr": 0.3},
    "momentum": {"lr": 0.2, "momentum": 0.8},
    "nesterov": {"lr": 0.2, "momentum": 0.7},
    "adagrad": {"lr": 0.1, "eps": 1e-8},
    "rmsprop": {"lr": 0.01, "rho": 0.85, "eps": 1e-8},
    "adam": {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-8},
}
STEPS = 6


def reference_run(name: str, hp: dict, net: Network, X, T, loss: str, l2: float) -> list[np.ndarray]:
    """θ after STEPS full-batch updates, from the formulas:

    sgd       w ← w − η·g
    momentum  δw ← α·δw − η·g;  w ← w + δw                       (Blair, seeds/002)
    nesterov  δw ← α·δw − η·g;  w ← w + α·δw − η·g
    adagrad   G ← G + g²;  w ← w − η·g/(√G + ε)
    rmsprop   s ← ρ·s + (1 − ρ)·g²;  w ← w − η·g/(√s + ε)
    adam      m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ);
              w ← w − η·m̂/(√v̂ + ε)                              (seeds/002)
    """
    work = net.copy()
    theta = work.parameters()
    a = [np.zeros_like(p) for p in theta]
    b = [np.zeros_like(p) for p in theta]
    for t in range(1, STEPS + 1):
        grads = reference_gradients(work, loss, "mean", X, T, l2=l2)
        new = []
        for i, (p, g) in enumerate(zip(theta, grads)):
            if name == "sgd":
                p = p - hp["lr"] * g
            elif name == "momentum":
                a[i] = hp["momentum"] * a[i] - hp["lr"] * g
                p = p + a[i]
            elif name == "nesterov":
                a[i] = hp["momentum"] * a[i] - hp["lr"] * g
                p = p + hp["momentum"] * a[i] - hp["lr"] * g
            elif name == "adagrad":
                a[i] = a[i] + g**2
                p = p - hp["lr"] * g / (np.sqrt(a[i]) + hp["eps"])
            elif name == "rmsprop":
                a[i] = hp["rho"] * a[i] + (1 - hp["rho"]) * g**2
                p = p - hp["lr"] * g / (np.sqrt(a[i]) + hp["eps"])
            elif name == "adam":
                a[i] = hp["beta1"] * a[i] + (1 - hp["beta1"]) * g
                b[i] = hp["beta2"] * b[i] + (1 - hp["beta2"]) * g**2
                m_hat = a[i] / (1 - hp["beta1"] ** t)
                v_hat = b[i] / (1 - hp["beta2"] ** t)
                p = p - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"])
            new.append(p)
        theta = new
        work.weights = theta[0::2]
        work.biases = theta[1::2]
    return theta


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 3))
    T = np.eye(2)[rng.integers(0, 2, 7)]
    net = Network.create([3, 4, 2], ["tanh", "sigmoid"], init="normal", init_params={"sigma": 0.7}, seed=seed)
    return net, X, T


def test_every_registered_optimiser_is_covered():
    assert set(OPTIMISERS.names()) == set(HYPER)


@pytest.mark.parametrize("name", sorted(HYPER))
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_optimiser_follows_the_formulas(name, l2):
    net, X, T = _problem(1)
    expected = reference_run(name, HYPER[name], net, X, T, "half_sse", l2)
    cfg = TrainConfig(
        loss="half_sse", optimiser=name, optimiser_params=HYPER[name], batch_mode="full", l2=l2, shuffle=False
    )
    # fast loop: one full-batch update per epoch
    fast = Trainer(net.copy(), cfg, X, T)
    fast.run(epochs=STEPS)
    assert fast.opt_state["t"] == STEPS
    for got, want in zip(fast.network.parameters(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    # traced steps, and the list form Optimiser.update() gives exactly the Δ the trainer applied
    traced = Trainer(net.copy(), cfg, X, T)
    opt = OPTIMISERS.get(name)
    for _ in range(STEPS):
        tr = traced.step_batch()
        grads = [g for up in tr.updates for g in (up.grad_W, up.grad_b)]
        deltas, state = opt.update(grads, tr.state_before, traced.hyper)
        applied = [d for up in tr.updates for d in (up.delta_W, up.delta_b)]
        for d, e in zip(deltas, applied):
            assert d.tobytes() == e.tobytes()
        for key in opt.state_keys:
            for x, y in zip(state[key], tr.state_after[key]):
                assert x.tobytes() == y.tobytes()
    for got, want in zip(traced.network.parameters(), fast.network.parameters()):
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("name", sorted(HYPER))
def test_masked_connections_stay_zero_under_every_optimiser(name):
    net, X, T = _problem(2)
    net.masks[0] = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]], dtype=bool)
    net.masks[1] = np.array([[1, 0, 1, 1], [0, 1, 1, 1]], dtype=bool)
    net.validate()
    before = net.copy()
    cfg = TrainConfig(
        loss="bce",
        optimiser=name,
        optimiser_params=HYPER[name],
        batch_mode="minibatch",
        batch_size=3,
        l1=0.05,
        l2=0.1,
    )
    trainer = Trainer(net, cfg, X, T)
    for _ in range(4):  # traced steps, including partial batches accumulated sample by sample
        tr = trainer.step_sample() if trainer.cursor % 2 else trainer.step_batch()
        for i, up in enumerate(tr.updates):
            mask = net.masks[i]
            if up.delta_W is not None:
                assert np.all(up.delta_W[~mask] == 0.0)
                assert np.all(up.grad_W[~mask] == 0.0)
    trainer.run(epochs=5)
    for i, w in enumerate(net.weights):
        mask = net.masks[i]
        assert np.all(w[~mask] == 0.0)
        assert not np.array_equal(w[mask], before.weights[i][mask])  # the others did train
        for key in OPTIMISERS.get(name).state_keys:
            assert np.all(trainer.opt_state[key][2 * i][~mask] == 0.0)


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_connection_removed_mid_training_stays_zero_despite_momentum(name):
    net, X, T = _problem(3)
    cfg = TrainConfig(loss="half_sse", optimiser=name, optimiser_params=HYPER[name], batch_mode="full")
    trainer = Trainer(net, cfg, X, T)
    trainer.run(epochs=3)
    assert trainer.opt_state[OPTIMISERS.get(name).state_keys[0]][0][1, 2] != 0.0
    net.set_connection(0, 1, 2, False)
    assert net.weights[0][1, 2] == 0.0
    trainer.run(epochs=3)
    trainer.step_batch()
    assert net.weights[0][1, 2] == 0.0
    assert not net.connection_present(0, 1, 2)
