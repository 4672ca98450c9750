"""A feedforward network: layer sizes, one activation per non-input layer, weights, biases and masks.

Layers are numbered 0 (input) to L (output). ``weights[l]`` has shape (n_{l+1}, n_l) and
``weights[l][j, k]`` is the weight from neuron k of layer l to neuron j of layer l+1 (the notes'
wʲₖ). ``biases[l]`` has shape (n_{l+1},). ``activations[l]`` is the activation of layer l+1.
``masks[l]`` is None (fully connected) or a boolean array of the weight's shape, False where a
connection has been removed: such a weight stays exactly 0 and is never updated. ``use_bias[l]``
False makes neuron layer l+1 a layer without biases (as in z⁽ᴸ⁾ = w⁽ᴸ⁾a⁽ᴸ⁻¹⁾): ``biases[l]`` stays
exactly 0 and is never updated.

The forward pass for a batch X (one row per sample) is, for l = 0 … L−1,

    z⁽ˡ⁺¹⁾ = a⁽ˡ⁾·Wˡᵀ + bˡ,    a⁽ˡ⁺¹⁾ = f_{l+1}(z⁽ˡ⁺¹⁾),    a⁽⁰⁾ = X.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, Activation, column_sums
from .errors import EngineError
from .initialisers import get_initialiser

MAX_LAYER_SIZE = 100_000


def _as_matrix(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise EngineError(f"{what}: expected numbers") from None
    if arr.shape != shape:
        want = "×".join(str(s) for s in shape)
        got = "×".join(str(s) for s in arr.shape) or "a single number"
        raise EngineError(f"{what}: expected {want}, got {got}")
    if not np.all(np.isfinite(arr)):
        raise EngineError(f"{what}: contains NaN or infinity")
    return arr


@dataclass
class Network:
    """Sizes, activations and parameters of a feedforward network (float64 throughout)."""

    sizes: list[int]
    activations: list[str]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    masks: list[np.ndarray | None] = field(default_factory=list)
    use_bias: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sizes = [int(s) for s in self.sizes]
        self.activations = list(self.activations)
        if not self.masks:
            self.masks = [None] * (len(self.sizes) - 1)
        if not self.use_bias:
            self.use_bias = [True] * (len(self.sizes) - 1)
        self.validate()

    # ------------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        sizes: Sequence[int],
        activations: Sequence[str] | str = "sigmoid",
        init: str = "uniform",
        init_params: Mapping[str, float] | None = None,
        seed: int | None = 0,
        rng: np.random.Generator | None = None,
    ) -> Network:
        """A network with weights drawn by the named initialiser from ``default_rng(seed)``."""
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise EngineError("a network needs at least an input and an output layer")
        if isinstance(activations, str):
            activations = [activations] * (len(sizes) - 1)
        rng = rng if rng is not None else np.random.default_rng(seed)
        weights = [np.zeros((sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
        biases = [np.zeros(sizes[i + 1]) for i in range(len(sizes) - 1)]
        net = cls(sizes, list(activations), weights, biases)
        net.initialise(init, init_params, rng=rng)
        return net

    def initialise(
        self,
        init: str = "uniform",
        init_params: Mapping[str, float] | None = None,
        seed: int | None = 0,
        rng: np.random.Generator | None = None,
    ) -> None:
        """Redraw every weight and bias (masked connections stay 0), layer by layer."""
        ini = get_initialiser(init)
        hp = ini.hyper(init_params)
        rng = rng if rng is not None else np.random.default_rng(seed)
        for i in range(self.n_layers):
            w = np.asarray(ini.weights((self.sizes[i + 1], self.sizes[i]), rng, hp), dtype=np.float64)
            b = np.asarray(ini.biases(self.sizes[i + 1], rng, hp), dtype=np.float64)
            mask = self.masks[i]
            if mask is not None:
                w = w * mask
            self.weights[i] = np.ascontiguousarray(w)
            self.biases[i] = b if self.use_bias[i] else np.zeros_like(b)

    def copy(self) -> Network:
        return Network(
            list(self.sizes),
            list(self.activations),
            [w.copy() for w in self.weights],
            [b.copy() for b in self.biases],
            [None if m is None else m.copy() for m in self.masks],
            list(self.use_bias),
        )

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise EngineError naming the first field whose shape or value is wrong."""
        if len(self.sizes) < 2:
            raise EngineError("sizes: a network needs at least an input and an output layer")
        for i, s in enumerate(self.sizes):
            if s < 1 or s > MAX_LAYER_SIZE:
                raise EngineError(f"sizes[{i}]: a layer needs 1 to {MAX_LAYER_SIZE} neurons, got {s}")
        n = len(self.sizes) - 1
        for what, seq in (
            ("activations", self.activations),
            ("weights", self.weights),
            ("biases", self.biases),
            ("masks", self.masks),
            ("use_bias", self.use_bias),
        ):
            if len(seq) != n:
                raise EngineError(
                    f"{what}: expected {n} entries (one per layer after the input), got {len(seq)}"
                )
        for i, name in enumerate(self.activations):
            if name not in ACTIVATIONS:
                raise EngineError(
                    f"activations[{i}]: unknown activation {name!r}; choose one of: "
                    + ", ".join(ACTIVATIONS.names())
                )
            if name == "softmax" and i != n - 1:
                raise EngineError(f"activations[{i}]: softmax is only for the output layer")
        for i in range(n):
            shape = (self.sizes[i + 1], self.sizes[i])
            self.weights[i] = _as_matrix(self.weights[i], shape, f"weights[{i}]")
            self.biases[i] = _as_matrix(self.biases[i], (self.sizes[i + 1],), f"biases[{i}]")
            m = self.masks[i]
            if m is not None:
                mask = np.asarray(m)
                if mask.shape != shape:
                    want = "×".join(map(str, shape))
                    got = "×".join(map(str, mask.shape)) or "a single value"
                    raise EngineError(f"masks[{i}]: expected {want}, got {got}")
                mask = mask.astype(bool)
                self.masks[i] = None if mask.all() else mask
                if self.masks[i] is not None:
                    self.weights[i] = self.weights[i] * self.masks[i]
            self.weights[i] = np.ascontiguousarray(self.weights[i])
            if not isinstance(self.use_bias[i], (bool, np.bool_)):
                raise EngineError(f"use_bias[{i}]: expected true or false")
            self.use_bias[i] = bool(self.use_bias[i])
            if not self.use_bias[i] and np.any(self.biases[i]):
                raise EngineError(f"biases[{i}]: a layer without biases (use_bias[{i}] false) has biases 0")

    # ------------------------------------------------------------------ properties
    @property
    def n_layers(self) -> int:
        """Number of weight layers L (one less than the number of neuron layers)."""
        return len(self.sizes) - 1

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    def activation(self, layer: int) -> Activation:
        """The activation object of neuron layer ``layer`` (1 … L)."""
        return ACTIVATIONS.get(self.activations[layer - 1])

    def parameters(self) -> list[np.ndarray]:
        """[W⁰, b⁰, W¹, b¹, ...], the order optimisers use."""
        out: list[np.ndarray] = []
        for w, b in zip(self.weights, self.biases):
            out.append(w)
            out.append(b)
        return out

    def n_parameters(self) -> int:
        """Weights and biases, counting the biases of layers that have them."""
        return sum(
            int(w.size) + (int(b.size) if u else 0)
            for w, b, u in zip(self.weights, self.biases, self.use_bias)
        )

    def has_bias(self, layer: int) -> bool:
        """Whether weight layer ``layer`` (feeding neuron layer ``layer + 1``) adds biases."""
        return self.use_bias[layer]

    def set_use_bias(self, layer: int, used: bool) -> None:
        """Give weight layer ``layer`` biases (starting at 0) or take them away (set to 0)."""
        if not 0 <= layer < self.n_layers:
            raise EngineError(f"no weight layer {layer + 1}")
        self.use_bias[layer] = bool(used)
        self.biases[layer] = np.zeros_like(self.biases[layer])

    def n_connections(self) -> int:
        return sum(int(w.size) if m is None else int(m.sum()) for w, m in zip(self.weights, self.masks))

    # ------------------------------------------------------------------ maths
    def forward(self, X: np.ndarray) -> tuple[list[np.ndarray | None], list[np.ndarray]]:
        """(zs, acts) for every neuron layer; zs[0] is None and acts[0] = X."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.shape[1] != self.sizes[0]:
            raise EngineError(
                f"input has {X.shape[1]} columns but the input layer has {self.sizes[0]} neurons"
            )
        zs: list[np.ndarray | None] = [None]
        acts = [X]
        a = X
        for i in range(self.n_layers):
            z = forward_layer(self, i, a)
            a = self.activation(i + 1).fn(z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The network output a⁽ᴸ⁾ for every row of X."""
        return self.forward(X)[1][-1]

    def set_connection(self, layer: int, to: int, frm: int, present: bool) -> None:
        """Remove (present=False) or restore a single connection; a removed weight becomes 0."""
        mask = self.masks[layer]
        if mask is None:
            if present:
                return
            mask = np.ones_like(self.weights[layer], dtype=bool)
        mask = mask.copy()
        mask[to, frm] = present
        if not present:
            self.weights[layer][to, frm] = 0.0
        self.masks[layer] = None if mask.all() else mask

    def connection_present(self, layer: int, to: int, frm: int) -> bool:
        m = self.masks[layer]
        return True if m is None else bool(m[to, frm])


