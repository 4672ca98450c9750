"""Generated datasets: logic gates, TensorFlow-Playground-like 2-D sets, and regression tasks.

Every generator is seeded (``numpy.random.default_rng(seed)``), so the same parameters give the same
data on every machine. 2-D points lie roughly in [−1, 1]²; samples are shuffled so that stepping one
sample at a time meets both classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .records import Dataset

GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "xor": [0, 1, 1, 0],
    "xnor": [1, 0, 0, 1],
    "nand": [1, 1, 1, 0],
}

#: the matrix of the notes' JAX example (seeds/000): targets y = M·x
NOTES_MATRIX = [[10.0, 0.0], [7.0, 10.0]]


def gate(name: str, params: dict[str, Any]) -> Dataset:
    """The truth table of a logic gate: X = {0,1}² (or {−1,+1}²), T = gate(x₁, x₂)."""
    encoding = params["encoding"]
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    T = np.array(GATES[name], dtype=np.float64).reshape(-1, 1)
    if encoding == "pm1":
        X = 2 * X - 1
        T = 2 * T - 1
    out_act = "sigmoid" if encoding == "01" else "tanh"
    lo, hi = ("0", "1") if encoding == "01" else ("−1", "+1")
    return Dataset(
        name=name,
        X=X,
        T=T,
        task="binary",
        input_names=["x1", "x2"],
        target_names=[name.upper()],
        class_names=[f"{name.upper()} = {lo}", f"{name.upper()} = {hi}"],
        description=f"The {name.upper()} truth table ({'0/1' if encoding == '01' else '±1'} encoding).",
        suggested={"sizes": [2, 2, 1], "activations": [out_act, out_act], "loss": "half_sse"},
    )


def majority(params: dict[str, Any]) -> Dataset:
    """The 3-input majority function (1 when at least two inputs are 1): linearly separable, so a
    single threshold unit learns it with the perceptron rule (the BMB3015 notes)."""
    X = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], dtype=np.float64)
    T = (X.sum(axis=1) >= 2).astype(np.float64).reshape(-1, 1)
    pm1 = params["encoding"] == "pm1"
    if pm1:
        X, T = 2 * X - 1, 2 * T - 1
    lo, hi = ("−1", "+1") if pm1 else ("0", "1")
    return Dataset(
        name="majority",
        X=X,
        T=T,
        task="binary",
        input_names=["x1", "x2", "x3"],
        target_names=["MAJORITY"],
        class_names=[f"MAJORITY = {lo}", f"MAJORITY = {hi}"],
        description=f"The 3-input majority truth table ({'±1' if pm1 else '0/1'} encoding).",
        suggested={"sizes": [3, 1], "activations": ["sign" if pm1 else "step"], "loss": "half_sse"},
    )


# ---------------------------------------------------------------------------- 2-D classification
def _binary_2d(
    name: str,
    title: str,
    pts0: np.ndarray,
    pts1: np.ndarray,
    params: dict[str, Any],
    rng: np.random.Generator,
    hidden: list[int],
    noise_added: bool = True,
) -> Dataset:
    X = np.vstack([pts0, pts1])
    if noise_added and params["noise"] > 0:
        X = X + rng.normal(0.0, params["noise"], size=X.shape)
    T = np.concatenate([np.zeros(len(pts0)), np.ones(len(pts1))]).reshape(-1, 1)
    order = rng.permutation(len(X))
    X, T = X[order], T[order]
    pm1 = params["encoding"] == "pm1"
    if pm1:
        T = 2 * T - 1
    acts = ["tanh"] * len(hidden) + (["tanh"] if pm1 else ["sigmoid"])
    return Dataset(
        name=name,
        X=np.ascontiguousarray(X),
        T=T,
        task="binary",
        input_names=["x1", "x2"],
        target_names=["class"],
        class_names=["class 0 (blue)", "class 1 (orange)"],
        description=title,
        suggested={"sizes": [2, *hidden, 1], "activations": acts, "loss": "mse" if pm1 else "bce"},
    )


def _split_n(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2


def circle(params: dict[str, Any]) -> Dataset:
    """Class 1 inside radius 0.5, class 0 in the ring 0.7 ≤ r ≤ 1 (uniform over each area)."""
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _split_n(params["n"])

    def ring(m: int, r_lo: float, r_hi: float) -> np.ndarray:
        r = np.sqrt(rng.uniform(r_lo**2, r_hi**2, m))
        a = rng.uniform(0, 2 * np.pi, m)
        return np.column_stack([r * np.cos(a), r * np.sin(a)])

    pts0 = ring(n0, 0.7, 1.0)
    pts1 = ring(n1, 0.0, 0.5)
    return _binary_2d("circle", "A disc of class 1 inside a ring of class 0.", pts0, pts1, params, rng, [4])


def xor_quadrants(params: dict[str, Any]) -> Dataset:
    """Points in [−1, 1]² away from the axes; class 1 where x₁·x₂ < 0 (XOR of the signs)."""
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _split_n(params["n"])

    def quads(m: int, same_sign: bool) -> np.ndarray:
        mag = rng.uniform(0.05, 1.0, size=(m, 2))
        s1 = rng.choice([-1.0, 1.0], size=m)
        s2 = s1 if same_sign else -s1
        return mag * np.column_stack([s1, s2])

    return _binary_2d(
        "xor_quadrants",
        "XOR quadrants: class 1 where x1 and x2 have different signs.",
        quads(n0, True),
        quads(n1, False),
        params,
        rng,
        [4],
    )


def gaussians(params: dict[str, Any]) -> Dataset:
    """Two Gaussian blobs of std σ = noise, centred at (−0.5, −0.5) (class 0) and (0.5, 0.5) (class 1)."""
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _split_n(params["n"])
    s = params["noise"]
    pts0 = rng.normal(-0.5, s, size=(n0, 2))
    pts1 = rng.normal(0.5, s, size=(n1, 2))
    return _binary_2d(
        "gaussians",
        "Two Gaussian blobs (linearly separable when the noise is small).",
        pts0,
        pts1,
        params,
        rng,
        [],
        noise_added=False,
    )


def spirals(params: dict[str, Any]) -> Dataset:
    """Two interleaved spirals: r = t, angle = 3.5π·t (+π for class 1), t ∈ [0, 1)."""
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _split_n(params["n"])

    def arm(m: int, phase: float) -> np.ndarray:
        t = np.arange(m) / max(m, 1)
        a = 1.75 * 2 * np.pi * t + phase
        return np.column_stack([t * np.sin(a), t * np.cos(a)])

    return _binary_2d(
        "spirals", "Two interleaved spirals.", arm(n0, 0.0), arm(n1, np.pi), params, rng, [8, 8]
    )


def moons(params: dict[str, Any]) -> Dataset:
    """Two interleaving half circles (as scikit-learn's make_moons), mapped to about [−1, 1] × [−½, ½]."""
    rng = np.random.default_rng(params["seed"])
    n0, n1 = _split_n(params["n"])
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n1)
    pts0 = np.column_stack([np.cos(t0), np.sin(t0)])
    pts1 = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    shift = np.array([0.5, 0.25])
    return _binary_2d(
        "moons",
        "Two interleaving half moons.",
        (pts0 - shift) / 1.5,
        (pts1 - shift) / 1.5,
        params,
        rng,
        [8],
    )


