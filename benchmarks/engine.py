"""Training throughput of the bpstudio engine against scikit-learn and a plain PyTorch loop.

    pip install -e ".[bench]"          # scikit-learn (and: pip install torch, CPU wheel)
    python benchmarks/engine.py        # about two minutes on 2 cores

Three cases, each trained with plain SGD (constant learning rate, no momentum, no weight decay),
shuffling every epoch, mean reduction over the batch, float64 everywhere:

(a) ``xor``    2-2-1, sigmoid hidden + sigmoid output with binary cross-entropy, online (batch 1), 4 samples;
(b) ``digits`` 64-30-10, sigmoid hidden + softmax output with categorical cross-entropy, batch 10,
    1,797 samples of random data shaped like scikit-learn's digits (64 inputs, 10 classes);
(c) ``mnist``  784-100-10, sigmoid hidden + softmax output with categorical cross-entropy, batch 64,
    6,400 samples of random data shaped like MNIST;
(d) ``mnist32`` the same in float32: bpstudio's opt-in float32 runs (``TrainConfig.dtype``) against
    PyTorch in float32 (scikit-learn is left out of this case).

Binary/categorical cross-entropy with sigmoid/softmax outputs is what scikit-learn's MLPClassifier
trains (its ``log_loss``), so all three learners minimise the same function with the same updates.

Every learner is timed on its training call only (data prepared beforehand); the figure is training
samples per second (epochs × samples / seconds). bpstudio's figure includes what the engine always does
at the end of an epoch (evaluating loss and accuracy on the training split: by default, for (c) and (d),
on its fixed subsample of 1,067 of the 6,400 samples, see ``bpstudio.engine.evaluation``;
``--train-eval all`` evaluates every sample); scikit-learn's includes its
per-epoch bookkeeping; the PyTorch loop does nothing but train. Each measurement is repeated and the
best run kept, learners interleaved, because the machine is shared; ratios (ours / peer) are what to
compare between machines.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bpstudio.engine import TRAIN_EVALS, Network, TrainConfig, Trainer, train_eval_size

#: the per-epoch evaluation of bpstudio's runs (``--train-eval``; the workers inherit it)
TRAIN_EVAL_VAR = "BPSTUDIO_BENCH_TRAIN_EVAL"


@dataclass
class Case:
    name: str
    sizes: tuple[int, int, int]
    batch: int
    n: int
    lr: float
    #: seconds one timed run should take (the epochs are calibrated to it)
    seconds: float
    dtype: str = "float64"


CASES = [
    Case("xor", (2, 2, 1), 1, 4, 0.5, 1.5),
    Case("digits", (64, 30, 10), 10, 1797, 0.1, 1.5),
    Case("mnist", (784, 100, 10), 64, 6400, 0.1, 2.0),
    Case("mnist32", (784, 100, 10), 64, 6400, 0.1, 2.0, "float32"),
]
#: the learners that train each number format
SUPPORTS = {"float64": ("bpstudio", "scikit-learn", "pytorch"), "float32": ("bpstudio", "pytorch")}


def make_data(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, one-hot or 0/1 targets T, class labels y)."""
    if case.name == "xor":
        X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y = np.array([0, 1, 1, 0])
        return X, y[:, None].astype(np.float64), y
    rng = np.random.default_rng(seed)
    n_in, _, k = case.sizes
    X = rng.random((case.n, n_in))
    y = np.arange(case.n) % k
    rng.shuffle(y)
    return X, np.eye(k)[y], y


def flops_per_sample(sizes: tuple[int, ...]) -> int:
    """Multiply-adds ×2 of one training sample: forward z = aWᵀ, gradient δᵀa, and δ·W for hidden layers."""
    total = 0
    for i in range(len(sizes) - 1):
        mn = sizes[i] * sizes[i + 1]
        total += 2 * mn  # forward
        total += 2 * mn  # ∂E/∂W
        if i > 0:
            total += 2 * mn  # back-propagated δ
    return total


# ---------------------------------------------------------------------------- the learners
#: seconds the last bpstudio run spent in its end-of-epoch evaluation (measured inside that run)
LAST_EVALUATION = [0.0]


