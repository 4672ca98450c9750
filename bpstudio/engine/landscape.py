"""The loss landscape around the current parameters (issue 15.2): J on a grid in a plane of parameter
space, vectorised over the grid.

The plane goes through the parameters θ along two directions d₁, d₂ (each a list of arrays shaped like
[W⁰, b⁰, W¹, b¹, …]): for every grid point (α, β) the batch loss

    J(θ + α·d₁ + β·d₂) = s·[Σₓ Eₓ + (λ₂/2)·Σw² + λ₁·Σ|w|]

is computed (the settings' loss, reduction s and regularisation). With d₁, d₂ unit vectors of two
weights, α and β are those weights' changes (the classic error surface over two weights); with random
directions (:func:`random_directions`, each layer's part scaled to that layer's weights, "filter
normalisation") the plane shows a larger network's landscape.

Grid points are evaluated in chunks as one batched forward pass each (weights of shape (G, n, n′)).
Layers before the first layer that a direction changes are computed once for all points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .config import TrainConfig
from .errors import EngineError
from .gradcheck import batch_loss
from .losses import get_loss, reduction_scale
from .network import Network

#: at most this many numbers in one chunk's largest array (grid points × samples × neurons)
CHUNK_VALUES = 4_000_000


@dataclass(frozen=True)
class Surface:
    """J on the grid: ``values[i, j]`` at (α = alphas[j], β = betas[i])."""

    alphas: np.ndarray
    betas: np.ndarray
    values: np.ndarray
    centre: float  # J at θ (α = β = 0)
    complete: bool  # False when it was cancelled (the rows not reached are NaN)


def unit_direction(
    net: Network, kind: str, layer: int, index: int, frm: int | None = None
) -> list[np.ndarray]:
    """The direction that changes one weight (``kind`` "weight": Wˡ[index, frm]) or one bias ("bias":
    bˡ[index])."""
    out = [np.zeros_like(p) for p in net.parameters()]
    if not 0 <= layer < net.n_layers:
        raise EngineError(f"there is no weight layer {layer + 1}")
    if kind == "weight":
        W = out[2 * layer]
        if frm is None or not (0 <= index < W.shape[0] and 0 <= frm < W.shape[1]):
            raise EngineError("no such weight")
        mask = net.masks[layer]
        if mask is not None and not mask[index, frm]:
            raise EngineError("that connection is removed")
        W[index, frm] = 1.0
    elif kind == "bias":
        b = out[2 * layer + 1]
        if not 0 <= index < b.size:
            raise EngineError("no such bias")
        if not net.use_bias[layer]:
            raise EngineError("that layer has no biases")
        b[index] = 1.0
    else:
        raise EngineError(f"a direction is a weight or a bias, not {kind!r}")
    return out


def _norm(x: np.ndarray) -> float:
    """‖x‖₂ as m·‖x/m‖₂ with m = maxᵢ |xᵢ|: the same value, without the overflow of squaring entries
    past 10¹⁵⁴ (weights that have grown huge); +inf only when the norm itself is past the largest
    float."""
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.linalg.norm(x / m))


def random_directions(net: Network, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Two random directions, each weight matrix's (and bias vector's) part scaled to the norm of that
    part of θ (Li et al. 2018), the second made orthogonal to the first; removed connections stay 0.

    A part dᵢ = (rᵢ/‖rᵢ‖)·‖θᵢ‖ (rᵢ standard normal), so no entry exceeds ‖θᵢ‖; when ‖θᵢ‖ itself is past
    the largest float, maxⱼ|θᵢⱼ| stands for it. The projection d₂ − (d₁·d₂ / d₁·d₁)·d₁ is computed on
    the directions divided by their largest entry (the same ratio, no overflow)."""
    rng = np.random.default_rng(seed)
    params = net.parameters()
    dirs = []
    for _ in range(2):
        d = []
        for i, p in enumerate(params):
            if i % 2 == 1:  # biases are left as they are (as Li et al. do)
                d.append(np.zeros_like(p))
                continue
            r = rng.standard_normal(p.shape)
            mask = net.masks[i // 2]
            if mask is not None:
                r = r * mask
            norm_p, norm_r = _norm(p), _norm(r)
            if not np.isfinite(norm_p):
                norm_p = float(np.max(np.abs(p)))
            d.append((r / norm_r) * norm_p if norm_p > 0 and norm_r > 0 else r)
        dirs.append(d)
    d1, d2 = dirs
    largest = max((float(np.max(np.abs(a))) for a in d1 + d2 if a.size), default=0.0)
    if largest > 0:
        dot = sum(float(np.vdot(a / largest, b / largest)) for a, b in zip(d1, d2))
        n1 = sum(float(np.vdot(a / largest, a / largest)) for a in d1)
        if n1 > 0:
            d2 = [b - (dot / n1) * a for a, b in zip(d1, d2)]
    return d1, d2


def principal_directions(
    net: Network, path: Sequence[np.ndarray]
) -> tuple[list[np.ndarray], list[np.ndarray], tuple[float, float]]:
    """The two principal directions of a path of the parameters (Li et al. 2018): with M the matrix
    whose rows are the path's points (flattened θ, in the order of ``net.parameters()``) minus the
    current θ, d₁ and d₂ are the first two right singular vectors of M (unit vectors), the plane that
    holds most of the path. Also returns the share of the path's spread each explains, σᵢ²/Σσ².
    EngineError when the path has fewer than two points away from θ in different directions."""
    params = net.parameters()
    theta = np.concatenate([p.ravel() for p in params])
    P = np.asarray(list(path), dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != theta.size:
        raise EngineError("the path is not of this network's parameters")
    M = P - theta
    M = M[np.any(M != 0.0, axis=1)]
    if M.shape[0] < 2:
        raise EngineError("the path of the weights is too short: train a few steps first")
    too_far = EngineError("the weights moved too far (beyond what a float can hold) to plot their path")
    if not np.isfinite(M).all():
        raise too_far
    _u, s, vt = np.linalg.svd(M, full_matrices=False)
    if not np.isfinite(s).all():
        raise too_far
    if s.size < 2 or s[1] <= 1e-12 * s[0]:
        raise EngineError("the path of the weights is a straight line: it spans no plane yet")
    # σᵢ²/Σσ² as (σᵢ/σ₁)²/Σ(σⱼ/σ₁)²: the same shares, and no overflow when the weights have grown huge
    r = s / s[0]
    total = float(np.sum(r * r))
    shares = (1.0 / total, float(r[1] * r[1] / total))

    def unflatten(v: np.ndarray) -> list[np.ndarray]:
        out, offset = [], 0
        for p in params:
            out.append(v[offset : offset + p.size].reshape(p.shape).copy())
            offset += p.size
        return out

    return unflatten(vt[0]), unflatten(vt[1]), shares


def loss_surface(
    net: Network,
    config: TrainConfig,
    X: np.ndarray,
    T: np.ndarray,
    d1: Sequence[np.ndarray],
    d2: Sequence[np.ndarray],
    alphas: np.ndarray,
    betas: np.ndarray,
    progress: Callable[[int, int], bool] | None = None,
) -> Surface:
    """J(θ + α·d₁ + β·d₂) for every α in ``alphas`` and β in ``betas`` (see the module docstring).
    ``progress(rows done, rows)`` is called between chunks; when it returns False the computation stops
    (``complete`` False, the rows not reached NaN)."""
    X = np.asarray(X, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise EngineError("the loss landscape needs at least one sample")
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    betas = np.asarray(betas, dtype=np.float64).ravel()
    params = net.parameters()
    for d in (d1, d2):
        if len(d) != len(params) or any(np.shape(a) != p.shape for a, p in zip(d, params)):
            raise EngineError("a direction must have one array per parameter, shaped like it")
    L = net.n_layers
    loss = get_loss(config.loss)
    loss.check_output(net.activations[-1])
    s = reduction_scale(config.reduction, X.shape[0])
    masks = [np.ones_like(w) if m is None else m.astype(np.float64) for w, m in zip(net.weights, net.masks)]
    # the first weight layer either direction changes: the layers before it are the same everywhere
    changed = [any(np.any(d[2 * l]) or np.any(d[2 * l + 1]) for d in (d1, d2)) for l in range(L)]
    first = changed.index(True) if any(changed) else L
    a_fixed = X
    for l in range(first):
        a_fixed = net.activation(l + 1).fn(np.dot(a_fixed, net.weights[l].T) + net.biases[l])
    m = X.shape[0]
    width = max(net.sizes)
    per_point = m * width + sum(w.size for w in net.weights)
    chunk = max(1, CHUNK_VALUES // max(per_point, 1))
    centre = batch_loss(net, config, X, T)
    if first == L:  # the directions change nothing: the plane is flat
        values = np.full((betas.size, alphas.size), centre)
        return Surface(alphas, betas, values, centre, True)
    A, B = np.meshgrid(alphas, betas)  # (nb, na)
    flat_a, flat_b = A.ravel(), B.ravel()
    out = np.full(flat_a.size, np.nan)
    rows_total = betas.size
    complete = True
    for start in range(0, flat_a.size, chunk):
        if progress is not None and not progress(start // max(alphas.size, 1), rows_total):
            complete = False
            break
        ga, gb = flat_a[start : start + chunk], flat_b[start : start + chunk]
        G = ga.size
        a = np.broadcast_to(a_fixed, (G, *a_fixed.shape))
        penalty = np.zeros(G)
        for l in range(L):
            W = (
                net.weights[l][None]
                + ga[:, None, None] * d1[2 * l][None]
                + gb[:, None, None] * d2[2 * l][None]
            )
            W = W * masks[l][None]
            b = net.biases[l][None] + ga[:, None] * d1[2 * l + 1][None] + gb[:, None] * d2[2 * l + 1][None]
            if config.l2:
                penalty += 0.5 * config.l2 * np.einsum("gij,gij->g", W, W)
            if config.l1:
                penalty += config.l1 * np.abs(W).sum(axis=(1, 2))
            if l < first:
                continue
            z = np.matmul(a, np.swapaxes(W, 1, 2)) + b[:, None, :]
            a = net.activation(l + 1).fn(z.reshape(-1, z.shape[-1])).reshape(z.shape)
        with np.errstate(all="ignore"):
            data = loss.value(a.reshape(-1, a.shape[-1]), np.tile(T, (G, 1)), z.reshape(-1, z.shape[-1]))
            out[start : start + G] = s * (data.reshape(G, m).sum(axis=1) + penalty)
    if progress is not None and complete:
        progress(rows_total, rows_total)
    return Surface(alphas, betas, out.reshape(betas.size, alphas.size), centre, complete)
