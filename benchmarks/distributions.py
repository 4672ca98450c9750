"""What the per-epoch distribution records (issue 15.5) cost the fast loop, against the same training
without them, in the same run.

    python benchmarks/distributions.py [--repeats 5]

Cases: the XOR example online (2-2-1, four updates per epoch: the epoch is as short as it gets, so
recording weighs the most) over 1,000 epochs (every epoch recorded) and 20,000 epochs (recording
thins to 250–500 records), and 64-30-10 on the digits with mini-batches of 10 over 20 epochs. Each
case is timed alternately with and without recording (``DistributionLog.add`` replaced by a no-op),
best of ``--repeats``; the ratio is the cost.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from bpstudio.engine import Network
    from bpstudio.engine.distributions import DistributionLog
    from bpstudio.workspace import load_example, trainer_for

    real_add = DistributionLog.add

    def timed(case: str, epochs: int, record: bool) -> tuple[float, int]:
        project = load_example("xor" if case == "xor" else "digits")
        if case == "xor":
            project.training.batch_mode = "online"
        else:
            project.network = Network.create([64, 30, 10], ["sigmoid", "softmax"], seed=0)
            project.training.loss = "cce"
            project.training.batch_mode = "minibatch"
            project.training.batch_size = 10
        trainer, _ = trainer_for(project)
        DistributionLog.add = real_add if record else (lambda self, epoch, make: None)  # type: ignore[method-assign]
        try:
            t0 = time.perf_counter()
            trainer.run(epochs=epochs)
            return time.perf_counter() - t0, len(trainer.history.dists.epochs)
        finally:
            DistributionLog.add = real_add  # type: ignore[method-assign]

    print(f"load average {os.getloadavg()[0]:.2f}; best of {args.repeats}, alternating")
    print(f"{'case':<28}{'with records':>14}{'without':>10}{'ratio':>8}{'records':>9}")
    for case, epochs in (("xor", 1_000), ("xor", 20_000), ("digits", 20)):
        best = {True: float("inf"), False: float("inf")}
        kept = 0
        for _ in range(args.repeats):
            for record in (True, False):
                dt, n = timed(case, epochs, record)
                best[record] = min(best[record], dt)
                kept = max(kept, n)
        name = f"{'2-2-1 XOR online' if case == 'xor' else '64-30-10 digits b10'}, {epochs:,} ep"
        print(f"{name:<28}{best[True]:>13.3f}s{best[False]:>9.3f}s{best[True] / best[False]:>8.3f}{kept:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
