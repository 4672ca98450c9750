"""Gradient check: the analytic gradient against central finite differences.

For every checked parameter θ, the numerical derivative is ĝ = (J(θ + h) − J(θ − h)) / 2h.

* :func:`gradient_check` (the engine's own tests): the largest |g − ĝ| / max(|g| + |ĝ|, tiny) per
  weight layer, on a sample of the weights.
* :func:`check_parameters` (the window's Gradient Check and ``bpstudio gradcheck``): every weight and
  bias, each with g, ĝ and a relative error that means something for tiny gradients too:

      e = |g − ĝ| / max(|g|, |ĝ|, f·G),   G = maxⱼ |gⱼ| (the largest gradient; |J| if all are 0)

  with f = :data:`FLOOR` (10⁻³): a gradient a thousand times smaller than the largest is compared on
  the largest one's scale, where the finite difference's own rounding (≈ 10⁻¹⁶·|J|/h) would otherwise
  look like a large relative error. A parameter is flagged when e > the tolerance (default 10⁻⁵;
  central differences in float64 with h = 10⁻⁶ agree to about 10⁻⁸ on smooth losses). Near a kink
  (ReLU or leaky ReLU at z ≈ 0, within h of it) the difference quotient straddles the kink and may
  disagree with a correct gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import TrainConfig
from .errors import EngineError
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


def central_difference(
    net: Network, config: TrainConfig, X: np.ndarray, T: np.ndarray, flat: np.ndarray, k: int, h: float
) -> float:
    """(J(θ + h·eₖ) − J(θ − h·eₖ)) / 2h for entry k of ``flat``, a flat view of one of ``net``'s
    parameter arrays (changed and put back)."""
    old = flat[k]
    flat[k] = old + h
    up = batch_loss(net, config, X, T)
    flat[k] = old - h
    down = batch_loss(net, config, X, T)
    flat[k] = old
    return float((up - down) / (2 * h))


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
            if kind == "b" and not net.use_bias[layer]:
                idx = idx[:0]  # a layer without biases has none to check
            if max_per_layer is not None and idx.size > max_per_layer:
                idx = rng.choice(idx, size=max_per_layer, replace=False)
            worst = 0.0
            for k in idx:
                num = central_difference(work, config, X, T, flat, int(k), h)
                ana = g.reshape(-1)[k]
                rel = abs(num - ana) / max(abs(num) + abs(ana), 1e-12)
                worst = max(worst, rel)
                count += 1
            errs[kind] = worst
        report.append(LayerCheck(layer, errs["W"], errs["b"], count))
    return report


#: below f·(the largest gradient), a gradient is compared on that scale (see the module docstring)
FLOOR = 1e-3
#: flagged above this relative error, by default
TOLERANCE = 1e-5


@dataclass(frozen=True)
class ParameterCheck:
    """One weight (``frm`` set) or bias (``frm`` None) of weight layer ``layer``, into neuron ``to``."""

    layer: int
    to: int
    frm: int | None
    analytic: float  # g = ∂J/∂θ by backpropagation
    numeric: float  # ĝ = (J(θ + h) − J(θ − h)) / 2h
    rel_error: float  # e, see the module docstring
    flagged: bool  # e > tolerance


@dataclass(frozen=True)
class GradientReport:
    """The check of every parameter of a network on one batch (:func:`check_parameters`)."""

    rows: tuple[ParameterCheck, ...]
    loss: float  # J at the current parameters
    h: float
    tolerance: float
    floor: float  # f·G, the smallest denominator of a relative error
    samples: int  # the number of samples in the batch
    complete: bool  # False if it was cancelled part way

    @property
    def flagged(self) -> list[ParameterCheck]:
        return [r for r in self.rows if r.flagged]

    @property
    def max_rel_error(self) -> float:
        return max((r.rel_error for r in self.rows), default=0.0)


def check_parameters(
    net: Network,
    config: TrainConfig,
    X: np.ndarray,
    T: np.ndarray,
    h: float = 1e-6,
    tolerance: float = TOLERANCE,
    progress: Callable[[int, int], bool] | None = None,
) -> GradientReport:
    """Compare backpropagation's ∂J/∂θ with central differences for every weight and bias (removed
    connections are not parameters), in the order W⁰ (row by row), b⁰, W¹, b¹, …

    J is the batch loss on (X, T) with the settings' loss, reduction and regularisation. ``progress``
    is called with (parameters done, parameters in all) about every 1/20 of the work; when it returns
    False the check stops and the report holds the parameters done (``complete`` False).
    """
    if not (np.isfinite(h) and h > 0):
        raise EngineError(f"the step h must be a positive number, not {h!r}")
    if not (np.isfinite(tolerance) and tolerance > 0):
        raise EngineError(f"the tolerance must be a positive number, not {tolerance!r}")
    X = np.asarray(X, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise EngineError("the gradient check needs at least one sample")
    grads = analytic_gradients(net, config, X, T)
    loss = batch_loss(net, config, X, T)
    largest = max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)
    floor = FLOOR * (largest if largest > 0 else max(abs(loss), 1e-300))
    work = net.copy()
    params: list[tuple[int, int, int | None, np.ndarray, int, float]] = []
    for layer in range(net.n_layers):
        W, g = work.weights[layer], grads[2 * layer]
        mask = net.masks[layer]
        for to in range(W.shape[0]):
            for frm in range(W.shape[1]):
                if mask is None or mask[to, frm]:
                    params.append((layer, to, frm, W, to * W.shape[1] + frm, float(g[to, frm])))
        b, gb = work.biases[layer], grads[2 * layer + 1]
        if net.use_bias[layer]:
            params.extend((layer, to, None, b, to, float(gb[to])) for to in range(b.size))
    total = len(params)
    every = max(total // 20, 1)
    rows: list[ParameterCheck] = []
    for i, (wl, j, source, arr, k, ana) in enumerate(params):
        if progress is not None and i % every == 0 and not progress(i, total):
            break
        num = central_difference(work, config, X, T, arr.reshape(-1), k, h)
        rel = abs(num - ana) / max(abs(ana), abs(num), floor)
        if not np.isfinite(rel):
            rel = float("inf")
        rows.append(ParameterCheck(wl, j, source, ana, float(num), float(rel), bool(rel > tolerance)))
    else:
        if progress is not None:
            progress(total, total)
    return GradientReport(tuple(rows), loss, h, tolerance, floor, int(X.shape[0]), len(rows) == total)
