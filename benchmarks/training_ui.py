"""Responsiveness of the studio window while a 64-30-10 digits network trains at full speed.

    QT_QPA_PLATFORM=offscreen python benchmarks/training_ui.py      # about three minutes
    BENCH_DEBUG=1 ...   also shows, for every stall over 40 ms, what the window was doing (=25: over 25 ms)
    ... --front walkthrough   the Walkthrough tab in front instead of the δ/Δw table

Two figures, for online updates (1,797 per epoch, 60 epochs) and mini-batches of 10 (400 epochs):

* training throughput in the window (samples/s from Run to the end of the run, everything the window
  does meanwhile included: loss and gradient plots, the canvas, the δ/Δw table, the status line)
  against the headless engine (``Trainer.run`` of as many epochs, in the same process, on the same
  data, just before); the target is ≥ 80 % (the median of the runs' ratios);
* the longest stall of the GUI event loop while the network trains, measured in a second run in the
  window: a QTimer ticks every 5 ms and the longest gap between two ticks is recorded (minus the 5 ms
  period), up to the moment the worker stops; the target is < 50 ms in every run. Each stall is put in
  a phase: *first snapshot* (from Run until the second snapshot arrives: the window reacting to Run
  and drawing the first data), *steady* (the rest of the run) and *end* (after the worker stopped: the
  window showing the final state; not part of the training, reported separately).

Why two runs: the probe's tick calls into Python 200 times a second, and each call takes the GIL from
the training thread; on the 2-CPU development machine that alone costs the training thread 15–25 %
(measured with a bare thread training while a 5 ms tick runs: 0.77× its speed without; a 10 ms tick
0.85×, 20 ms 0.95×). The window does nothing of the kind between two snapshots, so throughput is
measured without the probe; the probed run's own ratio is printed too.

The window is the real MainWindow with its default docks (the Decision Boundary tab is behind the
Gradients tab: digits has 64 inputs; the Walkthrough tab is behind the δ/Δw table, and is rebuilt
when its tab is chosen: with ``--front walkthrough`` it is in front instead of the table, and its
rebuild when the run ends is part of the end phase), on the shipped ``digits`` dataset (min–max
scaled), a sigmoid hidden layer, softmax output, cross-entropy and SGD. The machine may be shared and
its speed varies by ±15 % from run to run, so headless and window runs are interleaved and repeated,
every run is listed with the load average when it started, and a summary table (Markdown, for
docs/benchmarks.md) ends the output.

With ``BENCH_DEBUG=1`` an application event filter logs the start of every event the window handles
(receiver, type, the panel it belongs to); for every stall over 40 ms the script prints the events that
took the longest inside it (a paint of the loss plot, the runner's queued call that shows a snapshot or
ends the run, a timer that runs a frame-scheduler job, named after the job...). (A stack-sampling
watchdog through ``faulthandler.dump_traceback_later`` was tried: it reads the other threads' frames
without the GIL and crashed the interpreter now and then.)
"""

from __future__ import annotations

import argparse
import bisect
import os
import platform
import sys
import time
from dataclasses import dataclass, field

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BPSTUDIO_NO_RESTORE", "1")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bpstudio.engine import Network, TrainConfig  # noqa: E402
from bpstudio.workspace import load_example, trainer_for  # noqa: E402

TICK_MS = 5
#: the target: no stall of the event loop this long while the network trains
STALL_TARGET_MS = 50.0
#: BENCH_DEBUG: stalls longer than this are explained by the events handled during them
#: (BENCH_DEBUG=25 sets another threshold, in ms)
DEBUG_MS = 40.0
PHASES = ("first snapshot", "steady", "end")


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


@dataclass
class Stall:
    ms: float
    at: float  # seconds after Run
    phase: str
    detail: str = ""  # BENCH_DEBUG: the events that took longest


