"""Time of a loss landscape grid (issue 15.2) against its peer, the loop of one forward pass per point.

    python benchmarks/landscape.py [--grid 100] [--samples 256]

For each network (2-2-1 on XOR's 4 samples; 64-30-10 and 784-100-10 on ``--samples`` random samples),
the grid of grid × grid points in the plane of two random directions: ``loss_surface`` (vectorised
over the points) and the peer (``batch_loss`` of each moved network, the straightforward way), the
peer on a sub-grid and scaled to the full grid when it would take long. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bpstudio.engine import Network, TrainConfig  # noqa: E402
from bpstudio.engine.gradcheck import batch_loss  # noqa: E402
from bpstudio.engine.landscape import loss_surface, random_directions  # noqa: E402


def peer(net, cfg, X, T, d1, d2, alphas, betas) -> float:
    """Seconds per point of the loop over points."""
    start = time.perf_counter()
    n = 0
    for b in betas:
        for a in alphas:
            moved = net.copy()
            for p, u, v in zip(moved.parameters(), d1, d2):
                p += a * u + b * v
            batch_loss(moved, cfg, X, T)
            n += 1
    return (time.perf_counter() - start) / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=100)
    ap.add_argument("--samples", type=int, default=256)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    cases = []
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    cases.append(
        ("2-2-1, XOR (4 samples)", [2, 2, 1], ["sigmoid", "sigmoid"], "half_sse", X, X[:, :1] != X[:, 1:])
    )
    m = args.samples
    for sizes in ([64, 30, 10], [784, 100, 10]):
        X = rng.random((m, sizes[0]))
        T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
        cases.append(
            (f"{'-'.join(map(str, sizes))}, {m} samples", sizes, ["sigmoid", "softmax"], "cce", X, T)
        )
    g = args.grid
    alphas = np.linspace(-1, 1, g)
    print(f"| network | {g}×{g} grid (loss_surface) | per point | peer: loop, per point | ÷ peer |")
    print("|---|---:|---:|---:|---:|")
    for name, sizes, acts, loss, X, T in cases:
        net = Network.create(sizes, acts, seed=1)
        cfg = TrainConfig(loss=loss)
        T = np.asarray(T, dtype=float)
        d1, d2 = random_directions(net, seed=2)
        start = time.perf_counter()
        loss_surface(net, cfg, X, T, d1, d2, alphas, alphas)
        took = time.perf_counter() - start
        sub = alphas[:: max(1, g // 10)]  # the peer on a sub-grid of about 10 × 10
        per = peer(net, cfg, X, T, d1, d2, sub, sub)
        ours = took / (g * g)
        print(
            f"| {name} | {took:.3f} s | {ours * 1e6:.1f} µs | {per * 1e6:.1f} µs | {per / ours:.1f}× faster |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
