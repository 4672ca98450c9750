"""Responsiveness of the studio window while a 64-30-10 digits network trains at full speed.

    QT_QPA_PLATFORM=offscreen python benchmarks/training_ui.py      # about four minutes
    BENCH_DEBUG=1 ... also prints, per run, the snapshots shown and the time the worker waited for them

Two figures, for online updates (1,797 per epoch, 60 epochs) and mini-batches of 10 (400 epochs):

* the longest stall of the GUI event loop while the network trains: a QTimer ticks every 5 ms and the
  longest gap between two ticks is recorded (minus the 5 ms period), up to the moment the worker
  stops; "after" is the longest gap while the window then shows the final state; the target is < 50 ms;
* training throughput in the window (samples/s from Run to the end of the run, everything the window
  does meanwhile included: loss and gradient plots, the canvas, the δ/Δw table, the status line)
  against the headless engine (``Trainer.run`` of as many epochs, in the same process, on the same
  data); the target is ≥ 80 %.

The window is the real MainWindow with its default docks (the Decision Boundary tab is behind the
Gradients tab: digits has 64 inputs), on the shipped ``digits`` dataset (min–max scaled), a sigmoid
hidden layer, softmax output, cross-entropy and SGD. The machine may be shared and its speed varies by
±15 % from run to run, so headless and window runs are interleaved and repeated: the table gives the
best of each, and the medians.
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
    if os.environ.get("BENCH_DEBUG"):
        train = outcome.stopped_at - t0
        print(
            f"  {train:.2f} s training, {outcome.updates} snapshots, worker paused {outcome.paused:.2f} s, "
            f"longest stall {during.max():.1f} ms at {t[int(np.argmax(during))] - t0:.2f} s"
        )
    session.undo_stack.setClean()
    session._trained_since_save = False
    window.close()
    window.deleteLater()
    app.processEvents()
    return epochs * n / elapsed, float(during.max()), float(np.percentile(during, 99)), after


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the epoch counts (longer runs)")
    args = p.parse_args(argv)
    QApplication.instance() or QApplication(sys.argv[:1])
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Qt platform {os.environ['QT_QPA_PLATFORM']}"
    )
    print(
        "(best of the runs, and in brackets the median: of the per-pair ratios, of each run's longest stall)"
    )
    head_row = f"{'updates':<12}{'headless':>12}{'in window':>12}{'ratio':>14}"
    print(head_row + f"{'longest stall':>20}{'p99':>8}{'after':>8}")
    ok = True
    for mode, label, epochs in (("online", "online", 60), ("minibatch", "batch of 10", 400)):
        epochs = max(1, int(epochs * args.scale))
        heads, runs = [], []
        for _ in range(args.repeat):  # interleaved, so that both see the same machine load
            heads.append(headless_rate(mode, epochs))
            runs.append(gui_run(mode, epochs))
        head, rate = max(heads), max(r[0] for r in runs)
        pair = float(np.median([r[0] / h for r, h in zip(runs, heads)]))
        stalls = [r[1] for r in runs]
        p99 = float(np.median([r[2] for r in runs]))
        after = float(np.median([r[3] for r in runs]))
        ratio = rate / head
        ok = ok and ratio >= 0.8 and min(stalls) < 50
        print(
            f"{label:<12}{head:>10,.0f}/s{rate:>10,.0f}/s{ratio:>7.0%} ({pair:.0%})"
            f"{min(stalls):>10.1f} ({float(np.median(stalls)):.0f}) ms{p99:>6.1f}ms{after:>6.0f}ms"
        )
    print("targets: ratio ≥ 80 %, longest stall < 50 ms:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
