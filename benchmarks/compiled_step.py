"""What a compiled training step would give (issue 18 (a) and (b)): a measured basis for the
planners' decision, not a part of bpstudio (whose engine is NumPy only).

The fast loop's step for the two benchmark cases that NumPy's per-call cost bounds, a sigmoid hidden
layer and a sigmoid + binary cross-entropy or softmax + categorical cross-entropy output, mean
reduction, plain SGD, written as one function that Numba compiles: z = a·Wᵀ + b, a = σ(z),
δᴸ = o − t, ∂E/∂W = s·δᵀ·a, ∂E/∂b = s·Σₓ δ, δ = σ′(z)·(δ·W), Δ = −η·G, P ← P + Δ, with the batch
loss and both gradient norms for the history, as :meth:`StepBuffers.compile_step`'s step records
them. It is put in place of that step (``StepBuffers.compile_step`` patched) so that a whole run,
with the evaluation after each epoch and the history, is timed against bpstudio as it is and against
scikit-learn in the same process, taking turns. The weights after a few epochs are compared with
bpstudio's (the sums run in another order, so they agree to rounding, not to the bit).

    pip install numba scikit-learn       # neither is a dependency of bpstudio
    python benchmarks/compiled_step.py [--rounds 5] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from engine import CASES, make_data, run_ours, run_sklearn  # noqa: E402

from bpstudio.engine import Network, TrainConfig, Trainer, blas, fastpath  # noqa: E402

t_import = time.perf_counter()
import numba  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - t_import


@numba.njit(fastmath={"reassoc", "contract"}, cache=False)
def _kernel(X, T, P, G, D, F, h, k, lr, softmax, bound):  # noqa: ANN001, ANN202
    """One step on the batch (X, T): returns (batch loss, ‖∂E/∂W⁰‖², ‖∂E/∂W¹‖², committed)."""
    m, n_in = X.shape
    o1 = h * n_in
    o2 = o1 + h
    o3 = o2 + k * h
    W1 = P[:o1].reshape(h, n_in)
    b1 = P[o1:o2]
    W2 = P[o2:o3].reshape(k, h)
    b2 = P[o3:]
    gW1 = G[:o1].reshape(h, n_in)
    gb1 = G[o1:o2]
    gW2 = G[o2:o3].reshape(k, h)
    gb2 = G[o3:]
    a1 = F[: m * h].reshape(m, h)
    g1 = F[m * h : 2 * m * h].reshape(m, h)
    z2 = F[2 * m * h : 2 * m * h + m * k].reshape(m, k)
    d2 = F[2 * m * h + m * k : 2 * m * h + 2 * m * k].reshape(m, k)
    for r in range(m):  # forward
        for j in range(h):
            s = b1[j]
            for c in range(n_in):
                s += X[r, c] * W1[j, c]
            a1[r, j] = 1.0 / (1.0 + math.exp(-s))
        for j in range(k):
            s = b2[j]
            for c in range(h):
                s += a1[r, c] * W2[j, c]
            z2[r, j] = s
    total = 0.0
    for r in range(m):  # the loss and δᴸ = o − t (o·Σₖtₖ − t for softmax)
        if softmax:
            zmax = z2[r, 0]
            for j in range(1, k):
                zmax = max(zmax, z2[r, j])
            S = 0.0
            for j in range(k):
                e = math.exp(z2[r, j] - zmax)
                d2[r, j] = e
                S += e
            tsum = 0.0
            tz = 0.0
            for j in range(k):
                tsum += T[r, j]
                tz += T[r, j] * z2[r, j]
            total += (zmax + math.log(S)) * tsum - tz
            for j in range(k):
                d2[r, j] = d2[r, j] / S * tsum - T[r, j]
        else:
            for j in range(k):
                z = z2[r, j]
                total += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - T[r, j] * z
                d2[r, j] = 1.0 / (1.0 + math.exp(-z)) - T[r, j]
    G[:] = 0.0
    g1[:, :] = 0.0
    for r in range(m):  # backward
        for j in range(k):
            d = d2[r, j]
            gb2[j] += d
            for c in range(h):
                gW2[j, c] += d * a1[r, c]
                g1[r, c] += d * W2[j, c]
        for c in range(h):
            a = a1[r, c]
            d = g1[r, c] * (a * (1.0 - a))
            gb1[c] += d
            for q in range(n_in):
                gW1[c, q] += d * X[r, q]
    s = 1.0 / m
    change = 0.0
    for i in range(G.size):
        g = G[i] * s
        G[i] = g
        u = -lr * g
        D[i] = u
        change += u * u
    sq1 = 0.0
    for i in range(o1):
        sq1 += G[i] * G[i]
    sq2 = 0.0
    for i in range(o2, o3):
        sq2 += G[i] * G[i]
    loss = s * total
    if not (math.isfinite(loss) and change <= bound):
        return loss, sq1, sq2, False
    for i in range(P.size):
        P[i] += D[i]
    return loss, sq1, sq2, True


def compiled_step(self: fastpath.StepBuffers, trainer: Trainer) -> Callable[[np.ndarray, np.ndarray], bool]:
    """In place of :meth:`StepBuffers.compile_step`: the same contract, the kernel above."""
    h, k = self.sizes[1], self.sizes[2]
    softmax = self.activation_names[-1] == "softmax"
    P, G, D = self.P, self.G, self.D
    lr = trainer.hyper["lr"]
    bound = fastpath.SAFE_CHANGE[self.dtype.name]
    frames: dict[int, np.ndarray] = {}
    step_losses, grad_norms = trainer.history.step_loss, trainer.history.grad_norms
    sqrt = math.sqrt
    kernel = _kernel

    def step(X: np.ndarray, T: np.ndarray) -> bool:
        m = X.shape[0]
        F = frames.get(m)
        if F is None:
            F = frames[m] = np.empty(2 * m * (h + k))
        loss, sq1, sq2, ok = kernel(X, T, P, G, D, F, h, k, lr, softmax, bound)
        if not ok:
            self.refused_loss = loss
            return False
        step_losses.append(loss)
        grad_norms.append([sqrt(sq1), sqrt(sq2)])
        return True

    return step


NUMPY_STEP = fastpath.StepBuffers.compile_step


def use(compiled: bool) -> None:
    fastpath.StepBuffers.compile_step = compiled_step if compiled else NUMPY_STEP  # type: ignore[method-assign]


def trainer_for(case, X, T, lr: float) -> Trainer:  # noqa: ANN001
    """A fresh trainer for ``case`` as `engine.py` trains it (σ hidden; σ + BCE or softmax + CCE; mean)."""
    out = "sigmoid" if case.sizes[-1] == 1 else "softmax"
    net = Network.create(list(case.sizes), ["sigmoid", out], init="xavier", seed=0)
    cfg = TrainConfig(
        loss="bce" if out == "sigmoid" else "cce",
        reduction="mean",
        optimiser="sgd",
        optimiser_params={"lr": lr},
        batch_mode="online" if case.batch == 1 else "minibatch",
        batch_size=case.batch,
        seed=0,
    )
    return Trainer(net, cfg, X, T)


def agreement(case, epochs: int = 5) -> float:  # noqa: ANN001
    """Largest |difference| of the weights after ``epochs`` epochs, compiled step against NumPy's."""
    X, T, _y = make_data(case)
    weights = []
    for compiled in (False, True):
        use(compiled)
        trainer = trainer_for(case, X, T, case.lr)
        trainer.run(epochs=epochs)
        weights.append(np.concatenate([w.ravel() for w in trainer.network.weights]))
    use(False)
    return float(np.max(np.abs(weights[0] - weights[1])))


