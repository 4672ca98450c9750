"""The loss landscape (issue 15.2): the vectorised grid equals the batch loss of each perturbed
network, for chosen weights and random directions, with regularisation and removed connections."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_engine_gradients import CASES, _problem

from bpstudio.engine import EngineError, Network, TrainConfig
from bpstudio.engine.gradcheck import batch_loss
from bpstudio.engine.landscape import loss_surface, random_directions, unit_direction


def moved(net: Network, d1, d2, alpha: float, beta: float) -> Network:
    out = net.copy()
    params = out.parameters()
    for p, a, b in zip(params, d1, d2):
        p += alpha * a + beta * b
    return out


@pytest.mark.parametrize("case", range(0, len(CASES), 3))
def test_every_grid_point_is_the_loss_of_that_network(case):
    hidden, output, loss, reduction = CASES[case]
    net, X, T = _problem(case, hidden, output, loss)
    cfg = TrainConfig(
        loss=loss, reduction=reduction, l2=0.02 if case % 2 else 0.0, l1=0.01 if case % 4 == 1 else 0.0
    )
    d1, d2 = random_directions(net, seed=case)
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-0.5, 0.5, 4)
    surface = loss_surface(net, cfg, X, T, d1, d2, alphas, betas)
    assert surface.values.shape == (4, 5) and surface.complete
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            assert surface.values[i, j] == pytest.approx(
                batch_loss(moved(net, d1, d2, a, b), cfg, X, T), rel=1e-10
            )
    assert surface.centre == pytest.approx(batch_loss(net, cfg, X, T), rel=1e-12)


def test_two_chosen_weights_give_the_classic_error_surface():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    T = np.array([[0], [1], [1], [0]], dtype=float)
    cfg = TrainConfig()
    d1 = unit_direction(net, "weight", 1, 0, 0)  # w₁₁⁽²⁾
    d2 = unit_direction(net, "bias", 0, 1)  # b₂⁽²⁾: in an earlier layer than d1
    alphas = np.linspace(-3, 3, 100)
    surface = loss_surface(net, cfg, X, T, d1, d2, alphas, alphas)
    assert surface.values.shape == (100, 100) and np.isfinite(surface.values).all()
    for i, j in [(0, 0), (37, 81), (99, 12)]:
        other = net.copy()
        other.weights[1][0, 0] += alphas[j]
        other.biases[0][1] += alphas[i]
        assert surface.values[i, j] == pytest.approx(batch_loss(other, cfg, X, T), rel=1e-12)


def test_layers_before_the_directions_are_computed_once_and_removed_connections_stay_removed():
    net = Network.create([3, 4, 2], ["tanh", "identity"], seed=2)
    net.set_connection(1, 0, 3, False)
    X = np.random.default_rng(0).normal(size=(6, 3))
    T = np.random.default_rng(1).normal(size=(6, 2))
    cfg = TrainConfig(loss="mse")
    d1, d2 = random_directions(net, seed=5)
    assert d1[2][0, 3] == 0 and d2[2][0, 3] == 0  # no direction along a removed connection
    assert not d1[1].any() and not d2[1].any()  # biases left as they are
    dot = sum(float(np.vdot(a, b)) for a, b in zip(d1, d2))
    assert abs(dot) < 1e-10  # orthogonal
    only_last = [np.zeros_like(p) for p in net.parameters()]
    only_last[2] = d1[2]
    s = loss_surface(net, cfg, X, T, only_last, d2, [0.5], [0.0])
    assert s.values[0, 0] == pytest.approx(
        batch_loss(moved(net, only_last, d2, 0.5, 0.0), cfg, X, T), rel=1e-12
    )


def test_cancelling_leaves_the_rows_not_reached_empty(monkeypatch):
    import bpstudio.engine.landscape as landscape

    monkeypatch.setattr(landscape, "CHUNK_VALUES", 140)  # (4·2 + 6 per point: chunks of one row of 10)
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    X, T = np.ones((4, 2)), np.ones((4, 1))
    d1, d2 = unit_direction(net, "weight", 0, 0, 0), unit_direction(net, "weight", 0, 1, 1)
    calls = []

    def stop_after_two(done, total):
        calls.append((done, total))
        return len(calls) <= 2

    s = loss_surface(
        net, TrainConfig(), X, T, d1, d2, np.linspace(-1, 1, 10), np.linspace(-1, 1, 10), stop_after_two
    )
    assert not s.complete and np.isnan(s.values[2:]).all() and np.isfinite(s.values[:2]).all()
    assert calls[:3] == [(0, 10), (1, 10), (2, 10)]


def test_bad_requests_are_refused():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=0)
    net.set_connection(0, 0, 1, False)
    with pytest.raises(EngineError, match="removed"):
        unit_direction(net, "weight", 0, 0, 1)
    with pytest.raises(EngineError):
        unit_direction(net, "weight", 5, 0, 0)
    with pytest.raises(EngineError):
        unit_direction(net, "neuron", 0, 0)
    d = unit_direction(net, "bias", 1, 0)
    with pytest.raises(EngineError, match="at least one sample"):
        loss_surface(net, TrainConfig(), np.zeros((0, 2)), np.zeros((0, 1)), d, d, [0.0], [0.0])
    with pytest.raises(EngineError, match="one array per parameter"):
        loss_surface(net, TrainConfig(), np.ones((1, 2)), np.ones((1, 1)), d[:2], d, [0.0], [0.0])
    flat = loss_surface(
        net,
        TrainConfig(),
        np.ones((1, 2)),
        np.ones((1, 1)),
        [0 * p for p in d],
        [0 * p for p in d],
        [0.0, 1.0],
        [0.0],
    )
    assert flat.values.tolist() == [[flat.centre, flat.centre]]


def test_principal_directions_hold_a_path_that_lies_in_a_plane():
    from bpstudio.engine.landscape import principal_directions

    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=2)
    theta = np.concatenate([p.ravel() for p in net.parameters()])
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=theta.size), rng.normal(size=theta.size)
    path = [theta + s * a + t * b for s, t in [(3, 1), (2, 0.5), (1, 1), (0.5, -0.2)]] + [theta]
    d1, d2, shares = principal_directions(net, path)
    v1 = np.concatenate([d.ravel() for d in d1])
    v2 = np.concatenate([d.ravel() for d in d2])
    assert np.linalg.norm(v1) == pytest.approx(1) and abs(v1 @ v2) < 1e-12
    assert sum(shares) == pytest.approx(1.0)  # the path lies in the plane: nothing else is left
    basis = np.stack([v1, v2])
    for p in path:  # every point is θ plus a combination of d₁ and d₂
        diff = p - theta
        assert np.linalg.norm(diff - basis.T @ (basis @ diff)) < 1e-10
    with pytest.raises(EngineError, match="too short"):
        principal_directions(net, [theta, theta])
    with pytest.raises(EngineError, match="straight line"):
        principal_directions(net, [theta + a, theta + 2 * a])


def test_principal_directions_of_a_path_of_huge_weights_warn_of_nothing():
    """A diverging run leaves weights of 1e200: the shares of the path's spread come out as for any
    scale (σ² would overflow), and a path beyond a float's range is refused with a clear message."""
    from bpstudio.engine.landscape import principal_directions

    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=2)
    theta = np.concatenate([p.ravel() for p in net.parameters()])
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=theta.size), rng.normal(size=theta.size)
    steps = [(3, 1), (2, 0.5), (1, 1)]
    _, _, small = principal_directions(net, [theta + s * a + t * b for s, t in steps])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, huge = principal_directions(net, [theta + 1e200 * (s * a + t * b) for s, t in steps])
        assert huge == pytest.approx(small, rel=1e-9)
        far = np.full((3, theta.size), 1e308)  # each finite, their spread is not
        far[1] *= -1.0
        far[2, :5] = 0.5e308
        with pytest.raises(EngineError, match="too far"):
            principal_directions(net, list(far))