@dataclass
class GuiRun:
    rate: float  # samples/s from Run to the worker's end, in the run with the 5 ms probe
    load: float  # 1-minute load average when the run started
    snapshots: int
    paused: float  # seconds the worker waited while the window showed snapshots
    training: float  # seconds from Run until the worker stopped
    longest: dict[str, Stall] = field(default_factory=dict)  # phase → its longest stall
    p99: float = 0.0  # 99th percentile of the gaps while training (ms)
    big: list[Stall] = field(default_factory=list)  # BENCH_DEBUG: every stall over DEBUG_MS

    @property
    def stall(self) -> Stall:
        """The longest stall while the network trained (first snapshot or steady)."""
        return max((self.longest[p] for p in PHASES[:2]), key=lambda s: s.ms)


class EventLog(QObject):
    """BENCH_DEBUG: the start time, receiver and type of every event the GUI thread handles; the time
    from one event's start to the next is what that event (or the code it ran) took."""

    NAMES = {
        QEvent.Type.Paint: "paint",
        QEvent.Type.UpdateRequest: "update request",
        QEvent.Type.MetaCall: "queued call",
        QEvent.Type.Timer: "timer",
        QEvent.Type.LayoutRequest: "relayout",
    }

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[float, str]] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = self.NAMES.get(event.type())
        if kind is not None:
            self.events.append((time.perf_counter(), f"{kind} → {_describe(obj)}{_job(obj, event)}"))
        return False

    def explain(self, start: float, end: float, top: int = 4) -> str:
        """The events that took longest between ``start`` and ``end``."""
        times = [t for t, _ in self.events]
        i = max(bisect.bisect_right(times, start) - 1, 0)
        j = bisect.bisect_left(times, end)
        spans = []
        for k in range(i, j):
            t, what = self.events[k]
            nxt = times[k + 1] if k + 1 < len(times) else end
            spans.append(((min(nxt, end) - max(t, start)) * 1000, what))
        spans.sort(reverse=True)
        return "; ".join(f"{what} {ms:.0f} ms" for ms, what in spans[:top] if ms >= 1)


def _job(obj: QObject, event: QEvent) -> str:
    """For the frame scheduler's timer: the job it is about to run (which panel refreshes)."""
    from bpstudio.app.plots.common import FrameScheduler

    scheduler = obj.parent()
    if event.type() != QEvent.Type.Timer or not isinstance(scheduler, FrameScheduler):
        return ""
    if not scheduler.pending:
        return ""
    fn = scheduler.pending[0][1]
    return f" ({getattr(fn, '__qualname__', type(fn).__name__)})"


def _describe(obj: QObject) -> str:
    """A receiver's class and the panel (or window part) it belongs to, else its parent's class."""
    name = type(obj).__name__
    o = obj.parent()
    while o is not None:
        cls = type(o).__name__
        if cls.endswith(("Panel", "View", "Legend")) or cls == "MainWindow":
            return f"{name} in {cls}"
        o = o.parent()
    parent = obj.parent()
    return name if parent is None else f"{name} of {type(parent).__name__}"


def open_window(batch_mode: str, front: str = "table"):
    """The studio window on the digits project, shown and settled; its default docks in front, or the
    Walkthrough instead of the δ/Δw table (``front="walkthrough"``, the tab beside it)."""
    from bpstudio.app.main_window import MainWindow
    from bpstudio.app.session import Session

    session = Session(digits_project(batch_mode))
    window = MainWindow(session)
    window.resize(1600, 1000)
    window.show()
    ws = window.training
    for dock in ("loss", "gradients", "table"):
        ws.docks[dock].raise_()
    if front == "walkthrough":
        window.teaching.walkthrough_dock.raise_()
    settle = QEventLoop()  # let the window finish showing itself before the run starts
    QTimer.singleShot(700, settle.quit)
    settle.exec()
    return window


def close_window(window) -> None:
    window.session.undo_stack.setClean()
    window.session._trained_since_save = False
    window.close()
    window.deleteLater()
    QApplication.instance().processEvents()


