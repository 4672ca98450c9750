"""Structural edits of a Network: insert or remove a layer, resize a layer, remove a neuron, set a value.

Qt-free functions that change a Network in place; the GUI applies them through
``Session.edit_network`` so every edit is one undoable command. Weights that an edit creates are
drawn with the training settings' initialiser from a generator seeded by (seed, new sizes, layer), so
the same edit gives the same weights and two neurons added one after the other differ. Weights that
survive an edit keep their exact values.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .errors import EngineError
from .initialisers import get_initialiser
from .network import Network

MAX_EDIT_LAYER_SIZE = 4096
#: the most weights and biases an edit may give a network (784-4096-10 has 3.3 million): each is a row
#: of the δ/Δw table's weight list and is kept by every undo step, and two layers of 4,096 joined are
#: 16.8 million (seconds per edit and gigabytes of memory in the window)
MAX_EDIT_PARAMETERS = 4_000_000


class Initial:
    """Where new weights come from: initialiser name, its parameters and the seed."""

    def __init__(self, init: str = "uniform", params: Mapping[str, float] | None = None, seed: int = 0):
        self.init = init
        self.params = dict(params or {})
        self.seed = int(seed)

    def draw(self, shape: tuple[int, int], key: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(W of ``shape``, b of length shape[0]) from ``default_rng([seed, *key])``."""
        ini = get_initialiser(self.init)
        hp = ini.hyper(self.params)
        rng = np.random.default_rng([self.seed, *[int(k) for k in key]])
        w = np.asarray(ini.weights(shape, rng, hp), dtype=np.float64).reshape(shape)
        b = np.asarray(ini.biases(shape[0], rng, hp), dtype=np.float64).reshape(shape[0])
        return w, b


def _check_size(size: int) -> int:
    size = int(size)
    if not 1 <= size <= MAX_EDIT_LAYER_SIZE:
        raise EngineError(f"a layer needs 1 to {MAX_EDIT_LAYER_SIZE} neurons, got {size}")
    return size


def parameter_count(sizes: list[int]) -> int:
    """Σₗ (nₗ·nₗ₊₁ + nₗ₊₁): the weights and biases of a fully connected network of ``sizes``."""
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _check_growth(net: Network, sizes: list[int]) -> None:
    """Refuse an edit to layer sizes ``sizes`` that would take the network past
    :data:`MAX_EDIT_PARAMETERS` (one that makes it no larger is always allowed)."""
    after = parameter_count(sizes)
    if after > MAX_EDIT_PARAMETERS and after > parameter_count(list(net.sizes)):
        raise EngineError(
            f"the network would have {after:,} weights and biases; an edit may make it at most "
            f"{MAX_EDIT_PARAMETERS:,} (each is listed in the δ/Δw table and kept by every undo step): "
            "use fewer neurons or layers"
        )


def _check_layer(net: Network, layer: int) -> None:
    if not 0 <= layer < len(net.sizes):
        raise EngineError(f"there is no layer {layer + 1}: the network has {len(net.sizes)} layers")


def insert_layer(net: Network, position: int, size: int, activation: str, initial: Initial) -> None:
    """Insert a neuron layer so that it becomes layer ``position`` (0 = new input … L + 1 = new output).

    Inserted between two layers, the weight layer that joined them is replaced by two new ones.
    Inserted as the new input, the old input layer becomes hidden with ``activation``; otherwise the
    new layer has ``activation``.
    """
    size = _check_size(size)
    L = net.n_layers
    if not 0 <= position <= L + 1:
        raise EngineError(f"cannot insert a layer at position {position + 1}")
    sizes = list(net.sizes)
    sizes.insert(position, size)
    _check_growth(net, sizes)
    key = [*sizes, position]
    if position == 0:
        w, b = initial.draw((net.sizes[0], size), key)
        net.weights.insert(0, w)
        net.biases.insert(0, b)
        net.masks.insert(0, None)
        net.use_bias.insert(0, True)
        net.activations.insert(0, activation)
    elif position == L + 1:
        w, b = initial.draw((size, net.sizes[-1]), key)
        net.weights.append(w)
        net.biases.append(b)
        net.masks.append(None)
        net.use_bias.append(True)
        net.activations.append(activation)
    else:
        w1, b1 = initial.draw((size, net.sizes[position - 1]), key + [1])
        w2, b2 = initial.draw((net.sizes[position], size), key + [2])
        net.weights[position - 1 : position] = [w1, w2]
        net.biases[position - 1 : position] = [b1, b2]
        net.masks[position - 1 : position] = [None, None]
        old = net.use_bias[position - 1]  # the layer after the new one keeps its bias setting
        net.use_bias[position - 1 : position] = [True, old]
        if not old:
            net.biases[position] = np.zeros_like(net.biases[position])
        net.activations.insert(position - 1, activation)
    net.sizes = sizes
    net.validate()