def run_ours(case: Case, X, T, y, epochs: int) -> float:
    out = "sigmoid" if case.sizes[-1] == 1 else "softmax"
    loss = "bce" if out == "sigmoid" else "cce"
    net = Network.create(list(case.sizes), ["sigmoid", out], init="xavier", seed=0)
    cfg = TrainConfig(
        loss=loss,
        reduction="mean",
        optimiser="sgd",
        optimiser_params={"lr": case.lr},
        batch_mode="online" if case.batch == 1 else "minibatch",
        batch_size=case.batch,
        shuffle=True,
        seed=0,
        dtype=case.dtype,
        train_eval=os.environ.get(TRAIN_EVAL_VAR, "auto"),
    )
    trainer = Trainer(net, cfg, X, T)
    spent = [0.0]
    end_epoch = trainer._end_epoch

    def timed_end_epoch() -> None:  # the evaluation of every split, history, next epoch's order
        t0 = time.perf_counter()
        end_epoch()
        spent[0] += time.perf_counter() - t0

    trainer._end_epoch = timed_end_epoch  # type: ignore[method-assign]
    t0 = time.perf_counter()
    trainer.run(epochs=epochs)
    dt = time.perf_counter() - t0
    LAST_EVALUATION[0] = spent[0]
    return dt


