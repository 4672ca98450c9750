"""The chain rule along the network (issue 15.1): the sum over paths of the products of local
derivatives is backpropagation's ∂Eₓ/∂θ, for every activation and loss (softmax's Jacobian included)."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_gradients import CASES, _problem

from bpstudio.engine import EngineError, Network, TrainConfig
from bpstudio.engine.gradcheck import analytic_gradients
from bpstudio.teaching.chainrule import chain_rule
from bpstudio.teaching.labels import Names


def per_sample_gradients(net, cfg, x, t):
    """[∂E/∂W⁰, ∂E/∂b⁰, …] of one sample by the engine (s = 1 for one sample in either reduction)."""
    return analytic_gradients(net, cfg, x[None, :], t[None, :])


@pytest.mark.parametrize("case", range(len(CASES)))
def test_the_paths_add_up_to_backprop_for_every_parameter(case):
    hidden, output, loss, reduction = CASES[case]
    net, X, T = _problem(case, hidden, output, loss)
    cfg = TrainConfig(loss=loss, reduction=reduction, l2=0.05 if case % 4 == 0 else 0.0)
    x, t = X[0], T[0]
    grads = per_sample_gradients(net, cfg, x, t)
    for l in range(net.n_layers):
        rows, cols = net.weights[l].shape
        for j in range(rows):
            for k in range(cols):
                cr = chain_rule(net, cfg, x, t, "weight", l, j, k)
                assert cr.gradient == pytest.approx(grads[2 * l][j, k], rel=1e-9, abs=1e-12)
                if cr.n_paths == len(cr.paths):  # every path listed: their products add up too
                    assert cr.listed_sum == pytest.approx(cr.total, rel=1e-9, abs=1e-12)
            cb = chain_rule(net, cfg, x, t, "bias", l, j)
            assert cb.gradient == pytest.approx(grads[2 * l + 1][j], rel=1e-9, abs=1e-12)


def test_a_2_2_1_weight_has_one_path_with_the_factors_a_student_writes():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=1)
    cfg = TrainConfig(loss="half_sse")
    x, t = np.array([1.0, 0.0]), np.array([1.0])
    cr = chain_rule(net, cfg, x, t, "weight", 0, 1, 0)  # w₂₁⁽¹⁾: from x₁ to hidden neuron 2
    assert cr.name == "w₂₁⁽¹⁾" and cr.n_paths == 1 and len(cr.paths) == 1
    path = cr.paths[0]
    assert path.neurons == ((1, 1), (2, 0))
    assert [f.symbol for f in path.factors] == [
        "∂z₂⁽²⁾/∂w₂₁⁽¹⁾",
        "f′(z₂⁽²⁾)",
        "w₁₂⁽²⁾",
        "f′(z₁⁽³⁾)",
        "∂E/∂a₁⁽³⁾",
    ]
    zs, acts = net.forward(x[None, :])
    h, o = acts[1][0], acts[2][0]
    expected = [x[0], h[1] * (1 - h[1]), net.weights[1][0, 1], o[0] * (1 - o[0]), o[0] - t[0]]
    np.testing.assert_allclose([f.value for f in path.factors], expected, rtol=1e-12)
    assert path.product == pytest.approx(np.prod(expected), rel=1e-12)


def test_a_softmax_output_branches_through_its_jacobian():
    net = Network.create([2, 3, 3], ["tanh", "softmax"], seed=2)
    cfg = TrainConfig(loss="cce")
    x, t = np.array([0.3, -0.7]), np.array([0.0, 1.0, 0.0])
    cr = chain_rule(net, cfg, x, t, "weight", 0, 0, 1)
    assert cr.n_paths == 3 * 3 == len(cr.paths)  # three outputs to reach, each then to all three
    assert cr.paths[0].factors[-2].symbol == "∂a₁⁽³⁾/∂z₁⁽³⁾"
    assert cr.listed_sum == pytest.approx(cr.total, rel=1e-12)
    grads = per_sample_gradients(net, cfg, x, t)
    assert cr.total == pytest.approx(grads[0][0, 1], rel=1e-10)


def test_many_paths_are_counted_but_listed_up_to_the_limit():
    net = Network.create([2, 8, 8, 8, 2], ["tanh", "tanh", "tanh", "identity"], seed=3)
    cfg = TrainConfig(loss="mse")
    x, t = np.array([0.1, 0.2]), np.array([0.5, -0.5])
    cr = chain_rule(net, cfg, x, t, "weight", 0, 0, 0, max_paths=50)
    assert cr.n_paths == 8 * 8 * 2 and len(cr.paths) == 50
    grads = per_sample_gradients(net, cfg, x, t)
    assert cr.total == pytest.approx(grads[0][0, 0], rel=1e-10)
    full = chain_rule(net, cfg, x, t, "weight", 0, 0, 0, max_paths=10_000)
    assert len(full.paths) == 128 and full.listed_sum == pytest.approx(full.total, rel=1e-10)


def test_removed_connections_carry_no_path_and_a_neuron_gives_its_delta():
    net = Network.create([2, 3, 2], ["sigmoid", "sigmoid"], seed=4)
    net.set_connection(1, 1, 0, False)  # hidden 1 no longer feeds output 2
    cfg = TrainConfig()
    x, t = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    cr = chain_rule(net, cfg, x, t, "neuron", 1, 0)
    assert cr.n_paths == 1 and cr.paths[0].neurons == ((1, 0), (2, 0))
    assert cr.name == "z₁⁽²⁾"
    grads = per_sample_gradients(net, cfg, x, t)
    assert cr.total == pytest.approx(grads[1][0], rel=1e-10)  # δ = ∂E/∂b of the same neuron
    with pytest.raises(EngineError, match="no such connection"):
        chain_rule(net, cfg, x, t, "weight", 1, 1, 0)
    with pytest.raises(EngineError):
        chain_rule(net, cfg, x, t, "neuron", 0, 0)  # an input has no δ
    with pytest.raises(EngineError):
        chain_rule(net, cfg, x, t, "edge", 0, 0)


def test_names_follow_the_notation():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=1)
    cr = chain_rule(
        net,
        TrainConfig(),
        np.array([1.0, 0.0]),
        np.array([1.0]),
        "weight",
        0,
        1,
        0,
        names=Names(layer_base=0),
    )
    assert cr.name == "w₂₁⁽⁰⁾" and cr.paths[0].factors[0].symbol == "∂z₂⁽¹⁾/∂w₂₁⁽⁰⁾"


def test_a_loss_that_does_not_fit_the_output_is_refused_and_a_step_unit_gives_zero_paths():
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=1)
    with pytest.raises(EngineError, match="needs a softmax output layer"):
        chain_rule(net, TrainConfig(loss="cce"), np.array([1.0, 0.0]), np.array([1.0]), "bias", 1, 0)
    step = Network.create([2, 2, 1], ["step", "sigmoid"], seed=1)
    cr = chain_rule(step, TrainConfig(), np.array([1.0, 0.0]), np.array([1.0]), "weight", 0, 0, 0)
    assert (
        cr.total == 0.0 and cr.paths[0].factors[1].symbol == "f′(z₁⁽²⁾)" and cr.paths[0].factors[1].value == 0
    )


def test_a_saturated_unit_shows_its_infinite_factor_without_warnings(recwarn):
    net = Network.create([1, 1], ["sigmoid"], seed=0)
    net.weights[0][:] = [[100.0]]  # o = σ(100) = 1 in float64: ∂E/∂o = (o − t)/(o(1 − o)) = ∞ for BCE
    cr = chain_rule(net, TrainConfig(loss="bce"), np.array([1.0]), np.array([0.0]), "bias", 0, 0)
    factors = {f.symbol: f.value for f in cr.paths[0].factors}
    assert factors["f′(z₁⁽²⁾)"] == 0.0 and np.isinf(factors["∂E/∂a₁⁽²⁾"])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
