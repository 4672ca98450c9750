"""The perceptron learning rule: a single layer of threshold units (step or sign) learns by

    w ← w + η·(t − o)·x

(Rosenblatt; the BMB3015 notes' W_j ← W_j + α·Err·x_j). A threshold unit's f′ is 0 wherever it is
defined, so backpropagation cannot train it; the rule instead uses the error signal t − o itself. In the
engine's gradient convention the output layer's δ is o − t (so Δw = −η·s·Σₓ δ·x is the rule, with s the
batch reduction factor), and the rest of the step is unchanged: gradients, optimiser, update, trace.

A network trains with the rule when it has one weight layer and its units are step or sign
(:func:`learning_rule`); threshold units in a deeper network cannot be trained.
"""

from __future__ import annotations

import numpy as np

from .activations import get_activation
from .network import Network

#: the activations the perceptron rule trains
THRESHOLD_UNITS = ("step", "sign")
#: how a network learns: backpropagation, the perceptron rule, or not at all (None)
RULES = ("backprop", "perceptron")


def learning_rule(net: Network) -> str | None:
    """``backprop`` when every activation has a usable derivative, ``perceptron`` for a single layer of
    step or sign units, None when neither can train the network (threshold units behind another layer)."""
    if all(get_activation(a).trainable for a in net.activations):
        return "backprop"
    if net.n_layers == 1 and net.activations[0] in THRESHOLD_UNITS:
        return "perceptron"
    return None


def perceptron_delta(a: np.ndarray, t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """δ = o − t per sample (the error signal t − o, negated into the gradient convention)."""
    return np.subtract(a, t, out=out)