def run_sklearn(case: Case, X, T, y, epochs: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(case.sizes[1],),
        activation="logistic",
        solver="sgd",
        alpha=0.0,
        batch_size=case.batch,
        learning_rate="constant",
        learning_rate_init=case.lr,
        max_iter=epochs,
        shuffle=True,
        random_state=0,
        tol=0.0,
        momentum=0.0,
        nesterovs_momentum=False,
        early_stopping=False,
        n_iter_no_change=epochs + 1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - t0


def run_torch(case: Case, X, T, y, epochs: int) -> float:
    import torch

    torch.manual_seed(0)
    n_in, n_hid, n_out = case.sizes
    model = torch.nn.Sequential(
        torch.nn.Linear(n_in, n_hid), torch.nn.Sigmoid(), torch.nn.Linear(n_hid, n_out)
    )
    model = model.float() if case.dtype == "float32" else model.double()
    if n_out == 1:
        loss_fn = torch.nn.BCEWithLogitsLoss()
        Yt = torch.from_numpy(T.astype(case.dtype))
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
        Yt = torch.from_numpy(y.astype(np.int64))
    Xt = torch.from_numpy(X.astype(case.dtype))
    opt = torch.optim.SGD(model.parameters(), lr=case.lr)
    n, b = X.shape[0], case.batch
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, b):
            idx = perm[i : i + b]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), Yt[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - t0


LEARNERS: dict[str, Callable] = {"bpstudio": run_ours, "scikit-learn": run_sklearn, "pytorch": run_torch}
MODULES = {"bpstudio": "bpstudio", "scikit-learn": "sklearn", "pytorch": "torch"}


def available(name: str) -> bool:
    return importlib.util.find_spec(MODULES[name]) is not None


def calibrate(fn: Callable, case: Case, data, seconds: float) -> int:
    """Epochs that make one run of ``fn`` take about ``seconds`` (after a warm-up run; at least half
    the epochs that first took 0.3 s, so that one slow moment cannot make the runs too short)."""
    fn(case, *data, 1)
    epochs = 1
    while True:
        dt = fn(case, *data, epochs)
        if dt >= 0.3 or epochs >= 10**6:
            dt = min(dt, fn(case, *data, epochs))  # a second look, in case the first hit a busy moment
            return max(1, epochs // 2, round(epochs * seconds / max(dt, 1e-9)))
        epochs *= 2


# ---------------------------------------------------------------------------- one process per learner
def worker(name: str) -> int:
    """Serve timing requests for one learner on stdin/stdout (one JSON object per line).

    Every learner runs in its own process so that none inherits another's thread pools (an idle
    OpenMP or BLAS pool left spinning by one library slows the next on a 2-core machine).
    """
    fn = LEARNERS[name]
    cases = {c.name: c for c in CASES}
    data: dict[str, tuple] = {}
    version = {"bpstudio": "numpy " + np.__version__}
    if name == "scikit-learn":
        import sklearn

        version[name] = sklearn.__version__
    if name == "pytorch":
        import torch

        version[name] = f"{torch.__version__}, {torch.get_num_threads()} threads"
    for line in sys.stdin:
        req = json.loads(line)
        case = cases.get(req.get("case", ""))
        if case is not None and case.name not in data:
            data[case.name] = make_data(case)
        if "calibrate" in req:
            reply = {"epochs": calibrate(fn, case, data[case.name], req["calibrate"])}
        elif "epochs" in req:
            reply = {"seconds": fn(case, *data[case.name], req["epochs"]), "evaluation": LAST_EVALUATION[0]}
        else:
            reply = {"version": version.get(name, "")}
        print(json.dumps(reply), flush=True)
    return 0


class Worker:
    def __init__(self, name: str) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **req) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker stopped")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def settle() -> None:
    """Let the BLAS/OpenMP worker threads of the previous run stop spinning before the next one."""
    time.sleep(0.2)


# ---------------------------------------------------------------------------- matmul rate
def matmul_rate(n: int = 2048, repeats: int = 5, dtype: str = "float64") -> float:
    """Best FLOP/s of an n×n by n×n product (2n³ FLOP) in ``dtype`` with NumPy's BLAS, all threads."""
    rng = np.random.default_rng(0)
    a = rng.random((n, n)).astype(dtype)
    b = rng.random((n, n)).astype(dtype)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


# ---------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cases", default="xor,digits,mnist,mnist32", help="comma-separated: xor, digits, mnist, mnist32"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per learner (best kept)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every run's target duration")
    parser.add_argument("--only", default="", help="comma-separated learners to run (default: all)")
    parser.add_argument(
        "--train-eval",
        choices=TRAIN_EVALS,
        default="auto",
        help="bpstudio's per-epoch evaluation of the training split (default: auto, its default)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)

    os.environ[TRAIN_EVAL_VAR] = args.train_eval
    names = [k for k in LEARNERS if available(k) and (not args.only or k in args.only.split(","))]
    missing = [k for k in LEARNERS if not available(k)]
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    workers = {k: Worker(k) for k in names}
    try:
        for k, w in workers.items():
            print(f"{k}: {w.ask()['version']}")
        if missing:
            print(f"not installed, skipped: {', '.join(missing)}")
        rate = matmul_rate()
        print(f"float64 matmul 2048×2048 (NumPy, all threads): {rate / 1e9:.1f} GFLOP/s\n")
        for case in CASES:
            if case.name in args.cases.split(","):
                run_case(case, workers, args, rate)
    finally:
        for w in workers.values():
            w.close()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def run_case(case: Case, workers: dict[str, Worker], args, rate: float) -> None:
    workers = {k: w for k, w in workers.items() if k in SUPPORTS[case.dtype]}
    epochs = {
        k: w.ask(case=case.name, calibrate=case.seconds * args.scale)["epochs"] for k, w in workers.items()
    }
    best = {k: float("inf") for k in workers}
    share = 0.0
    for _ in range(args.repeats):
        for k, w in workers.items():  # interleaved, so that a busy moment hits every learner alike
            settle()
            reply = w.ask(case=case.name, epochs=epochs[k])
            if reply["seconds"] / epochs[k] < best[k]:
                best[k] = reply["seconds"] / epochs[k]
                share = reply["evaluation"] / reply["seconds"] if k == "bpstudio" else share
    sps = {k: case.n / best[k] for k in workers}
    arch = "-".join(map(str, case.sizes))
    shape = f"{arch}, batch {case.batch}, {case.n} samples, {case.dtype}"
    print(f"({case.name}) {shape}, best of {args.repeats} runs")
    for k in workers:
        line = f"  {k:<13}{sps[k]:>12,.0f} samples/s  ({epochs[k]} epochs per run)"
        if k != "bpstudio" and "bpstudio" in sps:
            line += f"   bpstudio/{k} = {sps['bpstudio'] / sps[k]:.2f}×"
        print(line)
    if case.name.startswith("mnist"):
        rate = max(rate, matmul_rate(dtype=case.dtype))  # the machine is shared: keep the best rate seen
    if "bpstudio" in workers:
        evaluated = train_eval_size(case.n, os.environ.get(TRAIN_EVAL_VAR, "auto"))
        line = (
            f"  bpstudio's end-of-epoch work (evaluation of {evaluated:,} of the {case.n:,} samples, "
            f"next order): {share:.0%} of its time"
        )
        if "pytorch" in sps:
            without = sps["bpstudio"] / (1.0 - share) / sps["pytorch"]
            line += f" (without it: {without:.2f}× pytorch)"
        print(line)
        if case.name.startswith("mnist"):
            achieved = sps["bpstudio"] * flops_per_sample(case.sizes)
            forward = 2 * sum(case.sizes[i] * case.sizes[i + 1] for i in range(len(case.sizes) - 1))
            with_eval = sps["bpstudio"] * (flops_per_sample(case.sizes) + forward * evaluated / case.n)
            print(
                f"  bpstudio: {achieved / 1e9:.1f} GFLOP/s of training arithmetic "
                f"= {achieved / rate:.0%} of the matmul rate ({rate / 1e9:.1f} GFLOP/s, best seen); "
                f"{with_eval / rate:.0%} counting the evaluation's forward pass too"
            )
    print()
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