@pytest.mark.parametrize("scale", [1.0, 1e160, 1e300])
def test_random_directions_of_huge_weights_are_finite_and_orthogonal(scale):
    """Squaring weights past 10¹⁵⁴ overflowed (a RuntimeWarning the random-use soak caught, and
    directions of inf and NaN); the directions are the same up to rounding for ordinary weights."""
    net = Network.create([3, 5, 2], "tanh", init="uniform", init_params={"r": 0.5}, seed=1)
    d1_ref, d2_ref = random_directions(net, seed=4)
    for p in net.parameters():
        p *= scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d1, d2 = random_directions(net, seed=4)
    for a, b, ra, rb in zip(d1, d2, d1_ref, d2_ref):
        assert np.isfinite(a).all() and np.isfinite(b).all()
        np.testing.assert_allclose(a, ra * scale, rtol=1e-12, atol=0)
        np.testing.assert_allclose(b, rb * scale, rtol=1e-9, atol=1e-9 * scale)
    for i in (0, 2):  # each weight part as long as that part of θ
        norm = float(np.linalg.norm(d1[i] / scale)) * scale
        assert norm == pytest.approx(float(np.linalg.norm(net.parameters()[i] / scale)) * scale, rel=1e-12)
    dot = sum(float(np.vdot(a / scale, b / scale)) for a, b in zip(d1, d2))
    assert abs(dot) < 1e-10