def train_in_window(window, epochs: int, before_start=None) -> tuple[float, float]:
    """Run ``epochs`` epochs in the window; (Run time, time the worker's end was seen), perf_counter."""
    loop = QEventLoop()
    done: list[float] = []

    def finished(_outcome) -> None:
        done.append(time.perf_counter())
        QTimer.singleShot(500, loop.quit)  # the window's staggered final refresh, also measured

    runner = window.training.runner
    runner.finished.connect(finished)
    if before_start is not None:
        before_start()
    t0 = time.perf_counter()
    runner.start(epochs=epochs)
    loop.exec()
    outcome = runner.last_outcome
    assert outcome is not None and outcome.reason == "epochs", outcome
    return t0, done[0]


def window_rate(batch_mode: str, epochs: int, front: str = "table") -> float:
    """Samples per second of a run in the window, nothing else running in the GUI thread."""
    window = open_window(batch_mode, front)
    t0, end = train_in_window(window, epochs)
    rate = epochs * window.session.trainer.n_train / (end - t0)
    close_window(window)
    return rate


def gui_run(batch_mode: str, epochs: int, debug: float = 0.0, front: str = "table") -> GuiRun:
    """One run in the window with the 5 ms probe: the event loop's stalls by phase; with ``debug`` > 0,
    what the window did in every stall longer than ``debug`` ms."""
    window = open_window(batch_mode, front)
    app = QApplication.instance()
    log = EventLog() if debug else None
    if log is not None:
        app.installEventFilter(log)
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    stamps: list[float] = []
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    arrivals: list[float] = []
    runner = window.training.runner
    runner.progress.connect(lambda _u: arrivals.append(time.perf_counter()))
    load = os.getloadavg()[0]

    def start_probe() -> None:
        timer.start()
        stamps.append(time.perf_counter())

    t0, end = train_in_window(window, epochs, start_probe)
    timer.stop()
    if log is not None:
        app.removeEventFilter(log)
    outcome = runner.last_outcome
    stop = outcome.stopped_at
    second = arrivals[1] if len(arrivals) > 1 else stop
    t = np.array(stamps)
    starts, gaps = t[:-1], (t[1:] - t[:-1]) * 1000 - TICK_MS
    # while training, a gap is cut at the moment the worker stopped; the rest of it belongs to the end
    cut = (np.minimum(t[1:], stop) - starts) * 1000 - TICK_MS
    phase = np.where(starts >= stop, 2, np.where(starts >= second, 1, 0))
    run = GuiRun(
        rate=epochs * window.session.trainer.n_train / (end - t0),
        load=load,
        snapshots=outcome.updates,
        paused=outcome.paused,
        training=stop - t0,
    )
    during = cut[phase < 2]
    run.p99 = float(np.percentile(during, 99)) if during.size else 0.0
    for k, name in enumerate(PHASES):
        values = np.where(phase == k, gaps if k == 2 else cut, -np.inf)
        i = int(np.argmax(values))
        if np.isfinite(values[i]):
            run.longest[name] = Stall(max(float(values[i]), 0.0), float(starts[i] - t0), name)
        else:
            run.longest[name] = Stall(0.0, 0.0, name)
    if log is not None:
        for k in np.nonzero(gaps > debug)[0]:
            mostly_after = t[k + 1] - stop > stop - starts[k]
            where = PHASES[2] if mostly_after else PHASES[int(phase[k])]
            detail = log.explain(float(starts[k]), float(t[k + 1]))
            run.big.append(Stall(float(gaps[k]), float(starts[k] - t0), where, detail))
    close_window(window)
    return run


