"""The fast loop's update in place against the checked update it replaced, in one process.

    python benchmarks/update_in_place.py        # about a minute on 2 cores

``StepBuffers.compile_apply`` commits P ← P + Δ in place when every change is small
(Σ Δᵢ² ≤ ``SAFE_CHANGE``: P + Δ then stays finite), instead of writing P + Δ into a copy Q, checking
its sum and copying it back. Setting ``SAFE_CHANGE`` to −1 sends every update the checked way (the
old arithmetic plus the one Σ Δᵢ² it now computes), so the two are timed in the same process, taking
turns, on the three float64 cases of ``benchmarks/engine.py``; the ratio is checked ÷ in place
(above 1: the update in place is faster). Both give the same bits (tests/test_engine_fastpath.py).
"""

from __future__ import annotations

import os
import time

import numpy as np

from bpstudio.engine import Network, TrainConfig, Trainer, fastpath

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_T = np.array([[0.0], [1.0], [1.0], [0.0]])
#: name: (sizes, activations, loss, batch, samples, epochs per timed run)
CASES = {
    "xor 2-2-1, batch 1": ([2, 2, 1], ["sigmoid", "sigmoid"], "bce", 1, 4, 2000),
    "digits 64-30-10, batch 10": ([64, 30, 10], ["sigmoid", "softmax"], "cce", 10, 1797, 15),
    "mnist 784-100-10, batch 64": ([784, 100, 10], ["sigmoid", "softmax"], "cce", 64, 6400, 2),
}
ROUNDS = 12


def trainer_for(sizes, acts, loss, batch, n) -> Trainer:
    if n == 4:
        X, T = XOR_X, XOR_T
    else:
        rng = np.random.default_rng(0)
        X = rng.random((n, sizes[0]))
        T = np.eye(sizes[-1])[np.arange(n) % sizes[-1]]
    net = Network.create(sizes, acts, init="xavier", seed=0)
    cfg = TrainConfig(
        loss=loss,
        reduction="mean",
        optimiser="sgd",
        optimiser_params={"lr": 0.1},
        batch_mode="online" if batch == 1 else "minibatch",
        batch_size=batch,
        shuffle=True,
        seed=0,
    )
    return Trainer(net, cfg, X, T)


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f}")
    bound = fastpath.SAFE_CHANGE["float64"]
    for name, (sizes, acts, loss, batch, n, epochs) in CASES.items():
        trainer = trainer_for(sizes, acts, loss, batch, n)
        trainer.run(epochs=1)  # warm up
        times: dict[str, list[float]] = {"in place": [], "checked": []}
        try:
            for _ in range(ROUNDS):
                for mode, runs in times.items():
                    fastpath.SAFE_CHANGE["float64"] = bound if mode == "in place" else -1.0
                    t0 = time.perf_counter()
                    trainer.run(epochs=epochs)
                    runs.append((time.perf_counter() - t0) / (epochs * n) * 1e6)
        finally:
            fastpath.SAFE_CHANGE["float64"] = bound
        med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
        print(
            f"{name:28s} µs per sample (median of {ROUNDS}): in place {med['in place']:.2f}, "
            f"checked {med['checked']:.2f}, checked ÷ in place {med['checked'] / med['in place']:.3f}"
        )
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