def forward_layer(net: Network, layer: int, a_prev: np.ndarray) -> np.ndarray:
    """z⁽ˡ⁺¹⁾ = a⁽ˡ⁾·Wˡᵀ + bˡ for weight layer ``layer`` (0-based)."""
    return np.dot(a_prev, net.weights[layer].T) + net.biases[layer]


def backward_layer(
    net: Network, layer: int, delta_next: np.ndarray, z: np.ndarray, a: np.ndarray
) -> np.ndarray:
    """δ⁽ˡ⁾ = f′(z⁽ˡ⁾) ⊙ (δ⁽ˡ⁺¹⁾·Wˡ) for hidden neuron layer ``layer`` (1 … L−1)."""
    return net.activation(layer).backward(z, a, np.dot(delta_next, net.weights[layer]))


def layer_gradients(
    delta: np.ndarray, a_prev: np.ndarray, scale: float, mask: np.ndarray | None, has_bias: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """∂E/∂W = s·δᵀ·a⁽ˡ⁾ (= s·Σₓ δⱼ aₖ) and ∂E/∂b = s·Σₓ δⱼ for one weight layer, s the reduction factor
    (∂E/∂b = 0 for a layer without biases)."""
    gw = np.dot(delta.T, a_prev)
    gb = column_sums(delta)[0] if has_bias else np.zeros(delta.shape[1])
    if scale != 1.0:
        gw *= scale
        gb *= scale
    if mask is not None:
        gw *= mask
    return gw, gb
