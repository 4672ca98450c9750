"""An independent reference for the engine's tests: the forward pass and the batch loss written in
autograd.numpy straight from the formulas of the lecture notes, differentiated by autograd.

Nothing here imports the engine's maths; it only reads a Network's arrays.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
from autograd import grad

#: f(z) for every trainable activation, from its textbook formula
ACT = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "tanh": lambda z: anp.tanh(z),
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "elu": lambda z: anp.where(z > 0, z, anp.exp(anp.minimum(z, 0.0)) - 1.0),
    "softplus": lambda z: anp.log(1.0 + anp.exp(z)),
    "softmax": lambda z: anp.exp(z) / anp.sum(anp.exp(z), axis=1, keepdims=True),
}

#: Eₓ(o, t) per sample (rows), from the formulas
LOSS = {
    "half_sse": lambda o, t: 0.5 * anp.sum((t - o) ** 2, axis=1),
    "sse": lambda o, t: anp.sum((t - o) ** 2, axis=1),
    "mse": lambda o, t: anp.mean((t - o) ** 2, axis=1),
    "bce": lambda o, t: -anp.sum(t * anp.log(o) + (1.0 - t) * anp.log(1.0 - o), axis=1),
    "cce": lambda o, t: -anp.sum(t * anp.log(o), axis=1),
}


def unpack(theta, sizes):
    """Split a flat parameter vector into [(W⁰, b⁰), (W¹, b¹), ...] with Wˡ of shape (n_{l+1}, n_l)."""
    out, pos = [], 0
    for i in range(len(sizes) - 1):
        n_out, n_in = sizes[i + 1], sizes[i]
        W = anp.reshape(theta[pos : pos + n_out * n_in], (n_out, n_in))
        pos += n_out * n_in
        b = theta[pos : pos + n_out]
        pos += n_out
        out.append((W, b))
    return out


def pack(net) -> np.ndarray:
    return np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(net.weights, net.biases)])


def forward_from(layer, z, params, activations):
    """The output o when neuron layer ``layer`` (1 … L) has net input z."""
    a = ACT[activations[layer - 1]](z)
    for i in range(layer, len(params)):
        W, b = params[i]
        a = ACT[activations[i]](anp.dot(a, W.T) + b)
    return a


def net_inputs(theta, sizes, activations, X):
    """[z¹, …, zᴸ] for the batch X."""
    params = unpack(theta, sizes)
    zs, a = [], X
    for i, (W, b) in enumerate(params):
        z = anp.dot(a, W.T) + b
        zs.append(z)
        a = ACT[activations[i]](z)
    return zs


def batch_loss(theta, sizes, activations, loss, reduction, X, T, l1=0.0, l2=0.0):
    """J = s·[Σₓ Eₓ + (λ₂/2)·Σ w² + λ₁·Σ |w|], s = 1/m (mean) or 1 (sum); biases are not penalised."""
    params = unpack(theta, sizes)
    a = X
    for i, (W, b) in enumerate(params):
        a = ACT[activations[i]](anp.dot(a, W.T) + b)
    s = 1.0 / X.shape[0] if reduction == "mean" else 1.0
    pen = 0.0
    for W, _ in params:
        pen = pen + 0.5 * l2 * anp.sum(W * W) + l1 * anp.sum(anp.abs(W))
    return s * (anp.sum(LOSS[loss](a, T)) + pen)


def reference_gradients(net, loss, reduction, X, T, l1=0.0, l2=0.0) -> list[np.ndarray]:
    """[∂J/∂W⁰, ∂J/∂b⁰, ...] by autograd."""
    theta = pack(net)
    g = grad(batch_loss)(theta, net.sizes, net.activations, loss, reduction, X, T, l1, l2)
    out = []
    for W, b in unpack(g, net.sizes):
        out.append(np.asarray(W))
        out.append(np.asarray(b))
    return out


def reference_deltas(net, loss, X, T) -> list[np.ndarray]:
    """Per-sample δˡ = ∂Eₓ/∂zˡ for l = 1 … L (one row per sample) by autograd."""
    theta = pack(net)
    params = unpack(theta, net.sizes)
    zs = net_inputs(theta, net.sizes, net.activations, X)
    out = []
    for layer in range(1, len(net.sizes)):

        def total(z, layer=layer):
            return anp.sum(LOSS[loss](forward_from(layer, z, params, net.activations), T))

        out.append(np.asarray(grad(total)(zs[layer - 1])))
    return out


def reference_output_errors(net, loss, X, T) -> list[np.ndarray]:
    """Per-sample ∂Eₓ/∂aˡ for l = 1 … L (the error at each layer's outputs, before the slope)."""
    theta = pack(net)
    params = unpack(theta, net.sizes)
    a, acts = X, []
    for i, (W, b) in enumerate(params):
        a = ACT[net.activations[i]](anp.dot(a, W.T) + b)
        acts.append(a)
    out = []
    for layer in range(1, len(net.sizes)):

        def total(a_l, layer=layer):
            o = a_l
            for i in range(layer, len(params)):
                W, b = params[i]
                o = ACT[net.activations[i]](anp.dot(o, W.T) + b)
            return anp.sum(LOSS[loss](o, T))

        out.append(np.asarray(grad(total)(acts[layer - 1])))
    return out
