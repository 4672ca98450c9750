"""How the engine's training cost grows with the network's width, the batch size and the dataset size,
each cell measured against PyTorch in the same run (issue 18.5).

    python benchmarks/scaling.py              # about three minutes on 2 cores, with PyTorch installed
    python benchmarks/scaling.py --quick      # fewer cells

Table 1: a 64-w-10 network (sigmoid hidden layer, softmax output, cross-entropy, plain SGD, shuffled
every epoch) on 2,048 random samples shaped like the digits set, hidden width w from 10 to 1,000 and
batch size 1 to 256: bpstudio's training samples per second (its end-of-epoch evaluation included),
the arithmetic rate that is (GFLOP/s, the flops of a sample as benchmarks/engine.py counts them), and
bpstudio ÷ PyTorch.

Table 2: a 784-100-10 network with batch 64 on 256 to 25,600 samples: samples per second and the
share of bpstudio's time its end-of-epoch work takes (the evaluation of the training split, the
distribution record, the next epoch's order).

Every cell is the best of three interleaved runs of about 0.25 s each; the figures to compare between
machines are the ratios. Uses the learners of benchmarks/engine.py, so the arithmetic is the same.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine import (  # noqa: E402
    LAST_EVALUATION,
    Case,
    available,
    calibrate,
    flops_per_sample,
    make_data,
    run_torch,  # noqa: E402
)
from engine import run_ours as run_bpstudio  # noqa: E402

WIDTHS = (10, 30, 100, 300, 1000)
BATCHES = (1, 4, 16, 64, 256)
SIZES = (256, 1600, 6400, 25600)


def best_rate(fn, case: Case, data, seconds: float, runs: int = 3) -> tuple[float, float]:
    """(samples per second, evaluation share) of the best of ``runs`` runs."""
    epochs = calibrate(fn, case, data, seconds)
    best, share = 0.0, 0.0
    for _ in range(runs):
        LAST_EVALUATION[0] = 0.0
        dt = fn(case, *data, epochs)
        rate = epochs * case.n / dt
        if rate > best:
            best, share = rate, LAST_EVALUATION[0] / dt
    return best, share


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="three widths and three batch sizes")
    p.add_argument("--seconds", type=float, default=0.25, help="length of one timed run")
    args = p.parse_args(argv)
    torch_ok = available("pytorch")
    if torch_ok:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
    widths = (10, 100, 1000) if args.quick else WIDTHS
    batches = (1, 16, 256) if args.quick else BATCHES
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    peer = "yes" if torch_ok else "not installed"
    print(f"numpy {np.__version__}; pytorch {peer}; load average {load:.2f}")

    print("\nTable 1: 64-w-10, 2,048 samples: bpstudio samples/s (GFLOP/s) and bpstudio ÷ PyTorch")
    header = "| width | " + " | ".join(f"batch {b}" for b in batches) + " |"
    print(header)
    print("|---:|" + "---:|" * len(batches))
    for w in widths:
        cells = []
        for b in batches:
            case = Case(f"w{w}b{b}", (64, w, 10), b, 2048, 0.1, args.seconds)
            data = make_data(case)
            ours, _ = best_rate(run_bpstudio, case, data, args.seconds)
            gflops = ours * flops_per_sample(case.sizes) / 1e9
            cell = f"{ours:,.0f} ({gflops:.1f})"
            if torch_ok:
                theirs, _ = best_rate(run_torch, case, data, args.seconds)
                cell += f" {ours / theirs:.2f}×"
            cells.append(cell)
        print(f"| {w} | " + " | ".join(cells) + " |", flush=True)

    print("\nTable 2: 784-100-10, batch 64: samples/s, bpstudio ÷ PyTorch, end-of-epoch share")
    print("| samples | bpstudio | ÷ PyTorch | end-of-epoch work |")
    print("|---:|---:|---:|---:|")
    for n in SIZES if not args.quick else SIZES[:3]:
        case = Case(f"n{n}", (784, 100, 10), 64, n, 0.1, args.seconds)
        data = make_data(case)
        ours, share = best_rate(run_bpstudio, case, data, args.seconds)
        ratio = ""
        if torch_ok:
            theirs, _ = best_rate(run_torch, case, data, args.seconds)
            ratio = f"{ours / theirs:.2f}×"
        print(f"| {n:,} | {ours:,.0f} | {ratio} | {share:.0%} |", flush=True)
    after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average after: {after:.2f}; {time.strftime('%Y-%m-%d')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
