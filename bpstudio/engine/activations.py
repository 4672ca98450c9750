"""Activation functions a = f(z), their derivatives f′(z), and the backward rule δ = f′(z)·∂E/∂a.

Every activation is a small strategy object looked up by name in :data:`ACTIVATIONS`. Arrays are
float64 with one row per sample and one column per neuron. All forms are numerically stable: no
overflow warnings and correct saturation at |z| = 1000.
"""

from __future__ import annotations

import numpy as np

from .registry import Registry

#: exp(±_EXP_LIMIT) is still finite in float64; clipping there keeps exp() free of overflow warnings
#: while changing sigmoid(z) only where it is already 0 or 1 to machine precision.
_EXP_LIMIT = 700.0


class Activation:
    """Base class. Subclasses set ``name``, ``label`` and ``formula`` and implement ``fn``/``grad``."""

    name: str = ""
    label: str = ""
    formula: str = ""
    derivative: str = ""
    #: False for activations whose derivative is zero almost everywhere (step): training refuses them.
    trainable: bool = True
    #: False when a neuron's output depends on the other neurons of its layer (softmax).
    elementwise: bool = True

    def fn(self, z: np.ndarray) -> np.ndarray:
        """a = f(z)."""
        raise NotImplementedError

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """f′(z), element by element (for softmax: the diagonal ∂aⱼ/∂zⱼ = aⱼ(1 − aⱼ))."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray) -> np.ndarray:
        """δ = ∂E/∂z from ∂E/∂a: f′(z)·∂E/∂a for element-wise activations."""
        return self.grad(z, a) * dE_da

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Identity(Activation):
    name = "identity"
    label = "Identity (linear)"
    formula = "f(z) = z"
    derivative = "f′(z) = 1"

    def fn(self, z: np.ndarray) -> np.ndarray:
        return z.copy()

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.ones_like(z)

    def backward(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray) -> np.ndarray:
        return dE_da


class Sigmoid(Activation):
    name = "sigmoid"
    label = "Sigmoid (logistic)"
    formula = "σ(z) = 1 / (1 + e^(−z))"
    derivative = "σ′(z) = σ(z)·(1 − σ(z))"

    def fn(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(z, -_EXP_LIMIT, _EXP_LIMIT)))

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1.0 - a)


class Tanh(Activation):
    name = "tanh"
    label = "Hyperbolic tangent"
    formula = "tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))"
    derivative = "tanh′(z) = 1 − tanh²(z)"

    def fn(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1.0 - a * a


class ReLU(Activation):
    name = "relu"
    label = "ReLU"
    formula = "f(z) = max(0, z)"
    derivative = "f′(z) = 1 if z > 0 else 0"

    def fn(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return (z > 0.0).astype(np.float64)


class LeakyReLU(Activation):
    name = "leaky_relu"
    label = "Leaky ReLU (slope 0.01)"
    formula = "f(z) = z if z > 0 else 0.01·z"
    derivative = "f′(z) = 1 if z > 0 else 0.01"
    slope = 0.01

    def fn(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0.0, z, self.slope * z)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.where(z > 0.0, 1.0, self.slope)


class ELU(Activation):
    name = "elu"
    label = "ELU (α = 1)"
    formula = "f(z) = z if z > 0 else e^z − 1"
    derivative = "f′(z) = 1 if z > 0 else e^z"

    def fn(self, z: np.ndarray) -> np.ndarray:
        return np.where(z > 0.0, z, np.expm1(np.minimum(z, 0.0)))

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.where(z > 0.0, 1.0, np.exp(np.minimum(z, 0.0)))


class Softplus(Activation):
    name = "softplus"
    label = "Softplus"
    formula = "f(z) = ln(1 + e^z)"
    derivative = "f′(z) = σ(z) = 1 / (1 + e^(−z))"

    def fn(self, z: np.ndarray) -> np.ndarray:
        return np.logaddexp(0.0, z)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(z, -_EXP_LIMIT, _EXP_LIMIT)))


class Softmax(Activation):
    name = "softmax"
    label = "Softmax (output layer)"
    formula = "aⱼ = e^(zⱼ) / Σₖ e^(zₖ)"
    derivative = "∂aⱼ/∂zₖ = aⱼ(𝟙[j=k] − aₖ); diagonal aⱼ(1 − aⱼ)"
    elementwise = False

    def fn(self, z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1.0 - a)

    def backward(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray) -> np.ndarray:
        """δⱼ = aⱼ·(∂E/∂aⱼ − Σₖ aₖ·∂E/∂aₖ): the softmax Jacobian applied to ∂E/∂a."""
        return a * (dE_da - np.sum(a * dE_da, axis=-1, keepdims=True))


class Step(Activation):
    name = "step"
    label = "Step (threshold)"
    formula = "f(z) = 1 if z > 0 else 0"
    derivative = "f′(z) = 0 (undefined at 0): backpropagation cannot train through a step"
    trainable = False

    def fn(self, z: np.ndarray) -> np.ndarray:
        return (z > 0.0).astype(np.float64)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.zeros_like(z)


ACTIVATIONS: Registry[Activation] = Registry("activation")
for _cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus, Softmax, Step):
    ACTIVATIONS.register(_cls())


def get_activation(name: str) -> Activation:
    """The activation registered under ``name`` (raises UnknownNameError listing the choices)."""
    return ACTIVATIONS.get(name)
