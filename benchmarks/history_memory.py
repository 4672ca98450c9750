"""Memory over a long headless run (issue 13.10): flat with the bounded history, growing without it.

    python benchmarks/history_memory.py [--updates 10000000] [--every 1000000] [--peer-updates 1000000]

Trains the XOR example (2-2-1, online: one update per sample, four per epoch, so the per-epoch
history grows as fast as it ever does) with the engine's fast loop, in a child process per mode:

* ``bounded``: the history as it is (thinned in place beyond 20,000 entries per series);
* ``unbounded`` (the peer): the same run with the live limits lifted, as before issue 13.10.

Each child prints its resident memory (VmRSS) and history sizes after every ``--every`` updates;
the summary gives the growth per million updates of both, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(mode: str, updates: int, every: int) -> None:
    from bpstudio.workspace import load_example, trainer_for

    project = load_example("xor")
    project.training.batch_mode = "online"
    project.training.optimiser_params = {"lr": 0.3}
    trainer, _ = trainer_for(project)
    if mode == "unbounded":
        trainer.history.max_live_steps = trainer.history.max_live_epochs = 1 << 62
    per_epoch = trainer.n_train
    start = time.perf_counter()
    rows = [{"updates": 0, "rss_mb": rss_mb(), "entries": 0, "epoch_entries": 0, "seconds": 0.0}]
    while trainer.step_count < updates:
        trainer.run(epochs=max(1, every // per_epoch))
        h = trainer.history
        rows.append(
            {
                "updates": trainer.step_count,
                "rss_mb": rss_mb(),
                "entries": len(h.step_loss),
                "epoch_entries": len(h.epochs),
                "seconds": time.perf_counter() - start,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(json.dumps(rows))


def run_child(mode: str, updates: int, every: int) -> list[dict]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--updates", str(updates), "--every", str(every)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    return json.loads(out.stdout)


def growth(rows: list[dict]) -> float:
    """MB per million updates between the first and the last report after warm-up."""
    first, last = rows[1], rows[-1]
    return (last["rss_mb"] - first["rss_mb"]) / max(last["updates"] - first["updates"], 1) * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=10_000_000)
    ap.add_argument("--every", type=int, default=1_000_000)
    ap.add_argument("--peer-updates", type=int, default=1_000_000)
    ap.add_argument("--child", choices=("bounded", "unbounded"))
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.updates, args.every)
        return 0
    bounded = run_child("bounded", args.updates, args.every)
    peer_every = max(args.peer_updates // 5, 4)
    unbounded = run_child("unbounded", args.peer_updates, peer_every)
    print("| updates | resident memory | per-update entries | per-epoch entries | time |")
    print("|---:|---:|---:|---:|---:|")
    for r in bounded:
        print(
            f"| {r['updates']:,} | {r['rss_mb']:.0f} MB | {r['entries']:,} | {r['epoch_entries']:,} "
            f"| {r['seconds']:.0f} s |"
        )
    g_bounded, g_peer = growth(bounded), growth(unbounded)
    print(
        f"\ngrowth after the first report: bounded {g_bounded:+.2f} MB per million updates "
        f"(over {bounded[-1]['updates'] - bounded[1]['updates']:,} updates); unbounded history "
        f"{g_peer:+.1f} MB per million (over {unbounded[-1]['updates'] - unbounded[1]['updates']:,})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