def step_times(case, rounds: int) -> dict[str, float]:  # noqa: ANN001
    """Median µs of one step (the same batch, η tiny), NumPy's step and the compiled one taking turns."""
    X, T, _y = make_data(case)
    trainer = trainer_for(case, X, T, 1e-9)  # the weights hardly move: every step does the same work
    trainer.run(epochs=1)
    ws = trainer._loop_buffers()
    steps = {"numpy": NUMPY_STEP(ws, trainer), "compiled": compiled_step(ws, trainer)}
    xb, tb = np.ascontiguousarray(X[: case.batch]), np.ascontiguousarray(T[: case.batch])
    times: dict[str, list[float]] = {name: [] for name in steps}
    number = 2000
    with np.errstate(all="ignore"), blas.limit(trainer.blas_threads()):
        for _ in range(max(rounds * 6, 15)):
            for name, step in steps.items():
                times[name].append(timeit.timeit(lambda step=step: step(xb, tb), number=number) / number)
                del trainer.history.step_loss[:], trainer.history.grad_norms[:]
    return {name: sorted(v)[len(v) // 2] * 1e6 for name, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="runs of each learner, taking turns")
    ap.add_argument("--seconds", type=float, default=1.0, help="about how long one run takes")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    print(f"numba {numba.__version__}, NumPy {np.__version__}; load {os.getloadavg()[0]:.2f}")
    print(f"import numba: {IMPORT_SECONDS * 1000:.0f} ms")
    t0 = time.perf_counter()
    one = np.zeros((1, 1))
    _kernel(one, one, np.zeros(4), np.zeros(4), np.zeros(4), np.zeros(4), 1, 1, 0.1, True, 1.0)
    print(f"first call (Numba compiles the kernel): {(time.perf_counter() - t0) * 1000:.0f} ms")
    for case in CASES[:2]:
        d = agreement(case)
        print(f"{case.name}: weights after 5 epochs differ by at most {d:.2e} from bpstudio's")
    for case in CASES[:2]:
        st = step_times(case, args.rounds)
        print(
            f"{case.name} {case.sizes} batch {case.batch}: one step {st['numpy']:.1f} µs (NumPy) · "
            f"{st['compiled']:.1f} µs (compiled): {st['numpy'] / st['compiled']:.2f}×"
        )
        data = make_data(case)
        learners = {
            "bpstudio": lambda c, *d: (use(False), run_ours(c, *d))[1],
            "bpstudio, compiled step": lambda c, *d: (use(True), run_ours(c, *d))[1],
            "scikit-learn": run_sklearn,
        }
        # epochs for about --seconds with bpstudio as it is; the same epochs for every learner
        use(False)
        run_ours(case, *data, 1)
        epochs = 1
        while (dt := run_ours(case, *data, epochs)) < 0.2:
            epochs *= 2
        epochs = max(1, round(epochs * args.seconds / dt))
        rates: dict[str, list[float]] = {name: [] for name in learners}
        for _ in range(args.rounds):
            for name, fn in learners.items():
                fn(case, *data, 1)  # warm
                rates[name].append(case.n * epochs / fn(case, *data, epochs))
        use(False)
        med = {name: sorted(v)[len(v) // 2] for name, v in rates.items()}
        print(f"  {epochs} epochs of {case.n} samples, median of {args.rounds} runs taking turns:")
        for name, r in med.items():
            print(f"    {name:24s} {r:12,.0f}/s   {r / med['scikit-learn']:.2f}× scikit-learn")
    print(f"load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
