"""Activation functions a = f(z), their derivatives f′(z), and the backward rule δ = f′(z)·∂E/∂a.

Every activation is a small strategy object looked up by name in :data:`ACTIVATIONS`. Arrays are
float64 with one row per sample and one column per neuron. All forms are numerically stable: correct
saturation at |z| = 1000 and no warnings.

Each activation has two forms of the same arithmetic: ``forward``/``backward_into`` write into arrays
they are given (the training loops use them), and ``fn``/``backward`` allocate their result (for
display and for callers outside the engine). ``fn(z)`` *is* ``forward(z, empty)``, so both give
bit-identical numbers. Inside ``forward``/``backward_into`` an exponential may overflow to ∞ or underflow
to 0 on the way to the correct limit (σ(−1000) = 1/(1 + ∞) = 0); the engine calls them inside
``np.errstate(all="ignore")`` and ``fn``/``grad``/``backward`` silence that themselves.
"""

from __future__ import annotations

import numpy as np

from .registry import Registry


def _quiet() -> np.errstate:
    """Silence the overflow/underflow of exponentials that saturate correctly."""
    return np.errstate(over="ignore", under="ignore")


#: 0 and 1 as 0-d arrays of each float type. A ufunc takes such an operand about 0.2 µs faster than a
#: Python number, and positional ``out`` about 0.05 µs faster than ``out=``: on a network of two
#: neurons a step is mostly such calls. Of the array's own type, so the same arithmetic and results
#: (a float64 0-d array with a float32 array would be computed in float64); ``.get(dtype, 1.0)``
#: falls back to the Python number for any other type.
def _constant(value: float, dtype: type) -> np.ndarray:
    a: np.ndarray = np.array(value, dtype)
    a.flags.writeable = False  # shared by every call: nothing may write into it
    return a


ONE = {np.dtype(t): _constant(1.0, t) for t in (np.float64, np.float32)}
ZERO = {np.dtype(t): _constant(0.0, t) for t in (np.float64, np.float32)}


def sigmoid_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)) into ``out`` (e^(−z) = ∞ for z < −709 gives σ = 0, the correct limit).

    1/x as ``reciprocal``: the same correctly rounded division as ``divide(1, x)``, with one operand.
    """
    np.negative(z, out)
    np.exp(out, out)
    np.add(out, ONE.get(out.dtype, 1.0), out)
    return np.reciprocal(out, out)


_ONES: dict[tuple[tuple[int, int], np.dtype], np.ndarray] = {}


def ones(shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    """An array of ones of ``shape`` and the float type ``dtype`` (float64 for others), made once: the
    column and row of ones that :func:`row_sums` and :func:`column_sums` multiply by."""
    key = (shape, dtype)
    found = _ONES.get(key)
    if found is None:
        if len(_ONES) > 64:
            _ONES.clear()
        found = _ONES[key] = np.ones(shape, dtype if dtype.kind == "f" else np.float64)
    return found


def ones_row(m: int, dtype: np.dtype) -> np.ndarray:
    """A row (1, m) of ones (see :func:`ones`)."""
    return ones((1, m), dtype)


def row_sums(x: np.ndarray) -> np.ndarray:
    """Σₖ xₖ of every row, as a column (rows, 1).

    A product with a column of ones: NumPy's own row-by-row reduction costs about 20 ns per row of
    a narrow array, the matrix product a fraction of that.
    """
    if x.ndim != 2:
        return np.add.reduce(x, axis=-1, keepdims=True)
    return np.dot(x, ones((x.shape[1], 1), x.dtype))


def column_sums(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Σₓ xₓ over the rows of the 2-d ``x``, as a row (1, columns), into ``out`` (that shape) if given.

    The product 1ᵀ·x, like :func:`row_sums`: a third to a half of the time of NumPy's reduction down
    the rows for a batch (0.5 µs instead of 1.4 µs for 10 × 30). Both ways of stepping sum ∂E/∂b = s·Σₓ δ
    with it, so they agree to the bit.
    """
    row = ones_row(x.shape[0], x.dtype)
    if out is None:
        return np.dot(row, x)
    return np.dot(row, x, out)


def row_max(z: np.ndarray) -> np.ndarray:
    """maxₖ zₖ of every row, as a column (rows, 1) (exact, however it is computed)."""
    if z.ndim == 2 and z.shape[0] >= 32:  # reducing across rows of the transpose is vectorised
        return np.maximum.reduce(np.ascontiguousarray(z.T), axis=0).reshape(-1, 1)
    return np.maximum.reduce(z, axis=-1, keepdims=True)


def softmax_parts(z: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """m = maxₖ zₖ and S = Σₖ e^(zₖ − m) per row (shape (rows, 1)); ``out`` receives e^(z − m).

    Softmax is out/S and ln Σₖ e^(zₖ) = m + ln S; both the activation and the categorical
    cross-entropy use this one function, so their numbers agree to the bit.
    """
    zmax = row_max(z)
    np.subtract(z, zmax, out)
    np.exp(out, out)
    return zmax, row_sums(out)


class Activation:
    """Base class. Subclasses set ``name``, ``label`` and ``formula`` and implement ``forward``/``grad``."""

    name: str = ""
    label: str = ""
    formula: str = ""
    derivative: str = ""
    #: False for activations whose derivative is zero almost everywhere (step): training refuses them.
    trainable: bool = True
    #: False when a neuron's output depends on the other neurons of its layer (softmax).
    elementwise: bool = True

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """a = f(z) written into ``out`` (an array of z's shape, not z itself); returns ``out``."""
        raise NotImplementedError

    def fn(self, z: np.ndarray) -> np.ndarray:
        """a = f(z)."""
        with _quiet():
            return self.forward(z, np.empty_like(z, dtype=np.float64))

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """f′(z), element by element (for softmax: the diagonal ∂aⱼ/∂zⱼ = aⱼ(1 − aⱼ))."""
        raise NotImplementedError

    def backward_into(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray, out: np.ndarray) -> np.ndarray:
        """δ = ∂E/∂z = f′(z)·∂E/∂a, written into ``out`` (not z, a or ∂E/∂a); returns the array holding δ."""
        np.multiply(self.grad(z, a), dE_da, out=out)
        return out

    def backward(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray) -> np.ndarray:
        """δ = ∂E/∂z from ∂E/∂a: f′(z)·∂E/∂a for element-wise activations."""
        with _quiet():  # a tiny δ rounding to 0 is not a problem
            return self.backward_into(z, a, dE_da, np.empty(np.shape(dE_da)))

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Identity(Activation):
    name = "identity"
    label = "Identity (linear)"
    formula = "f(z) = z"
    derivative = "f′(z) = 1"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, z)
        return out

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.ones_like(z)

    def backward_into(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray, out: np.ndarray) -> np.ndarray:
        return dE_da

    def backward(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray) -> np.ndarray:
        return dE_da


