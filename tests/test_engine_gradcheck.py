"""The per-parameter gradient check (issue 15.4): backprop's ∂J/∂θ against central differences for
every weight and bias, with a relative error that means something for tiny gradients."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_gradients import CASES, _problem

from bpstudio.engine import EngineError, Network, TrainConfig, check_parameters
from bpstudio.engine import gradcheck as gc


def test_every_activation_and_loss_agrees_and_every_parameter_is_checked():
    for i, (hidden, output, loss, reduction) in enumerate(CASES):
        net, X, T = _problem(i, hidden, output, loss)
        cfg = TrainConfig(loss=loss, reduction=reduction, l2=0.01 if i % 3 == 0 else 0.0)
        report = check_parameters(net, cfg, X, T)
        n_params = sum(w.size + b.size for w, b in zip(net.weights, net.biases))
        assert len(report.rows) == n_params and report.complete
        assert not report.flagged, (hidden, output, loss, reduction, report.flagged[:3])
        assert report.max_rel_error < gc.TOLERANCE / 2
        grads = gc.analytic_gradients(net, cfg, X, T)
        first = report.rows[0]  # W⁰ row by row first
        assert (first.layer, first.to, first.frm) == (0, 0, 0) and first.analytic == grads[0][0, 0]


def test_a_wrong_gradient_is_flagged_and_only_it(monkeypatch):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=3)
    X = np.array([[0.0, 1.0], [1.0, 0.5], [-0.3, 0.2]])
    T = np.array([[1.0], [0.0], [1.0]])
    cfg = TrainConfig()
    real = gc.analytic_gradients

    def wrong(*args):
        grads = real(*args)
        grads[2][0, 1] *= 1.01  # W¹ from hidden neuron 2: one per cent off
        return grads

    monkeypatch.setattr(gc, "analytic_gradients", wrong)
    report = check_parameters(net, cfg, X, T)
    assert [(r.layer, r.to, r.frm) for r in report.flagged] == [(1, 0, 1)]
    assert report.flagged[0].rel_error == pytest.approx(0.01 / 1.01, rel=1e-3)


def test_tiny_gradients_are_judged_on_the_largest_ones_scale():
    """A weight from an input that is 0 in every sample has g = 0 exactly; the difference quotient's
    rounding is then not a 100 % relative error."""
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=5)
    X = np.array([[0.0, 0.3], [0.0, 0.9]])
    T = np.array([[1.0], [0.0]])
    report = check_parameters(net, TrainConfig(), X, T, h=1e-4)
    zero = [r for r in report.rows if r.layer == 0 and r.frm == 0]
    assert len(zero) == 2 and all(r.analytic == 0.0 for r in zero)
    assert all(r.rel_error < 1e-5 and not r.flagged for r in zero)
    largest = max(abs(r.analytic) for r in report.rows)
    assert report.floor == pytest.approx(gc.FLOOR * largest)


def test_removed_connections_are_not_parameters_and_progress_can_cancel():
    net = Network.create([3, 4, 2], ["relu", "identity"], seed=2)
    net.set_connection(0, 1, 2, False)
    X = np.random.default_rng(0).normal(size=(5, 3))
    T = np.random.default_rng(1).normal(size=(5, 2))
    report = check_parameters(net, TrainConfig(loss="mse"), X, T)
    assert len(report.rows) == 3 * 4 - 1 + 4 + 4 * 2 + 2
    assert (0, 1, 2) not in {(r.layer, r.to, r.frm) for r in report.rows}
    seen = []

    def stop_half_way(done: int, total: int) -> bool:
        seen.append((done, total))
        return done < total // 2

    partial = check_parameters(net, TrainConfig(loss="mse"), X, T, progress=stop_half_way)
    assert not partial.complete and 0 < len(partial.rows) < len(report.rows)
    assert partial.rows == report.rows[: len(partial.rows)]
    assert seen[0] == (0, len(report.rows))


@pytest.mark.parametrize("h,tol", [(0.0, 1e-5), (-1e-6, 1e-5), (float("nan"), 1e-5), (1e-6, 0.0)])
def test_bad_settings_are_refused(h, tol):
    net = Network.create([1, 1], ["identity"], seed=0)
    with pytest.raises(EngineError):
        check_parameters(net, TrainConfig(), np.ones((1, 1)), np.ones((1, 1)), h=h, tolerance=tol)
    with pytest.raises(EngineError, match="at least one sample"):
        check_parameters(net, TrainConfig(), np.ones((0, 1)), np.ones((0, 1)))
