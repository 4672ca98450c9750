"""How fast, and in how little memory, a small .csv.gz that expands to millions of rows is refused
(issue 13.4: a 254 KB file of 255 MB of short rows once took 8 GB and 100 s before being refused).

    python benchmarks/gz_refusal.py [--megabytes 255]

Writes a gzip of ``--megabytes`` MB of the row "0,1\\n" (about 64 million rows), then, each in a fresh
child process, measures the wall time and the peak resident memory (VmHWM) of

* ``bpstudio``: ``load_dataset({"file": …})``, which must refuse it (more than 2,000,000 rows);
* ``decompress`` (the peer): only ``gzip.decompress`` of the file, the least work any reader of it does;
* ``numpy.loadtxt`` on the first 2,000,000 rows (the limit) of the same text: what accepting a file of
  the largest allowed size costs, for scale.

and prints the ratios to the peer measured in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = b"0,1\n"


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(mode: str, path: str) -> None:
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from bpstudio.data import DataError, load_dataset

    base = peak_mb()
    start = time.perf_counter()
    outcome = ""
    if mode == "bpstudio":
        try:
            load_dataset({"file": path})
            outcome = "loaded (wrong: it must be refused)"
        except DataError as exc:
            outcome = f"refused: {str(exc).split(': ', 1)[1]}"
    elif mode == "decompress":
        data = gzip.decompress(Path(path).read_bytes())
        outcome = f"{len(data):,} bytes"
    else:
        rows = 2_000_000
        with gzip.open(path, "rb") as fh:
            head = fh.read(rows * len(ROW))
        arr = np.loadtxt(head.decode().splitlines(), delimiter=",")
        outcome = f"{arr.shape[0]:,} rows"
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "base_mb": base, "outcome": outcome}))


def measure(mode: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=int, default=255)
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"))
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv.gz"
        block = ROW * (1 << 18)  # 1 MB
        with gzip.open(path, "wb", compresslevel=9) as fh:
            for _ in range(args.megabytes):
                fh.write(block)
        print(
            f"{path.stat().st_size / 1024:,.0f} KB of gzip, {args.megabytes} MB of rows "
            f"({args.megabytes * (1 << 18):,} rows)\n"
        )
        results = {mode: measure(mode, path) for mode in ("bpstudio", "decompress", "loadtxt")}
    peer = results["decompress"]
    print("| reader | time | peak memory (above start) | ÷ decompress: time, memory | outcome |")
    print("|---|---:|---:|---:|---|")
    for mode, r in results.items():
        extra = r["peak_mb"] - r["base_mb"]
        ratio_t = r["seconds"] / peer["seconds"]
        ratio_m = extra / max(peer["peak_mb"] - peer["base_mb"], 1e-9)
        print(
            f"| {mode} | {r['seconds']:.2f} s | {r['peak_mb']:.0f} MB (+{extra:.0f}) "
            f"| {ratio_t:.2f}, {ratio_m:.2f} | {r['outcome'][:90]} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