class Sigmoid(Activation):
    name = "sigmoid"
    label = "Sigmoid (logistic)"
    formula = "σ(z) = 1 / (1 + e^(−z))"
    derivative = "σ′(z) = σ(z)·(1 − σ(z))"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return sigmoid_into(z, out)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1.0 - a)

    def backward_into(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(ONE.get(a.dtype, 1.0), a, out)
        np.multiply(a, out, out)
        return np.multiply(out, dE_da, out)


class Tanh(Activation):
    name = "tanh"
    label = "Hyperbolic tangent"
    formula = "tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))"
    derivative = "tanh′(z) = 1 − tanh²(z)"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(z, out)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1.0 - a * a

    def backward_into(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(a, a, out)
        np.subtract(ONE.get(out.dtype, 1.0), out, out)
        return np.multiply(out, dE_da, out)


class ReLU(Activation):
    name = "relu"
    label = "ReLU"
    formula = "f(z) = max(0, z)"
    derivative = "f′(z) = 1 if z > 0 else 0"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.maximum(z, ZERO.get(z.dtype, 0.0), out=out)  # (out by position: deprecated here)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return (z > 0.0).astype(np.float64)

    def backward_into(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.greater(z, ZERO.get(z.dtype, 0.0), out)
        return np.multiply(out, dE_da, out)


class LeakyReLU(Activation):
    name = "leaky_relu"
    label = "Leaky ReLU (slope 0.01)"
    formula = "f(z) = z if z > 0 else 0.01·z"
    derivative = "f′(z) = 1 if z > 0 else 0.01"
    slope = 0.01

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, np.where(z > 0.0, z, self.slope * z))
        return out

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.where(z > 0.0, 1.0, self.slope)


class ELU(Activation):
    name = "elu"
    label = "ELU (α = 1)"
    formula = "f(z) = z if z > 0 else e^z − 1"
    derivative = "f′(z) = 1 if z > 0 else e^z"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, np.where(z > 0.0, z, np.expm1(np.minimum(z, 0.0))))
        return out

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.where(z > 0.0, 1.0, np.exp(np.minimum(z, 0.0)))


class Softplus(Activation):
    name = "softplus"
    label = "Softplus"
    formula = "f(z) = ln(1 + e^z)"
    derivative = "f′(z) = σ(z) = 1 / (1 + e^(−z))"

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.logaddexp(0.0, z, out=out)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        with _quiet():
            return sigmoid_into(z, np.empty_like(z, dtype=np.float64))


class Softmax(Activation):
    name = "softmax"
    label = "Softmax (output layer)"
    formula = "aⱼ = e^(zⱼ) / Σₖ e^(zₖ)"
    derivative = "∂aⱼ/∂zₖ = aⱼ(𝟙[j=k] − aₖ); diagonal aⱼ(1 − aⱼ)"
    elementwise = False

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """aⱼ = e^(zⱼ − m) / Σₖ e^(zₖ − m), m = maxₖ zₖ."""
        _, total = softmax_parts(z, out)
        return np.divide(out, total, out)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1.0 - a)

    def backward_into(self, z: np.ndarray, a: np.ndarray, dE_da: np.ndarray, out: np.ndarray) -> np.ndarray:
        """δⱼ = aⱼ·(∂E/∂aⱼ − Σₖ aₖ·∂E/∂aₖ): the softmax Jacobian applied to ∂E/∂a."""
        np.multiply(a, dE_da, out)
        s = row_sums(out)
        np.subtract(dE_da, s, out)
        return np.multiply(a, out, out)


class Step(Activation):
    name = "step"
    label = "Step (threshold)"
    formula = "f(z) = 1 if z > 0 else 0"
    derivative = "f′(z) = 0 (undefined at 0): only the perceptron rule trains a layer of step units"
    trainable = False

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.greater(z, 0.0, out=out)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.zeros_like(z)


class Sign(Activation):
    name = "sign"
    label = "Sign (±1 threshold)"
    formula = "f(z) = +1 if z > 0 else −1"
    derivative = "f′(z) = 0 (undefined at 0): only the perceptron rule trains a layer of sign units"
    trainable = False

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.greater(z, 0.0, out=out)
        np.multiply(out, 2.0, out=out)
        return np.subtract(out, 1.0, out=out)

    def grad(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.zeros_like(z)


ACTIVATIONS: Registry[Activation] = Registry("activation")
for _cls in (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus, Softmax, Step, Sign):
    ACTIVATIONS.register(_cls())


def get_activation(name: str) -> Activation:
    """The activation registered under ``name``."""
    return ACTIVATIONS.get(name)