def debug_threshold(flag: str) -> float:
    """BENCH_DEBUG: unset → 0 (off); a number of ms over 1 → that threshold; anything else → DEBUG_MS."""
    if not flag:
        return 0.0
    try:
        value = float(flag)
    except ValueError:
        return DEBUG_MS
    return value if value > 1 else DEBUG_MS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="repetitions of each measurement")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the epoch counts (longer runs)")
    p.add_argument("--modes", default="online,minibatch", help="online, minibatch or both")
    p.add_argument(
        "--front",
        choices=("table", "walkthrough"),
        default="table",
        help="the tab in front beside the canvas: the δ/Δw table (default) or the Walkthrough, whose "
        "rebuild when a run ends then counts in the end phase",
    )
    args = p.parse_args(argv)
    debug = debug_threshold(os.environ.get("BENCH_DEBUG", ""))
    QApplication.instance() or QApplication(sys.argv[:1])
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Qt platform {os.environ['QT_QPA_PLATFORM']}, {args.front} tab in front"
    )
    cases = {"online": ("online", 60), "minibatch": ("batch of 10", 400)}
    summary: list[tuple[str, list[float], list[float], list[GuiRun]]] = []
    print(
        f"{'run':<16}{'load':>5}{'headless':>11}{'window':>11}{'ratio':>7}{'probed':>8}{'stall':>8}  "
        f"{'in phase':<15}{'at':>6}{'p99':>6}{'1st snap':>9}{'steady':>8}{'end':>6}{'snaps':>6}{'waited':>7}"
    )
    for mode in args.modes.split(","):
        label, epochs = cases[mode]
        epochs = max(1, int(epochs * args.scale))
        heads: list[float] = []
        rates: list[float] = []
        runs: list[GuiRun] = []
        for r in range(args.repeat):  # interleaved, so that all three see the same machine load
            heads.append(headless_rate(mode, epochs))
            rates.append(window_rate(mode, epochs, args.front))
            run = gui_run(mode, epochs, debug, args.front)
            runs.append(run)
            s = run.stall
            print(
                f"{label + ' #' + str(r + 1):<16}{run.load:>5.1f}{heads[-1]:>9,.0f}/s{rates[-1]:>9,.0f}/s"
                f"{rates[-1] / heads[-1]:>7.0%}{run.rate / heads[-1]:>8.0%}{s.ms:>5.0f} ms  {s.phase:<15}"
                f"{s.at:>5.2f}s{run.p99:>4.0f}ms{run.longest['first snapshot'].ms:>6.0f} ms"
                f"{run.longest['steady'].ms:>5.0f} ms{run.longest['end'].ms:>3.0f}ms"
                f"{run.snapshots:>6}{run.paused:>6.2f}s",
                flush=True,
            )
            for big in run.big:
                print(f"    stall {big.ms:.0f} ms at {big.at:.2f} s ({big.phase}): {big.detail}")
        summary.append((label, heads, rates, runs))
    print(
        "(ratio: window / headless, without the probe; probed: the same for the run with the 5 ms probe, "
        "which measures the stalls; waited: seconds the worker waited while the window showed snapshots)"
    )

    ok = True
    print("\nSummary (paste into docs/benchmarks.md):\n")
    print(
        "| updates | runs | load | headless | in the window | ratio: median (worst) | longest stall while "
        "training: worst run (median) | in phase | p99 gap | end of run: worst (median) | target |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---|---:|---:|---|")
    for label, heads, rates, runs in summary:
        ratios = [r / h for r, h in zip(rates, heads)]
        stalls = [r.stall for r in runs]
        worst = max(stalls, key=lambda s: s.ms)
        ends = [r.longest["end"].ms for r in runs]
        loads = [r.load for r in runs]
        ratio = float(np.median(ratios))
        met = ratio >= 0.8 and worst.ms < STALL_TARGET_MS
        ok = ok and met
        print(
            f"| {label} | {len(runs)} | {min(loads):.1f}–{max(loads):.1f} | {float(np.median(heads)):,.0f}/s "
            f"| {float(np.median(rates)):,.0f}/s | {ratio:.0%} ({min(ratios):.0%}) "
            f"| {worst.ms:.0f} ms ({float(np.median([s.ms for s in stalls])):.0f} ms) | {worst.phase} "
            f"| {float(np.median([r.p99 for r in runs])):.0f} ms "
            f"| {max(ends):.0f} ms ({float(np.median(ends)):.0f} ms) "
            f"| ≥ 80 %, < 50 ms every run {'✓' if met else '✗'} |"
        )
    print("\n(headless and in the window: medians; load: 1-minute load average at the start of the runs)")
    print("targets (median ratio ≥ 80 %, every run's longest stall < 50 ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
