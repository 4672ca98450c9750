"""Responsiveness of the studio window while a 64-30-10 digits network trains at full speed.

    QT_QPA_PLATFORM=offscreen python benchmarks/training_ui.py      # about a minute

Two figures, for online updates (1,797 per epoch) and mini-batches of 10:

* the longest stall of the GUI event loop: a QTimer ticks every 5 ms during the run and the longest gap
  between two ticks is recorded (minus the 5 ms period); the target is < 50 ms;
* training throughput in the window (samples/s from Run to the end of the run, everything the window
  does meanwhile included: plots, the canvas, the δ/Δw table, status line) against the headless engine
  (``Trainer.run`` in the same process on the same data); the target is ≥ 80 %.

The window is the real MainWindow with every dock open (loss curves, gradients, table, canvas), on the
shipped ``digits`` dataset (min–max scaled), sigmoid hidden layer, softmax output, cross-entropy, SGD.
The machine may be shared, so each figure is the best of a few repetitions.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPSTUDIO_NO_RESTORE", "1")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bpstudio.engine import Network, TrainConfig  # noqa: E402
from bpstudio.workspace import load_example, trainer_for  # noqa: E402

TICK_MS = 5


def digits_project(batch_mode: str):
    project = load_example()
    project.name = "digits 64-30-10"
    project.network = Network.create([64, 30, 10], ["sigmoid", "softmax"], init="xavier", seed=0)
    project.training = TrainConfig(
        loss="cce",
        reduction="mean",
        optimiser="sgd",
        optimiser_params={"lr": 0.1},
        batch_mode=batch_mode,
        batch_size=10,
        epochs=10,
        init="xavier",
        seed=0,
    )
    project.dataset = {"builtin": "digits", "preprocessing": {"scaling": "minmax01"}}
    project.optimiser_state = None
    project.history = None
    return project


def headless_rate(batch_mode: str, epochs: int) -> float:
    """Samples per second of one Trainer.run of ``epochs`` epochs, without any GUI."""
    trainer, _ = trainer_for(digits_project(batch_mode))
    t0 = time.perf_counter()
    trainer.run(epochs=epochs)
    return epochs * trainer.n_train / (time.perf_counter() - t0)


def gui_run(batch_mode: str, epochs: int) -> tuple[float, float, float, float]:
    """(samples/s, longest event-loop stall while training, its 99th percentile, longest stall of the
    final refresh after the run; all in ms) of one run in the window."""
    from bpstudio.app.main_window import MainWindow
    from bpstudio.app.session import Session

    session = Session(digits_project(batch_mode))
    window = MainWindow(session)
    window.resize(1600, 1000)
    window.show()
    ws = window.workspace
    for dock in ("loss", "gradients", "table"):
        ws.docks[dock].raise_()
    app = QApplication.instance()
    settle = QEventLoop()  # let the window finish showing itself before the run starts
    QTimer.singleShot(700, settle.quit)
    settle.exec()
    timer = QTimer()
    timer.setInterval(TICK_MS)

    stamps: list[float] = []

    def tick() -> None:
        stamps.append(time.perf_counter())

    timer.timeout.connect(tick)
    loop = QEventLoop()
    done: list[float] = []

    def finished(_outcome) -> None:
        done.append(time.perf_counter())
        QTimer.singleShot(500, loop.quit)  # the window's staggered final refresh, also measured

    ws.runner.finished.connect(finished)
    n = session.trainer.n_train
    timer.start()
    t0 = time.perf_counter()
    ws.runner.start(epochs=epochs)
    loop.exec()
    elapsed = done[0] - t0
    timer.stop()
    outcome = ws.runner.last_outcome
    assert outcome is not None and outcome.reason == "epochs", outcome
    # stalls while the network trains: gaps between ticks, cut at the moment the worker stopped
    t = np.array(stamps)
    ends = np.minimum(t[1:], outcome.stopped_at)
    during = (ends - t[:-1])[t[:-1] < outcome.stopped_at] * 1000 - TICK_MS
    # and the refresh of the whole window after the run (the final weights, every panel)
    after = float(((t[1:] - t[:-1])[t[1:] > outcome.stopped_at] * 1000 - TICK_MS).max(initial=0.0))
    session.undo_stack.setClean()
    session._trained_since_save = False
    window.close()
    window.deleteLater()
    app.processEvents()
    return epochs * n / elapsed, float(during.max()), float(np.percentile(during, 99)), after


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="repetitions of each measurement (best kept)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the epoch counts (longer runs)")
    args = p.parse_args(argv)
    QApplication.instance() or QApplication(sys.argv[:1])
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Qt platform {os.environ['QT_QPA_PLATFORM']}"
    )
    print(
        f"{'updates':<12}{'headless':>14}{'in window':>14}{'ratio':>8}{'max stall':>12}{'p99 stall':>12}"
        f"{'after run':>12}"
    )
    ok = True
    for mode, label, epochs in (("online", "online", 60), ("minibatch", "batch of 10", 400)):
        epochs = max(1, int(epochs * args.scale))
        heads, runs = [], []
        for _ in range(args.repeat):  # interleaved, so that both see the same machine load
            heads.append(headless_rate(mode, epochs))
            runs.append(gui_run(mode, epochs))
        head = max(heads)
        rate = max(r[0] for r in runs)
        stall = min(r[1] for r in runs)
        worst = max(r[1] for r in runs)
        p99 = min(r[2] for r in runs)
        after = min(r[3] for r in runs)
        ratio = rate / head
        ok = ok and ratio >= 0.8 and stall < 50
        print(
            f"{label:<12}{head:>12,.0f}/s{rate:>12,.0f}/s{ratio:>8.0%}{stall:>9.1f} ms{p99:>9.1f} ms"
            f"{after:>9.1f} ms   (worst run's stall: {worst:.1f} ms)"
        )
    print("targets: ratio ≥ 80 %, longest stall < 50 ms:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
