"""Gradient check: the analytic gradient against central finite differences.

For every checked parameter θ, the numerical derivative is (J(θ + h) − J(θ − h)) / 2h, and the relative
error is |g − ĝ| / max(|g| + |ĝ|, tiny). The report gives the largest relative error per weight layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import TrainConfig
from .losses import get_loss, reduction_scale
from .network import Network
from .regularisation import penalty


@dataclass
class LayerCheck:
    layer: int
    max_rel_error_W: float
    max_rel_error_b: float
    checked: int


def batch_loss(net: Network, config: TrainConfig, X: np.ndarray, T: np.ndarray) -> float:
    """J = s·[Σₓ Eₓ + (λ₂/2)·Σw² + λ₁·Σ|w|] for the batch (X, T)."""
    zs, acts = net.forward(X)
    s = reduction_scale(config.reduction, X.shape[0])
    data = np.sum(get_loss(config.loss).value(acts[-1], T, zs[-1]))
    return float(s * (data + penalty(net.weights, config.l1, config.l2)))


def analytic_gradients(net: Network, config: TrainConfig, X: np.ndarray, T: np.ndarray) -> list[np.ndarray]:
    """[∂J/∂W⁰, ∂J/∂b⁰, ...] by backpropagation (one traced step, nothing applied)."""
    from .trace import StepTrace  # noqa: F401  (documents the source of the numbers)
    from .training import Trainer

    probe = Trainer(net.copy(), config, X, T)
    micro = probe.begin_step(list(range(X.shape[0])))
    micro.run_until("backward 1")
    grads: list[np.ndarray] = []
    for up in micro.trace.updates:
        g, gb = up.grad_W, up.grad_b
        assert g is not None and gb is not None  # the backward pass has run
        if config.l1 or config.l2:
            from .regularisation import penalty_grad

            pg = penalty_grad(probe.network.weights[up.layer], config.l1, config.l2)
            assert pg is not None  # a λ is set
            g = g + micro.trace.scale * pg
            mask = net.masks[up.layer]
            if mask is not None:
                g = g * mask
        grads.append(g)
        grads.append(gb)
    return grads


def gradient_check(
    net: Network,
    config: TrainConfig,
    X: np.ndarray,
    T: np.ndarray,
    h: float = 1e-6,
    max_per_layer: int | None = 200,
    seed: int = 0,
) -> list[LayerCheck]:
    """Compare backpropagation with central differences; at most ``max_per_layer`` weights per layer."""
    X = np.asarray(X, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    grads = analytic_gradients(net, config, X, T)
    work = net.copy()
    rng = np.random.default_rng(seed)
    report = []
    for layer in range(net.n_layers):
        errs = {}
        count = 0
        for kind, arr, g in (
            ("W", work.weights[layer], grads[2 * layer]),
            ("b", work.biases[layer], grads[2 * layer + 1]),
        ):
            flat = arr.reshape(-1)
            idx = np.arange(flat.size)
            mask = net.masks[layer]
            if kind == "W" and mask is not None:
                idx = idx[mask.reshape(-1)]
            if max_per_layer is not None and idx.size > max_per_layer:
                idx = rng.choice(idx, size=max_per_layer, replace=False)
            worst = 0.0
            for k in idx:
                old = flat[k]
                flat[k] = old + h
                up = batch_loss(work, config, X, T)
                flat[k] = old - h
                down = batch_loss(work, config, X, T)
                flat[k] = old
                num = (up - down) / (2 * h)
                ana = g.reshape(-1)[k]
                rel = abs(num - ana) / max(abs(num) + abs(ana), 1e-12)
                worst = max(worst, rel)
                count += 1
            errs[kind] = worst
        report.append(LayerCheck(layer, errs["W"], errs["b"], count))
    return report
