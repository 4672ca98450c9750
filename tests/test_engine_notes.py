"""The lecture notes' worked numbers and formulas come out of the engine as printed.

seeds/004 (BMB3015): the XNOR network of step units, its table of z and a for the four inputs, and the
error-signal notation Δ = (t − o)·g′(in), Δⱼ = g′(inⱼ)·Σᵢ Wⱼ,ᵢ Δᵢ, W ← W + α·a·Δ.
seeds/002 (COMP9444): the XOR forward pass u₁ = b₁ + w₁₁x₁ + w₁₂x₂ … and its backward pass
δ_out = (z − t)z(1 − z) ….
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpstudio.engine import Network, TrainConfig, Trainer, TrainingRefused, present
from bpstudio.workspace import load_example, trainer_for

XNOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XNOR_T = np.array([[1.0], [0.0], [0.0], [1.0]])

#: the notes' table, one row per input (x₁, x₂) = (0,0), (0,1), (1,0), (1,1):
#: z₁⁽²⁾, a₁⁽²⁾, z₂⁽²⁾, a₂⁽²⁾, z₁⁽³⁾, a₁⁽³⁾
XNOR_TABLE = [
    (-0.3, 0, 0.2, 1, 0.1, 1),
    (-0.1, 0, 0.0, 0, -0.1, 0),
    (-0.1, 0, 0.0, 0, -0.1, 0),
    (0.1, 1, -0.2, 0, 0.1, 1),
]


def _xnor_network() -> Network:
    """Hidden 1: bias −0.3, weights 0.2, 0.2; hidden 2: bias 0.2, weights −0.2, −0.2;
    output: bias −0.1, weights 0.2, 0.2; step(z) = 1 if z > 0 else 0."""
    return Network(
        [2, 2, 1],
        ["step", "step"],
        [np.array([[0.2, 0.2], [-0.2, -0.2]]), np.array([[0.2, 0.2]])],
        [np.array([-0.3, 0.2]), np.array([-0.1])],
    )


def _check_table(layers) -> None:
    for row, (z1, a1, z2, a2, z3, a3) in enumerate(XNOR_TABLE):
        assert layers[1].z[row, 0] == pytest.approx(z1, abs=1e-12)
        assert layers[1].a[row, 0] == a1
        assert layers[1].z[row, 1] == pytest.approx(z2, abs=1e-12)
        assert layers[1].a[row, 1] == a2
        assert layers[2].z[row, 0] == pytest.approx(z3, abs=1e-12)
        assert layers[2].a[row, 0] == a3


def test_xnor_step_table_of_seeds_004():
    trainer = Trainer(_xnor_network(), TrainConfig(shuffle=False), XNOR_X, XNOR_T)
    trace = trainer.begin_step([0, 1, 2, 3]).run_until("loss")
    _check_table(trace.layers)
    np.testing.assert_array_equal(trace.outputs, XNOR_T)  # it computes XNOR
    assert trace.loss_before == 0.0
    zs, acts = _xnor_network().forward(XNOR_X)
    np.testing.assert_array_equal(acts[2], XNOR_T)


def test_xnor_step_example_reproduces_the_table_through_the_workspace():
    project = load_example("xnor-step")
    trainer, _ = trainer_for(project)
    np.testing.assert_array_equal(trainer.X, XNOR_X)
    trace = trainer.begin_step([0, 1, 2, 3]).run_until("loss")
    _check_table(trace.layers)
    with pytest.raises(TrainingRefused):
        trainer.step_batch()


def test_the_example_line_sigma_of_minus_0_1():
    """z = (−0.3)(1) + (0.2)(1) + (0.2)(0) = −0.1,  a = σ(−0.1) = 0.4750."""
    net = Network([2, 1], ["sigmoid"], [np.array([[0.2, 0.2]])], [np.array([-0.3])])
    trainer = Trainer(net, TrainConfig(), np.array([[1.0, 0.0]]), np.array([[1.0]]))
    trace = trainer.begin_step([0]).run_until("forward 1")
    z, a = trace.layers[1].z[0, 0], trace.layers[1].a[0, 0]
    assert z == pytest.approx(-0.1, abs=1e-15)
    assert f"{a:.4f}" == "0.4750"
    assert trace.layers[1].fprime[0, 0] == pytest.approx(a * (1 - a), rel=1e-15)


# ---------------------------------------------------------------------------- seeds/002, XOR
W11, W12, B1 = 0.3, -0.4, 0.1
W21, W22, B2 = -0.6, 0.5, 0.2
V1, V2, C = 0.7, -0.8, -0.05


def _xor_trace(samples, reduction="sum", lr=0.5):
    net = Network(
        [2, 2, 1],
        ["sigmoid", "sigmoid"],
        [np.array([[W11, W12], [W21, W22]]), np.array([[V1, V2]])],
        [np.array([B1, B2]), np.array([C])],
    )
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([[0.0], [1.0], [1.0], [0.0]])
    cfg = TrainConfig(loss="half_sse", reduction=reduction, optimiser="sgd", optimiser_params={"lr": lr})
    return Trainer(net, cfg, X, T).begin_step(samples).finish(), X, T


def _g(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_xor_forward_and_backward_formulas_of_seeds_002():
    trace, X, T = _xor_trace([0, 1, 2, 3])
    dv1 = dv2 = dc = dw11 = dw12 = db1 = dw21 = dw22 = db2 = E = 0.0
    for row, ((x1, x2), (t,)) in enumerate(zip(X, T)):
        u1 = B1 + W11 * x1 + W12 * x2
        u2 = B2 + W21 * x1 + W22 * x2
        y1, y2 = _g(u1), _g(u2)
        s = C + V1 * y1 + V2 * y2
        z = _g(s)
        E += 0.5 * (z - t) ** 2
        d_out = (z - t) * z * (1 - z)
        d1 = d_out * V1 * y1 * (1 - y1)
        d2 = d_out * V2 * y2 * (1 - y2)
        layers = trace.layers
        assert layers[1].z[row, 0] == pytest.approx(u1, rel=1e-14)
        assert layers[1].a[row, 1] == pytest.approx(y2, rel=1e-14)
        assert layers[2].z[row, 0] == pytest.approx(s, rel=1e-14)
        assert layers[2].a[row, 0] == pytest.approx(z, rel=1e-14)
        assert layers[2].delta[row, 0] == pytest.approx(d_out, rel=1e-13)
        assert layers[1].delta[row, 0] == pytest.approx(d1, rel=1e-13)
        assert layers[1].delta[row, 1] == pytest.approx(d2, rel=1e-13)
        dv1 += d_out * y1
        dv2 += d_out * y2
        dc += d_out
        dw11 += d1 * x1
        dw12 += d1 * x2
        db1 += d1
        dw21 += d2 * x1
        dw22 += d2 * x2
        db2 += d2
    assert trace.loss_before == pytest.approx(E, rel=1e-14)  # E = ½ Σ (z − t)²
    out, hid = trace.updates[1], trace.updates[0]
    np.testing.assert_allclose(out.grad_W, [[dv1, dv2]], rtol=1e-13)
    np.testing.assert_allclose(out.grad_b, [dc], rtol=1e-13)
    np.testing.assert_allclose(hid.grad_W, [[dw11, dw12], [dw21, dw22]], rtol=1e-13, atol=1e-17)
    np.testing.assert_allclose(hid.grad_b, [db1, db2], rtol=1e-13)
    # w ← w − η ∂E/∂w
    np.testing.assert_allclose(out.W_after, [[V1 - 0.5 * dv1, V2 - 0.5 * dv2]], rtol=1e-14)


@pytest.mark.parametrize("sample", [0, 1, 2, 3])
def test_error_signal_notation(sample):
    """Δ = (t − o)·f′(z) at the output, Δⱼ = f′(zⱼ)·Σᵢ wᵢⱼ Δᵢ in the hidden layer, W ← W + η·a·Δ."""
    trace, X, T = _xor_trace([sample], reduction="mean", lr=0.5)
    out, hid = trace.layers[2], trace.layers[1]
    t, o = trace.targets, out.a
    D_out = present(out.delta, "error_signal")
    np.testing.assert_allclose(D_out, (t - o) * o * (1 - o), rtol=1e-14)
    np.testing.assert_allclose(D_out, (t - o) * out.fprime, rtol=1e-14)
    W = trace.updates[1].W_before
    D_hid = present(hid.delta, "error_signal")
    np.testing.assert_allclose(D_hid, hid.fprime * (D_out @ W), rtol=1e-13)
    np.testing.assert_allclose(D_hid[0, 0], hid.fprime[0, 0] * W[0, 0] * D_out[0, 0], rtol=1e-13)
    # the update in that notation: W ← W + η·a·Δ (the notes' α is our η)
    np.testing.assert_allclose(trace.updates[1].delta_W, 0.5 * D_out.T @ hid.a, rtol=1e-14)
    np.testing.assert_allclose(trace.updates[0].delta_W, 0.5 * D_hid.T @ trace.inputs, rtol=1e-14, atol=1e-17)
    assert present(trace.updates[1].grad_W, "error_signal") == pytest.approx(-trace.updates[1].grad_W)
    as_dict = trace.to_dict("error_signal")
    np.testing.assert_allclose(as_dict["layers"][2]["error_signal"], D_out, rtol=1e-15)
