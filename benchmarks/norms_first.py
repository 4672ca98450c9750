"""A/B of the fast loop's step with plain SGD: ‖G‖² taken from the gradient norms the history records
(``fastpath.NORMS_FIRST``) against a pass over Δ, taking turns in one process (the same buffers and
batch), 30 rounds of 50 steps each; prints the minimum and median time of a step either way.

    python benchmarks/norms_first.py [CASE]     # 2 = 784-100-10 float64 (default), 3 = the same in float32
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from engine import CASES, make_data  # noqa: E402

from bpstudio.engine import Network, TrainConfig, Trainer, blas, fastpath  # noqa: E402


def main(argv: list[str]) -> int:
    case = CASES[int(argv[0]) if argv else 2]
    X, T, _y = make_data(case)
    net = Network.create(list(case.sizes), ["sigmoid", "softmax"], init="xavier", seed=0)
    cfg = TrainConfig(
        loss="cce",
        optimiser="sgd",
        optimiser_params={"lr": 1e-6},  # the weights hardly move: every step does the same work
        batch_mode="minibatch",
        batch_size=case.batch,
        seed=0,
        dtype=case.dtype,
    )
    trainer = Trainer(net, cfg, X, T)
    trainer.run(epochs=1)
    ws = trainer._loop_buffers()
    steps = {}
    for mode, least in (("norms first", fastpath.NORMS_FIRST), ("pass over Δ", 1 << 60)):
        fastpath.NORMS_FIRST = least
        steps[mode] = ws.compile_step(trainer)
    xb = X[: case.batch].astype(case.dtype)
    tb = T[: case.batch].astype(case.dtype)
    times: dict[str, list[float]] = {mode: [] for mode in steps}
    with np.errstate(all="ignore"), blas.limit(trainer.blas_threads()):
        for _round in range(30):
            for mode, step in steps.items():
                times[mode].append(timeit.timeit(lambda step=step: step(xb, tb), number=50) / 50)
    print(f"{case.name} {case.sizes}, batch {case.batch}, {case.dtype}")
    for mode, values in times.items():
        values.sort()
        print(f"  {mode:12s} min {values[0] * 1e6:7.1f} µs   median {values[len(values) // 2] * 1e6:7.1f} µs")
    a, b = times["pass over Δ"], times["norms first"]
    print(f"  pass over Δ ÷ norms first: {a[0] / b[0]:.3f} (min), {a[15] / b[15]:.3f} (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