def remove_layer(net: Network, layer: int, initial: Initial) -> None:
    """Remove neuron layer ``layer``; a removed hidden layer's neighbours are joined by new weights."""
    _check_layer(net, layer)
    if len(net.sizes) <= 2:
        raise EngineError("a network needs at least an input and an output layer")
    L = net.n_layers
    if layer == 0:
        del net.weights[0], net.biases[0], net.masks[0], net.activations[0], net.use_bias[0]
    elif layer == L:
        del net.weights[-1], net.biases[-1], net.masks[-1], net.activations[-1], net.use_bias[-1]
    else:
        sizes = net.sizes[:layer] + net.sizes[layer + 1 :]
        _check_growth(net, sizes)  # the neighbours joined may be larger than the layers they replace
        w, b = initial.draw((net.sizes[layer + 1], net.sizes[layer - 1]), [*sizes, layer, 3])
        net.weights[layer - 1 : layer + 1] = [w]
        net.biases[layer - 1 : layer + 1] = [b]
        net.masks[layer - 1 : layer + 1] = [None]
        keep = net.use_bias[layer]  # the layer after the removed one keeps its bias setting
        net.use_bias[layer - 1 : layer + 1] = [keep]
        if not keep:
            net.biases[layer - 1] = np.zeros_like(net.biases[layer - 1])
        del net.activations[layer - 1]
    del net.sizes[layer]
    net.validate()


def resize_layer(net: Network, layer: int, size: int, initial: Initial) -> None:
    """Give neuron layer ``layer`` ``size`` neurons: the first keep their weights, new ones get new."""
    _check_layer(net, layer)
    size = _check_size(size)
    old = net.sizes[layer]
    if size == old:
        return
    sizes = list(net.sizes)
    sizes[layer] = size
    _check_growth(net, sizes)
    key = [*sizes, layer]
    keep = min(size, old)
    if layer > 0:  # rows of the weight layer feeding it
        i = layer - 1
        w, b = initial.draw((size, net.sizes[layer - 1]), key + [4])
        w[:keep] = net.weights[i][:keep]
        b[:keep] = net.biases[i][:keep]
        m = net.masks[i]
        if m is not None:
            mask = np.ones_like(w, dtype=bool)
            mask[:keep] = m[:keep]
            net.masks[i] = mask
        net.weights[i], net.biases[i] = w, (b if net.use_bias[i] else np.zeros_like(b))
    if layer < net.n_layers:  # columns of the weight layer leaving it
        w, _ = initial.draw((net.sizes[layer + 1], size), key + [5])
        w[:, :keep] = net.weights[layer][:, :keep]
        m = net.masks[layer]
        if m is not None:
            mask = np.ones_like(w, dtype=bool)
            mask[:, :keep] = m[:, :keep]
            net.masks[layer] = mask
        net.weights[layer] = w
    net.sizes = sizes
    net.validate()


def remove_neuron(net: Network, layer: int, index: int) -> None:
    """Remove neuron ``index`` of layer ``layer`` with its bias and all its connections."""
    _check_layer(net, layer)
    n = net.sizes[layer]
    if not 0 <= index < n:
        raise EngineError(f"layer {layer + 1} has no neuron {index + 1}")
    if n == 1:
        raise EngineError("a layer needs at least one neuron: remove the layer instead")
    if layer > 0:
        i = layer - 1
        net.weights[i] = np.delete(net.weights[i], index, axis=0)
        net.biases[i] = np.delete(net.biases[i], index)
        mask = net.masks[i]
        if mask is not None:
            net.masks[i] = np.delete(mask, index, axis=0)
    if layer < net.n_layers:
        net.weights[layer] = np.delete(net.weights[layer], index, axis=1)
        mask = net.masks[layer]
        if mask is not None:
            net.masks[layer] = np.delete(mask, index, axis=1)
    net.sizes[layer] = n - 1
    net.validate()


def set_activation(net: Network, layer: int, name: str) -> None:
    """Neuron layer ``layer`` (1 … L) uses activation ``name``."""
    if not 1 <= layer <= net.n_layers:
        raise EngineError("the input layer has no activation")
    net.activations[layer - 1] = name
    net.validate()


def set_weight(net: Network, layer: int, to: int, frm: int, value: float) -> None:
    """wʲₖ of weight layer ``layer`` = ``value`` (a removed connection must be restored first)."""
    value = float(value)
    if not np.isfinite(value):
        raise EngineError("a weight must be a finite number")
    if not net.connection_present(layer, to, frm):
        raise EngineError("this connection has been removed: restore it before giving it a weight")
    net.weights[layer][to, frm] = value


def set_bias(net: Network, layer: int, index: int, value: float) -> None:
    """The bias of neuron ``index`` of neuron layer ``layer + 1`` = ``value``."""
    value = float(value)
    if not np.isfinite(value):
        raise EngineError("a bias must be a finite number")
    if not net.use_bias[layer]:
        raise EngineError(f"layer {layer + 2} has no biases: give it biases first")
    net.biases[layer][index] = value
