"""Backpropagation is exact: every activation × loss × reduction against autograd and central differences.

The reference (tests/test_engine_reference.py) is the forward pass written in autograd.numpy from the
formulas; the engine's numbers come from a traced step (per-sample δ, batch ∂E/∂W after the update,
which includes the reduction factor and any regularisation).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_reference import reference_deltas, reference_gradients, reference_output_errors

from bpstudio.engine import Network, TrainConfig, Trainer, gradient_check

ELEMENTWISE = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]
LOSSES = ["half_sse", "sse", "mse", "bce", "cce"]
#: central differences with h = 1e-5 agree to ~5e-6 (relative) here; a wrong gradient is off by O(1)
FD_TOL = 2e-5


def _cases():
    """(hidden activation, output activation, loss, reduction) for every activation, loss and reduction,
    valid pairs only: bce needs a sigmoid output layer, cce a softmax one, softmax is output-only."""
    out = []
    for loss in LOSSES:
        for reduction in ("mean", "sum"):
            for act in ELEMENTWISE:
                output = {"bce": "sigmoid", "cce": "softmax"}.get(loss, act)
                out.append((act, output, loss, reduction))
            if loss != "bce":
                out.append(("tanh", "softmax", loss, reduction))
    return out


CASES = _cases()


def _problem(case_index: int, hidden: str, output: str, loss: str, two_hidden: bool = True):
    """A seeded random network and batch for one case: random sizes, weights, inputs and targets."""
    rng = np.random.default_rng(1000 + case_index)
    n_in = int(rng.integers(1, 5))
    n_out = int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 4))
    hidden_sizes = [int(rng.integers(1, 5)) for _ in range(2 if two_hidden else 1)]
    sizes = [n_in, *hidden_sizes, n_out]
    acts = [hidden] * len(hidden_sizes) + [output]
    net = Network.create(sizes, acts, init="normal", init_params={"sigma": 0.8}, seed=case_index)
    m = int(rng.integers(1, 7))
    X = rng.normal(size=(m, n_in))
    if loss == "cce":
        T = np.eye(n_out)[rng.integers(0, n_out, m)]
    elif loss == "bce":
        T = rng.integers(0, 2, size=(m, n_out)).astype(float)
    else:
        T = rng.normal(size=(m, n_out))
    return net, X, T


def _traced(net, X, T, **cfg_kwargs):
    """The complete trace of one SGD step on the whole batch (X, T)."""
    cfg = TrainConfig(optimiser="sgd", optimiser_params={"lr": 0.1}, batch_mode="full", **cfg_kwargs)
    trainer = Trainer(net.copy(), cfg, X, T)
    return trainer.begin_step(list(range(X.shape[0]))).finish()


@pytest.mark.parametrize("index", range(len(CASES)), ids=["-".join(c) for c in CASES])
def test_gradients_match_autograd_and_finite_differences(index):
    hidden, output, loss, reduction = CASES[index]
    net, X, T = _problem(index, hidden, output, loss)
    trace = _traced(net, X, T, loss=loss, reduction=reduction)

    # per-sample δ = ∂Eₓ/∂z in every layer
    for rec, ref in zip(trace.layers[1:], reference_deltas(net, loss, X, T)):
        np.testing.assert_allclose(rec.delta, ref, rtol=1e-9, atol=1e-12)
    # per-sample ∂Eₓ/∂a (the output-error notation's β = −∂Eₓ/∂o) in every layer
    for rec, ref in zip(trace.layers[1:], reference_output_errors(net, loss, X, T)):
        np.testing.assert_allclose(rec.dE_da, ref, rtol=1e-9, atol=1e-12)
    # batch ∂J/∂W and ∂J/∂b of the reduced loss
    ref = reference_gradients(net, loss, reduction, X, T)
    for i, up in enumerate(trace.updates):
        np.testing.assert_allclose(up.grad_W, ref[2 * i], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(up.grad_b, ref[2 * i + 1], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(up.delta_W, -0.1 * ref[2 * i], rtol=1e-9, atol=1e-13)
    # the batch loss itself
    s = 1.0 / X.shape[0] if reduction == "mean" else 1.0
    assert trace.loss_before == pytest.approx(s * float(np.sum(trace.loss_per_sample)), rel=1e-12, abs=1e-14)

    # and central finite differences (engine/gradcheck.py)
    cfg = TrainConfig(loss=loss, reduction=reduction)
    for layer in gradient_check(net, cfg, X, T, h=1e-5):
        assert layer.max_rel_error_W < FD_TOL, (layer, CASES[index])
        assert layer.max_rel_error_b < FD_TOL, (layer, CASES[index])


REG_CASES = [
    ("sigmoid", "sigmoid", "bce", "mean", 0.0, 0.3),
    ("tanh", "softmax", "cce", "sum", 0.2, 0.0),
    ("relu", "identity", "half_sse", "mean", 0.1, 0.5),
    ("elu", "tanh", "mse", "sum", 0.05, 0.05),
]


@pytest.mark.parametrize("hidden,output,loss,reduction,l1,l2", REG_CASES)
def test_regularised_gradients_exclude_biases(hidden, output, loss, reduction, l1, l2):
    net, X, T = _problem(7, hidden, output, loss)
    trace = _traced(net, X, T, loss=loss, reduction=reduction, l1=l1, l2=l2)
    ref = reference_gradients(net, loss, reduction, X, T, l1=l1, l2=l2)
    plain = reference_gradients(net, loss, reduction, X, T)
    for i, up in enumerate(trace.updates):
        np.testing.assert_allclose(up.grad_W, ref[2 * i], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(up.grad_b, ref[2 * i + 1], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(up.grad_b, plain[2 * i + 1], rtol=1e-9, atol=1e-12)  # no penalty on b
    # J = s·[Σₓ Eₓ + λ₂/2 Σ w² + λ₁ Σ |w|]
    s = 1.0 / X.shape[0] if reduction == "mean" else 1.0
    pen = sum(0.5 * l2 * np.sum(w * w) + l1 * np.sum(np.abs(w)) for w in net.weights)
    assert trace.penalty == pytest.approx(s * pen, rel=1e-12)
    assert trace.loss_before == pytest.approx(s * (np.sum(trace.loss_per_sample) + pen), rel=1e-12)
    cfg = TrainConfig(loss=loss, reduction=reduction, l1=l1, l2=l2)
    for layer in gradient_check(net, cfg, X, T, h=1e-5):
        assert layer.max_rel_error_W < FD_TOL and layer.max_rel_error_b < FD_TOL


@pytest.mark.parametrize("l1,l2", [(0.0, 0.0), (0.1, 0.2)])
def test_masked_connections_have_zero_gradient_and_match_the_reduced_network(l1, l2):
    net, X, T = _problem(11, "tanh", "sigmoid", "bce")
    rng = np.random.default_rng(5)
    for i, w in enumerate(net.weights):
        mask = rng.random(w.shape) > 0.4
        mask.flat[0] = False
        net.masks[i] = mask
    net.validate()
    trace = _traced(net, X, T, loss="bce", reduction="mean", l1=l1, l2=l2)
    # autograd on the network whose removed weights are 0 (as the engine keeps them), masked afterwards
    ref = reference_gradients(net, "bce", "mean", X, T, l1=l1, l2=l2)
    for i, up in enumerate(trace.updates):
        mask = net.masks[i]
        assert np.all(up.grad_W[~mask] == 0.0)
        assert np.all(up.delta_W[~mask] == 0.0)
        assert np.all(up.W_after[~mask] == 0.0)
        np.testing.assert_allclose(up.grad_W[mask], ref[2 * i][mask], rtol=1e-9, atol=1e-12)
    cfg = TrainConfig(loss="bce", l1=l1, l2=l2)
    for layer in gradient_check(net, cfg, X, T, h=1e-5):
        assert layer.max_rel_error_W < FD_TOL and layer.max_rel_error_b < FD_TOL
