"""The chain rule along the drawn network (issue 15.1): ∂Eₓ/∂θ as the sum, over every path from the
parameter to the loss, of the product of the local derivatives on the path.

For a weight wⱼₖ⁽ˡ⁾ (from neuron k of layer l to neuron j of layer l + 1) and one sample, a path runs
zⱼ⁽ˡ⁺¹⁾ → aⱼ⁽ˡ⁺¹⁾ → zₘ⁽ˡ⁺²⁾ → … → an output, and its product is

    ∂z/∂w · f′(z) · w · f′(z) · w · … · f′(zᵢᴸ) · ∂Eₓ/∂oᵢ        (an elementwise output layer)

with ∂zⱼ/∂wⱼₖ = aₖ⁽ˡ⁾ (1 for a bias); at a softmax output the path branches once more over the outputs
q it reaches through the Jacobian, with the factor ∂o_q/∂zᵢ = o_q(𝟙[q=i] − oᵢ) before ∂Eₓ/∂o_q. For a
neuron the paths start at its z (the sum is δ = ∂Eₓ/∂z). The sum over all paths is backpropagation's
∂Eₓ/∂θ exactly (up to rounding); :func:`chain_rule` computes it by the δ recursion as well, so the total
is right however many paths there are, and lists at most ``max_paths`` of them.

Regularisation is not a path: its term (λ₂·w + λ₁·sign w) is given on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import EngineError, Network, TrainConfig
from ..engine.activations import get_activation
from ..engine.losses import get_loss
from .labels import Names

#: at most this many paths are listed (their number and the total are always complete)
MAX_PATHS = 200


@dataclass(frozen=True)
class Factor:
    """One local derivative on a path: what it is (``symbol``), how it is found (``meaning``), its value."""

    symbol: str
    meaning: str
    value: float


@dataclass(frozen=True)
class ChainPath:
    """One path from the parameter to the loss: the neurons it passes ((layer, index), the last one an
    output; at a softmax output the output q it reaches last), its factors and their product."""

    neurons: tuple[tuple[int, int], ...]
    factors: tuple[Factor, ...]
    product: float


@dataclass(frozen=True)
class ChainRule:
    """∂Eₓ/∂θ for one parameter and one sample, path by path (see the module docstring)."""

    kind: str  # "weight", "bias" or "neuron"
    layer: int  # weight layer (weight, bias) or neuron layer (neuron)
    index: int  # the neuron the weight or bias feeds, or the neuron
    frm: int | None  # the source neuron of a weight
    name: str  # the parameter's name in the notation
    paths: tuple[ChainPath, ...]  # at most max_paths of them
    n_paths: int  # how many paths there are in all
    total: float  # Σ over every path of its product = ∂Eₓ/∂θ (or δ for a neuron)
    regularisation: float  # the regularisation term's derivative (0 without regularisation)

    @property
    def gradient(self) -> float:
        """∂Eₓ/∂θ including regularisation (what the δ/Δw table shows for one sample)."""
        return self.total + self.regularisation

    @property
    def listed_sum(self) -> float:
        return float(sum(p.product for p in self.paths))


def z_name(names: Names, layer: int, index: int) -> str:
    """zⱼ⁽ˡ⁾: the net input of neuron ``index`` of layer ``layer``, named like its activation."""
    return "z" + names.neuron(layer, index)[1:]


@np.errstate(all="ignore")  # a saturated unit: ∂E/∂o or a product may be ±∞ or NaN, shown as such
def chain_rule(
    net: Network,
    config: TrainConfig,
    x: np.ndarray,
    t: np.ndarray,
    kind: str,
    layer: int,
    index: int,
    frm: int | None = None,
    names: Names | None = None,
    max_paths: int = MAX_PATHS,
) -> ChainRule:
    """The chain rule for a ``kind`` ("weight": W[index, frm] of weight layer ``layer``; "bias": the
    bias of neuron ``index`` of layer ``layer`` + 1; "neuron": neuron ``index`` of neuron layer
    ``layer`` ≥ 1) on the sample (x, t)."""
    names = names or Names()
    L = net.n_layers  # weight layers; neuron layers 0 … L
    x = np.asarray(x, dtype=np.float64).reshape(1, -1)
    t = np.asarray(t, dtype=np.float64).reshape(1, -1)
    if kind in ("weight", "bias"):
        if not 0 <= layer < L or not 0 <= index < net.sizes[layer + 1]:
            raise EngineError(f"no {kind} {layer}, {index} in a {'-'.join(map(str, net.sizes))} network")
        if kind == "bias" and not net.use_bias[layer]:
            raise EngineError(f"layer {layer + 2} has no biases")
        start = layer + 1
    elif kind == "neuron":
        if not 1 <= layer <= L or not 0 <= index < net.sizes[layer]:
            raise EngineError(f"no neuron {layer}, {index} with a δ in this network")
        start = layer
    else:
        raise EngineError(f"the chain rule is for a weight, a bias or a neuron, not {kind!r}")
    if kind == "weight":
        mask = net.masks[layer]
        if frm is None or not 0 <= frm < net.sizes[layer] or (mask is not None and not mask[index, frm]):
            raise EngineError("no such connection")

    zs, acts = net.forward(x)
    a = [v[0] for v in acts]
    loss = get_loss(config.loss)
    out_act = get_activation(net.activations[-1])
    loss.check_output(out_act.name)  # e.g. cross-entropy needs a softmax output: refused, as in training
    dE_do = loss.grad(acts[-1], t)[0]  # ∂Eₓ/∂o
    softmax = not out_act.elementwise
    fprime: list[np.ndarray] = [np.zeros(0)]  # f′(z) of neuron layers 1 … L (elementwise ones)
    for i in range(L):
        zi = zs[i + 1]
        assert zi is not None
        fprime.append(get_activation(net.activations[i]).grad(zi, acts[i + 1])[0])
    # δ by the recursion (the exact total, and the number of paths from each neuron)
    delta: list[np.ndarray] = [np.zeros(0)] * (L + 1)
    count: list[np.ndarray] = [np.zeros(0)] * (L + 1)
    o = a[L]
    if softmax:
        jac = np.diag(o) - np.outer(o, o)  # ∂o_q/∂z_i at [q, i]
        delta[L] = jac.T @ dE_do
        count[L] = np.full(o.size, float(o.size))
    else:
        delta[L] = fprime[L] * dE_do
        count[L] = np.ones(o.size)
    for n in range(L - 1, 0, -1):
        mask_n = net.masks[n]
        W = net.weights[n] if mask_n is None else net.weights[n] * mask_n
        linked = np.ones_like(W) if mask_n is None else mask_n.astype(float)
        delta[n] = fprime[n] * (W.T @ delta[n + 1])
        count[n] = linked.T @ count[n + 1]

    def neuron_factors(n: int, i: int) -> list[Factor]:
        return [
            Factor(
                f"f′({z_name(names, n, i)})",
                f"the slope of {net.activations[n - 1]} at z",
                float(fprime[n][i]),
            )
        ]

    head: list[Factor] = []
    if kind == "weight":
        assert frm is not None
        src = names.neuron(layer, frm)
        head.append(
            Factor(
                f"∂{z_name(names, start, index)}/∂{names.weight(layer, index, frm)}",
                f"= {src}",
                float(a[layer][frm]),
            )
        )
        total = float(a[layer][frm] * delta[start][index])
        name = names.weight(layer, index, frm)
    elif kind == "bias":
        head.append(Factor(f"∂{z_name(names, start, index)}/∂{names.bias(layer, index)}", "= 1", 1.0))
        total = float(delta[start][index])
        name = names.bias(layer, index)
    else:
        total = float(delta[start][index])
        name = z_name(names, start, index)

    paths: list[ChainPath] = []

    def walk(n: int, i: int, route: tuple[tuple[int, int], ...], factors: list[Factor]) -> None:
        if len(paths) >= max_paths:
            return
        route = (*route, (n, i))
        if n == L:
            if softmax:
                for q in range(o.size):
                    if len(paths) >= max_paths:
                        return
                    jq = float(o[q] * ((1.0 if q == i else 0.0) - o[i]))
                    oq = names.neuron(L, q)
                    fs = [
                        *factors,
                        Factor(f"∂{oq}/∂{z_name(names, L, i)}", f"= {oq}(𝟙[q=i] − {names.neuron(L, i)})", jq),
                        Factor(f"∂E/∂{oq}", loss.output_derivative, float(dE_do[q])),
                    ]
                    paths.append(
                        ChainPath((*route, (L, q)), tuple(fs), float(np.prod([f.value for f in fs])))
                    )
                return
            oi = names.neuron(L, i)
            fs = [
                *factors,
                *neuron_factors(n, i),
                Factor(f"∂E/∂{oi}", loss.output_derivative, float(dE_do[i])),
            ]
            paths.append(ChainPath(route, tuple(fs), float(np.prod([f.value for f in fs]))))
            return
        step = [*factors, *neuron_factors(n, i)]
        mask = net.masks[n]
        for m in range(net.sizes[n + 1]):
            if mask is not None and not mask[m, i]:
                continue
            w = Factor(names.weight(n, m, i), "the weight on the way", float(net.weights[n][m, i]))
            walk(n + 1, m, route, [*step, w])

    walk(start, index, (), head)
    n_paths = int(count[start][index])
    reg = 0.0
    if kind == "weight" and (config.l1 or config.l2):
        assert frm is not None
        w = float(net.weights[layer][index, frm])
        reg = config.l2 * w + config.l1 * float(np.sign(w))
    return ChainRule(kind, layer, index, frm, name, tuple(paths), n_paths, total, reg)