# ---------------------------------------------------------------------------- regression
def _regression(
    name: str, description: str, X: np.ndarray, y: np.ndarray, suggested: dict[str, Any], inputs: list[str]
) -> Dataset:
    T = y.reshape(len(y), -1)
    return Dataset(
        name=name,
        X=np.ascontiguousarray(X),
        T=np.ascontiguousarray(T),
        task="regression",
        input_names=inputs,
        target_names=["y"] if T.shape[1] == 1 else [f"y{i + 1}" for i in range(T.shape[1])],
        description=description,
        suggested=suggested,
    )


def sine(params: dict[str, Any]) -> Dataset:
    """y = sin(π·k·x) + ε, x ~ U[−1, 1], k = periods, ε ~ N(0, noise²)."""
    rng = np.random.default_rng(params["seed"])
    x = rng.uniform(-1.0, 1.0, params["n"])
    y = np.sin(np.pi * params["periods"] * x) + rng.normal(0.0, params["noise"], params["n"])
    return _regression(
        "sine",
        f"y = sin({params['periods']:g}·π·x) on [−1, 1], plus noise.",
        x.reshape(-1, 1),
        y,
        {"sizes": [1, 10, 1], "activations": ["tanh", "identity"], "loss": "mse"},
        ["x"],
    )


def plane(params: dict[str, Any]) -> Dataset:
    """y = (x₁ + x₂)/2 + ε on [−1, 1]²: a single linear neuron can fit it exactly."""
    rng = np.random.default_rng(params["seed"])
    X = rng.uniform(-1.0, 1.0, size=(params["n"], 2))
    y = 0.5 * (X[:, 0] + X[:, 1]) + rng.normal(0.0, params["noise"], params["n"])
    return _regression(
        "plane",
        "A plane y = (x1 + x2)/2 on [−1, 1]², plus noise.",
        X,
        y,
        {"sizes": [2, 1], "activations": ["identity"], "loss": "mse"},
        ["x1", "x2"],
    )


def surface(params: dict[str, Any]) -> Dataset:
    """y = exp(−‖x − a‖²/0.18) − exp(−‖x − b‖²/0.18) + ε, a = (−0.4, 0.4), b = (0.4, −0.4)."""
    rng = np.random.default_rng(params["seed"])
    X = rng.uniform(-1.0, 1.0, size=(params["n"], 2))

    def bump(cx: float, cy: float) -> np.ndarray:
        return np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / (2 * 0.3**2))

    y = bump(-0.4, 0.4) - bump(0.4, -0.4) + rng.normal(0.0, params["noise"], params["n"])
    return _regression(
        "surface",
        "A surface with a hill and a hollow (two Gaussian bumps) on [−1, 1]², plus noise.",
        X,
        y,
        {"sizes": [2, 8, 8, 1], "activations": ["tanh", "tanh", "identity"], "loss": "mse"},
        ["x1", "x2"],
    )


def matmul(params: dict[str, Any]) -> Dataset:
    """y = M·x + ε with x ~ N(0, I) (the notes' JAX example, M = [[10, 0], [7, 10]] by default)."""
    rng = np.random.default_rng(params["seed"])
    M = np.array(params["matrix"], dtype=np.float64)
    X = rng.normal(0.0, 1.0, size=(params["n"], M.shape[1]))
    Y = X @ M.T + rng.normal(0.0, params["noise"], size=(params["n"], M.shape[0]))
    d, k = M.shape[1], M.shape[0]
    rows = ", ".join("[" + ", ".join(f"{v:g}" for v in r) + "]" for r in M)
    return _regression(
        "matmul",
        f"Matrix multiplication y = M·x with M = [{rows}] and x ~ N(0, I) (the notes' JAX example).",
        X,
        Y,
        {"sizes": [d, 3, k], "activations": ["identity", "identity"], "loss": "mse"},
        [f"x{i + 1}" for i in range(d)],
    )
