"""Load times of bpstudio's data importers on large files.

    python benchmarks/data.py                  # 100,000 rows × 100 columns; about a minute on 2 cores
    python benchmarks/data.py --rows 20000     # smaller

Files are generated in a temporary folder (random numbers written with 6 significant digits, as a
spreadsheet export would): a CSV with a text class column, the same CSV with 1 % of the values
missing, the same CSV gzip-compressed, MNIST-sized IDX files (60,000 images of 28 × 28 bytes, raw and
gzip) and an .npz of the same numbers. Each load goes through ``bpstudio.data.load_dataset`` from a
cold start (the "same file again" cache is cleared) and is repeated; the best time is reported.
The last rows time ``prepare`` (stratified 70/15/15 split and standardisation) and the shipped sets.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bpstudio.data import builtin_names, load_dataset, prepare
from bpstudio.data import files as data_files


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        data_files._last.clear()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def write_csv(
    path: Path, X: np.ndarray, labels: np.ndarray, missing: float, rng: np.random.Generator
) -> None:
    text = np.char.mod("%.6g", X)
    if missing:
        text[rng.random(X.shape) < missing] = ""
    header = ",".join([f"x{j}" for j in range(X.shape[1])] + ["label"])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        for row, lab in zip(text, labels):
            fh.write(",".join(row.tolist()) + f",c{lab}\n")


def idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--images", type=int, default=60_000, help="IDX images of 28 × 28")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.cols))
    labels = rng.integers(0, 10, args.rows)
    rows: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "big.csv"
        write_csv(csv_path, X, labels, 0.0, rng)
        miss_path = folder / "missing.csv"
        write_csv(miss_path, X, labels, 0.01, rng)
        gz_path = folder / "big.csv.gz"
        gz_path.write_bytes(gzip.compress(csv_path.read_bytes(), compresslevel=6))
        images = rng.integers(0, 256, size=(args.images, 28, 28), dtype=np.uint8)
        img_labels = rng.integers(0, 10, args.images).astype(np.uint8)
        img_path = folder / "train-images-idx3-ubyte"
        lab_path = folder / "train-labels-idx1-ubyte"
        img_path.write_bytes(idx_bytes(images))
        lab_path.write_bytes(idx_bytes(img_labels))
        img_gz = folder / "train-images-idx3-ubyte.gz"
        img_gz.write_bytes(gzip.compress(img_path.read_bytes(), compresslevel=6))
        npz_path = folder / "big.npz"
        np.savez(npz_path, X=X, y=labels)
        old = time.time() - 10
        for p in folder.iterdir():
            os.utime(p, (old, old))

        shape = f"{args.rows:,} × {args.cols} + label"
        mb = csv_path.stat().st_size / 1e6
        cases = [
            ("CSV", f"{shape} ({mb:.0f} MB)", {"file": str(csv_path), "target": "label"}),
            ("CSV, 1 % missing", f"{shape}", {"file": str(miss_path), "target": "label"}),
            ("CSV.gz", f"{shape} ({gz_path.stat().st_size / 1e6:.0f} MB)", {"file": str(gz_path)}),
            ("IDX", f"{args.images:,} × 28 × 28", {"file": str(img_path), "labels": str(lab_path)}),
            ("IDX.gz", f"{args.images:,} × 28 × 28", {"file": str(img_gz), "labels": str(lab_path)}),
            ("NPZ", f"{args.rows:,} × {args.cols}", {"file": str(npz_path), "onehot": True}),
        ]
        for name, what, spec in cases:
            ds = load_dataset(spec)
            if name == "CSV, 1 % missing":
                what += f", {ds.report.total_filled:,} filled"
            rows.append((name, what, best_of(lambda spec=spec: load_dataset(spec), args.repeat)))
        ds = load_dataset(cases[0][2])
        spec = {"split": {"val": 0.15, "test": 0.15}, "preprocessing": {"scaling": "standardise"}}
        rows.append(
            ("prepare", "stratified split + standardise", best_of(lambda: prepare(spec, ds), args.repeat))
        )
    t = time.perf_counter()
    for name in builtin_names():
        load_dataset({"builtin": name})
    rows.append(("built-ins", f"all {len(builtin_names())}, default parameters", time.perf_counter() - t))

    print(
        f"bpstudio data benchmark — Python {sys.version.split()[0]}, NumPy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(f"| {'importer':<18} | {'data':<40} | seconds |")
    print(f"|{'-' * 20}|{'-' * 42}|---------|")
    for name, what, secs in rows:
        print(f"| {name:<18} | {what:<40} | {secs:7.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
