"""Run exported PyTorch scripts against bpstudio's own training (issue 16.4): for each case the
script's ``train`` runs N epochs and its weights are compared with bpstudio's after the same epochs.

Needs PyTorch, which bpstudio never needs; run it in an environment that has both:

    python -m venv /tmp/tv && /tmp/tv/bin/pip install torch numpy && /tmp/tv/bin/pip install -e .
    /tmp/tv/bin/python tests/check_pytorch_export.py

Prints, per case, the largest difference between the two sets of weights relative to the largest
weight; exit status 1 if any is above 1e-10 (1e-4 for the float32 case).
"""

from __future__ import annotations

import contextlib
import io
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bpstudio.engine import Network, TrainConfig  # noqa: E402
from bpstudio.engine.training import Trainer  # noqa: E402
from bpstudio.exports.pytorch_script import make_script  # noqa: E402

X = np.random.default_rng(0).normal(size=(30, 3))
Y1 = (X[:, :1] * X[:, 1:2] > 0).astype(float)
Y3 = np.eye(3)[np.argmax(X, axis=1)]
CASES = [
    ("sgd, half_sse, online", [3, 4, 1], ["sigmoid", "sigmoid"], Y1, dict()),
    (
        "momentum, bce, b5, L2",
        [3, 5, 1],
        ["tanh", "sigmoid"],
        Y1,
        dict(loss="bce", optimiser="momentum", batch_mode="minibatch", batch_size=5, l2=0.01),
    ),
    (
        "nesterov, mse, full, L1",
        [3, 4, 1],
        ["relu", "identity"],
        Y1,
        dict(loss="mse", optimiser="nesterov", batch_mode="full", l1=0.001),
    ),
    (
        "adagrad, sse, b4, sum",
        [3, 4, 1],
        ["elu", "sigmoid"],
        Y1,
        dict(loss="sse", optimiser="adagrad", batch_mode="minibatch", batch_size=4, reduction="sum"),
    ),
    (
        "rmsprop, cce, b7",
        [3, 6, 3],
        ["leaky_relu", "softmax"],
        Y3,
        dict(loss="cce", optimiser="rmsprop", batch_mode="minibatch", batch_size=7),
    ),
    (
        "adam, cce, b8, removed link",
        [3, 5, 4, 3],
        ["softplus", "tanh", "softmax"],
        Y3,
        dict(
            loss="cce", optimiser="adam", batch_mode="minibatch", batch_size=8, optimiser_params={"lr": 0.01}
        ),
    ),
    (
        "momentum, half_sse, b6, no bias",
        [3, 4, 1],
        ["sigmoid", "sigmoid"],
        Y1,
        dict(optimiser="momentum", batch_mode="minibatch", batch_size=6),
    ),
    (
        "adam, cce, b8, float32",
        [3, 5, 3],
        ["tanh", "softmax"],
        Y3,
        dict(loss="cce", optimiser="adam", batch_mode="minibatch", batch_size=8, dtype="float32"),
    ),
]
#: the largest difference allowed, relative to the largest weight: float64 rounding, or float32 precision
TOLERANCE = {"float64": 1e-10, "float32": 1e-4}
EPOCHS = 20


def run_case(name, sizes, acts, T, settings) -> float:
    net = Network.create(sizes, acts, seed=1)
    if "removed" in name:
        net.set_connection(0, 1, 2, False)
    if "no bias" in name:
        net.set_use_bias(0, False)
    cfg = TrainConfig(**settings)
    tr = Trainer(net.copy(), cfg, X, T)
    tr.run(epochs=2)  # the script continues from a trained state, optimiser memory included
    exported = make_script(tr.network.copy(), cfg, X, T, opt_state=tr.opt_state, epochs_done=tr.epoch)
    module = types.ModuleType("exported")
    module.__file__ = __file__
    exec(compile(exported.script, "train.py", "exec"), module.__dict__)
    with contextlib.redirect_stdout(io.StringIO()):
        params = module.train(EPOCHS)
    tr.run(epochs=EPOCHS)
    ours = tr.network.parameters()
    theirs = [p.detach().numpy() for p in params]
    scale = max(float(np.abs(p).max()) for p in ours)
    return max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs)) / scale


def main() -> int:
    import torch

    print(f"torch {torch.__version__}; {EPOCHS} epochs after 2, {X.shape[0]} samples")
    failed = 0
    for case in CASES:
        diff = run_case(*case)
        limit = TOLERANCE[case[4].get("dtype", "float64")]
        failed += diff > limit
        print(f"{case[0]:<32} largest difference / largest weight: {diff:.2e} (allowed {limit:.0e})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
