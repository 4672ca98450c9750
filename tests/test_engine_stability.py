"""Activations and losses are numerically stable: correct limits at |z| = 1000 and not one warning
(NumPy errors raise and Python warnings are errors in these tests)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bpstudio.engine import ACTIVATIONS, LOSSES, Network, TrainConfig, Trainer

Z = np.array([[-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0]])
G = np.linspace(0.5, 1.5, Z.shape[1]).reshape(1, -1)


@pytest.fixture
def strict():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            yield


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_activation_is_finite_and_silent_at_plus_minus_1000(name, strict):
    act = ACTIVATIONS.get(name)
    a = act.fn(Z)
    fp = act.grad(Z, a)
    d = act.backward(Z, a, G)
    for arr in (a, fp, d):
        assert arr.shape == Z.shape and np.all(np.isfinite(arr))


def test_activation_limits(strict):
    def f(name):
        return ACTIVATIONS.get(name).fn(Z)[0]

    assert f("sigmoid")[-1] == 1.0 and 0.0 <= f("sigmoid")[0] < 1e-300
    assert f("sigmoid")[3] == 0.5
    assert f("tanh")[0] == -1.0 and f("tanh")[-1] == 1.0
    assert f("softplus")[-1] == 1000.0 and 0.0 <= f("softplus")[0] < 1e-300
    assert f("elu")[0] == -1.0 and f("elu")[-1] == 1000.0
    assert f("relu")[0] == 0.0 and f("leaky_relu")[0] == -10.0
    assert list(f("step")) == [0, 0, 0, 0, 1, 1, 1]
    sm = ACTIVATIONS.get("softmax").fn(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]))
    assert sm[0, 0] == 1.0 and np.all(sm[0, 1:] < 1e-300)
    np.testing.assert_allclose(sm[1], [1 / 3] * 3, rtol=1e-15)
    sig = ACTIVATIONS.get("sigmoid")
    assert sig.grad(Z, sig.fn(Z))[0, -1] == 0.0


@pytest.mark.parametrize("loss_name", LOSSES.names())
def test_losses_are_finite_and_exact_at_plus_minus_1000(loss_name, strict):
    loss = LOSSES.get(loss_name)
    outputs = {"bce": ["sigmoid"], "cce": ["softmax"]}.get(
        loss_name, ["identity", "sigmoid", "tanh", "softmax"]
    )
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 3.0]])
    t = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    for out in outputs:
        act = ACTIVATIONS.get(out)
        o = act.fn(z)
        per = loss.value(o, t, z)
        tot = loss.total(o, t, z)
        delta = loss.output_delta(z, o, t, act)
        assert np.all(np.isfinite(per)) and np.isfinite(tot) and np.all(np.isfinite(delta))
        assert tot == pytest.approx(per.sum(), rel=1e-12)
    if loss_name == "bce":
        # −[t ln σ(z) + (1 − t) ln(1 − σ(z))]: confidently wrong by 1000 on both outputs of the first two rows
        np.testing.assert_allclose(per[:2], [2000.0, 0.0], atol=1e-9)
    if loss_name == "cce":
        np.testing.assert_allclose(per[:2], [2000.0, 0.0], atol=1e-9)
        np.testing.assert_allclose(delta[0], [1.0, -1.0], atol=1e-15)


def test_a_training_step_with_saturated_units_is_silent(strict):
    X = np.array([[1.0, -1.0], [-1.0, 1.0]])
    T = np.array([[1.0, 0.0], [0.0, 1.0]])
    net = Network(
        [2, 2, 2],
        ["sigmoid", "softmax"],
        [np.array([[500.0, -500.0], [-500.0, 500.0]]), np.array([[800.0, -800.0], [-800.0, 800.0]])],
        [np.zeros(2), np.zeros(2)],
    )
    trainer = Trainer(net, TrainConfig(loss="cce", batch_mode="full"), X, T)
    trace = trainer.step_batch()
    assert trace.loss_before == pytest.approx(0.0, abs=1e-300)
    trainer.run(epochs=2)
    assert all(np.all(np.isfinite(p)) for p in net.parameters())
