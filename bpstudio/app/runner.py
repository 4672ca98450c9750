"""Background training: a worker thread owns a private copy of the trainer while a run lasts.

Orange3 style: :class:`TrainingRunner` (GUI thread) starts a :class:`RunWorker` on a ``QThread``. The
worker trains its *own* clone of the session's trainer (network, optimiser state, position, history),
so the engine and the GUI never touch the same arrays:

* the worker sends throttled :class:`RunUpdate` snapshots (a ``Trainer.snapshot`` copy of its state
  and the history entries added since the previous one) through a queued signal; the runner restores
  them into the session's trainer and emits the session's usual signals, so every widget refreshes as
  if a step had been taken, and saving during a run writes a consistent state;
* settings changed during the run (``Session.configChanged``) are handed to the worker, which applies
  them between two steps;
* pausing sets a cancel flag that the worker checks between steps (``Trainer.run`` calls its callback
  at most every ``interval`` seconds and stops when it returns False);
* when the worker has finished, the runner copies the clone's complete state back into the session's
  trainer (``Trainer.snapshot``/``restore``), so stepping, undo and saving continue exactly from there.

A run that diverges (``DivergenceError``) stops with the last finite weights and the engine's message.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..engine import (
    DivergenceError,
    EngineError,
    History,
    Snapshot,
    StepTrace,
    TrainConfig,
    Trainer,
    TrainingRefused,
    blas,
)
from ..engine.history import SPLITS
from .runner_gate import ShowGate

#: (label, steps per second); 0 means as fast as possible (the engine's fast loop, no traces)
SPEEDS: list[tuple[str, float]] = [
    ("1 step/s", 1.0),
    ("2 steps/s", 2.0),
    ("5 steps/s", 5.0),
    ("10 steps/s", 10.0),
    ("25 steps/s", 25.0),
    ("100 steps/s", 100.0),
    ("1000 steps/s", 1000.0),
    ("Full speed", 0.0),
]
#: seconds between two snapshots sent to the GUI (at most ~15 refreshes a second)
UPDATE_INTERVAL = 1.0 / 15.0
#: the longest the worker waits between two snapshots when the GUI is slow to show them
MAX_UPDATE_INTERVAL = 2.0
#: the share of the time the GUI may spend showing snapshots; the update interval adapts to it
GUI_SHARE = 0.07
#: the longest the worker waits for the GUI to finish showing a snapshot (a safety net)
RESUME_TIMEOUT = 2.0

#: at this many steps per second or fewer, every step's trace is sent (the δ/Δw table animates)
TRACE_SPEED = 25.0
#: how often (seconds) the engine's fast loop calls back to check for pause and new settings
CALLBACK_INTERVAL = 0.01


@dataclass
class RunUpdate:
    """A snapshot sent by the worker: copies only, owned by the receiver."""

    #: the worker trainer's complete state (weights, optimiser state, position), see Trainer.snapshot
    snapshot: Snapshot
    #: history entries added since the previous update, and the history lengths before them
    n_steps_before: int
    n_epochs_before: int
    step_loss: list[float]
    grad_norms: list[list[float]]
    epochs: list[int]
    loss: dict[str, list[float | None]]
    accuracy: dict[str, list[float | None]]
    trace: StepTrace | None = None
    samples_per_second: float = 0.0
    #: the worker that sent it (updates from an earlier run are ignored)
    source: object = None

    @property
    def epoch(self) -> int:
        return self.snapshot.epoch

    @property
    def step_count(self) -> int:
        return self.snapshot.step_count


@dataclass
class RunOutcome:
    """Why a run ended: ``epochs``, ``target``, ``early_stopping``, ``cancelled``, ``diverged``,
    ``refused`` or ``error``; ``message`` explains diverged/refused/error."""

    reason: str
    epochs: int = 0
    steps: int = 0
    message: str = ""
    trace: StepTrace | None = None
    #: time.perf_counter() when the worker stopped training (before the window's final refresh)
    stopped_at: float = 0.0
    #: snapshots sent, and seconds the worker waited while the window showed them
    updates: int = 0
    paused: float = 0.0


def copy_history(h: History) -> History:
    """An independent copy of a history (the per-step gradient-norm lists are never mutated)."""
    out = History()
    out.step_loss = list(h.step_loss)
    out.grad_norms = list(h.grad_norms)
    out.epochs = list(h.epochs)
    out.loss = {s: list(h.loss[s]) for s in SPLITS}
    out.accuracy = {s: list(h.accuracy[s]) for s in SPLITS}
    out.thinned = h.thinned
    return out


def assign_history(dst: History, src: History) -> None:
    """Make ``dst`` equal to ``src`` in place (widgets keep their reference to ``dst``)."""
    dst.step_loss[:] = src.step_loss
    dst.grad_norms[:] = src.grad_norms
    dst.epochs[:] = src.epochs
    for s in SPLITS:
        dst.loss[s][:] = src.loss[s]
        dst.accuracy[s][:] = src.accuracy[s]
    dst.thinned = src.thinned


def clone_trainer(trainer: Trainer) -> Trainer:
    """A trainer that shares only read-only data (X, T, splits) with ``trainer``: its own network,
    optimiser state, epoch position and history. Both draw the same sample order for every epoch (it
    follows from the seed and the epoch number, see ``bpstudio.engine.progress``)."""
    clone = copy.copy(trainer)
    clone.network = trainer.network.copy()
    clone.history = copy_history(trainer.history)
    clone.restore(trainer.snapshot())
    return clone


def copy_back(trainer: Trainer, clone: Trainer) -> None:
    """Put everything the clone changed back into ``trainer`` (its network object is kept)."""
    assign_history(trainer.history, clone.history)
    trainer.config = clone.config
    trainer.hyper = clone.hyper
    trainer.restore(clone.snapshot())


class RunWorker(QObject):
    """Trains a cloned trainer in a worker thread; talks to the GUI only through signals and flags."""

    update = Signal(object)  # RunUpdate
    finished = Signal(object)  # RunOutcome

    def __init__(
        self,
        trainer: Trainer,
        goal: int | None,
        epochs: int | None,
        target_loss: float | None,
        speed: float,
    ) -> None:
        super().__init__()
        self.trainer = trainer
        self.start_epoch = trainer.epoch
        #: fixed epoch to stop at, or None to follow the settings' epoch count (which may change)
        self.goal = goal
        self.epochs = epochs
        self.target_override = target_loss
        self.speed = float(speed)
        self.outcome: RunOutcome | None = None
        self._cancel = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._new_config: TrainConfig | None = None
        self._resume = threading.Event()
        self._resume.set()
        self.n_updates = 0
        self.paused = 0.0
        #: seconds between snapshots; the GUI lengthens it when showing one takes long
        self.update_interval = UPDATE_INTERVAL
        self._last_emit = 0.0
        self._sent_steps = len(trainer.history.step_loss)
        self._sent_epochs = len(trainer.history.epochs)
        self._last_trace: StepTrace | None = None
        self._rate_time = time.perf_counter()
        self._rate_samples = self._samples_seen()
        self._rate = 0.0

    # ------------------------------------------------------------------ called from the GUI thread
    def cancel(self) -> None:
        self._cancel.set()
        self._wake.set()
        self._resume.set()

    def set_speed(self, speed: float) -> None:
        self.speed = float(speed)
        self._wake.set()

    def set_config(self, config: TrainConfig) -> None:
        with self._lock:
            self._new_config = config
        self._wake.set()

    def pending_config(self) -> TrainConfig | None:
        """A configuration handed over but not yet applied (read after the thread has finished)."""
        with self._lock:
            return self._new_config

    def resume(self, update_interval: float | None = None) -> None:
        """The GUI has shown the last snapshot and is idle again: train on (see :meth:`_maybe_emit`)."""
        if update_interval is not None:
            self.update_interval = update_interval
        self._resume.set()

    # ------------------------------------------------------------------ worker thread
    @Slot()
    def run(self) -> None:
        tr = self.trainer
        e0, s0 = tr.epoch, tr.step_count
        try:
            reason = self._loop()
            outcome = RunOutcome(reason)
        except DivergenceError as exc:
            outcome = RunOutcome("diverged", message=str(exc))
        except TrainingRefused as exc:
            outcome = RunOutcome("refused", message=str(exc))
        except EngineError as exc:
            outcome = RunOutcome("error", message=str(exc))
        except Exception as exc:  # a bug must not leave the GUI thinking training still runs
            outcome = RunOutcome("error", message=f"unexpected error during training: {exc!r}")
        outcome.epochs = tr.epoch - e0
        outcome.steps = tr.step_count - s0
        outcome.trace = self._last_trace
        outcome.stopped_at = time.perf_counter()
        outcome.updates, outcome.paused = self.n_updates, self.paused
        self.outcome = outcome
        self.finished.emit(outcome)

    def _goal(self) -> int:
        if self.goal is not None:
            return self.goal
        epochs = self.epochs if self.epochs is not None else self.trainer.config.epochs
        return self.start_epoch + epochs

    def _target(self) -> float | None:
        return self.target_override if self.target_override is not None else self.trainer.config.target_loss

    def _apply_config(self) -> bool:
        with self._lock:
            cfg, self._new_config = self._new_config, None
        if cfg is None:
            return False
        self.trainer.set_config(cfg)
        return True

    def _callback(self, _progress) -> bool:
        if self._apply_config():
            return False  # restart the fast loop so that a new epoch count or target applies at once
        if self._cancel.is_set() or self.speed > 0:
            return False
        self._maybe_emit()
        return True

    def _loop(self) -> str:
        tr = self.trainer
        tr.check_trainable()
        while True:
            self._apply_config()
            if self._cancel.is_set():
                return "cancelled"
            goal = self._goal()
            if tr.epoch >= goal:
                return "epochs"
            if self.speed <= 0:
                self._last_trace = None  # the fast loop keeps no traces
                res = tr.run(
                    epochs=goal - tr.epoch,
                    callback=self._callback,
                    target_loss=self._target(),
                    interval=CALLBACK_INTERVAL,
                )
                if res.reason == "cancelled" and not self._cancel.is_set():
                    continue  # new settings or a new speed: go round again
                if res.reason == "epochs" and tr.epoch < self._goal():
                    continue  # the epoch count was raised meanwhile
                return res.reason
            started = time.perf_counter()
            epoch_before = tr.epoch
            self._last_trace = tr.step_batch()
            if tr.epoch != epoch_before:
                if tr.stop_reason == "early_stopping":
                    return "early_stopping"
                loss = tr.history.loss["train"][-1] if tr.history.loss["train"] else None
                target = self._target()
                if target is not None and loss is not None and loss <= target:
                    tr.stop_reason = "target"
                    return "target"
            self._maybe_emit(trace=self.speed <= TRACE_SPEED)
            delay = 1.0 / self.speed - (time.perf_counter() - started) if self.speed > 0 else 0.0
            if delay > 0:
                self._wake.wait(delay)
                self._wake.clear()

    def _samples_seen(self) -> int:
        return self.trainer.epoch * self.trainer.n_train + self.trainer.cursor

    def _maybe_emit(self, trace: bool = False) -> None:
        now = time.perf_counter()
        if not trace and now - self._last_emit < self.update_interval:
            return
        tr = self.trainer
        if now - self._rate_time >= 0.25:
            samples = self._samples_seen()
            self._rate = (samples - self._rate_samples) / (now - self._rate_time)
            self._rate_time, self._rate_samples = now, samples
        h = tr.history
        ns, ne = len(h.step_loss), len(h.epochs)
        s0, e0 = self._sent_steps, self._sent_epochs
        upd = RunUpdate(
            snapshot=tr.snapshot(),
            n_steps_before=s0,
            n_epochs_before=e0,
            step_loss=h.step_loss[s0:ns],
            grad_norms=h.grad_norms[s0:ns],
            epochs=h.epochs[e0:ne],
            loss={s: h.loss[s][e0:ne] for s in SPLITS},
            accuracy={s: h.accuracy[s][e0:ne] for s in SPLITS},
            trace=self._last_trace,
            samples_per_second=self._rate,
            source=self,
        )
        self._sent_steps, self._sent_epochs = ns, ne
        self._resume.clear()
        self.n_updates += 1
        self.update.emit(upd)
        # Wait (without the GIL) while the GUI shows the snapshot. Widgets call into Python thousands
        # of times while they repaint; each call would wait for the GIL if the worker kept computing,
        # which makes the window stall and training slow. Taking turns keeps both fast.
        self._resume.wait(RESUME_TIMEOUT)
        self._last_emit = time.perf_counter()
        self.paused += self._last_emit - now


class TrainingRunner(QObject):
    """Runs training in the background for a :class:`~bpstudio.app.session.Session`."""

    runningChanged = Signal(bool)
    progress = Signal(object)  # RunUpdate, after the session has been updated
    #: the window has shown a snapshot and the worker trains on: seconds from its arrival until now
    snapshotShown = Signal(float)
    finished = Signal(object)  # RunOutcome, after the session has its final state

    def __init__(self, session, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else session)
        self.session = session
        self.speed = 0.0
        self.samples_per_second = 0.0
        self.last_outcome: RunOutcome | None = None
        self._thread: QThread | None = None
        self._worker: RunWorker | None = None
        # tells when the window has shown a snapshot, so that the worker trains on (see runner_gate)
        self._gate = ShowGate(self)
        self._gate.shown.connect(self._resume_worker)
        self._blas = contextlib.ExitStack()
        self._trainer: Trainer | None = None
        self._goal: int | None = None
        session.configChanged.connect(self._forward_config)
        session.projectChanged.connect(self._project_replaced)
        session.structureChanged.connect(self._forget_goal)
        session.datasetChanged.connect(self._forget_goal)

    @property
    def running(self) -> bool:
        return self._worker is not None

    # ------------------------------------------------------------------ control
    def start(self, epochs: int | None = None, target_loss: float | None = None) -> bool:
        """Train in the background for ``epochs`` more epochs (default: the settings' count, or what
        is left of a paused run), stopping early at ``target_loss`` (default: the settings')."""
        s = self.session
        if self.running:
            return False
        if s.trainer is None:
            s.errorOccurred.emit("Cannot train", s.trainer_problem or "there is no dataset")
            return False
        if s.micro is not None and s.step_batch() is None:  # finish the micro-step in progress
            return False
        tr = s.trainer
        try:
            tr.check_trainable()
        except TrainingRefused as exc:
            s.errorOccurred.emit("Cannot train", str(exc))
            return False
        goal = None
        if epochs is not None:
            goal = tr.epoch + int(epochs)
        elif self._goal is not None and tr.epoch < self._goal:
            goal = self._goal  # resume a paused run
        s._push_step_undo()  # "Undo step" after a run goes back to before the run
        if s.trace is not None:  # the last step's numbers no longer describe the network
            s.trace = None
            s.traceChanged.emit(None)
            s.stageChanged.emit("")
        worker = RunWorker(clone_trainer(tr), goal, None, target_loss, self.speed)
        if goal is None:
            self._goal = worker._goal()
        else:
            self._goal = goal
        # Hold the engine's BLAS thread setting for the whole run: the engine sets it around each
        # stretch of training, and OpenBLAS must not be reconfigured while another thread (the window,
        # computing a decision boundary) is inside a matrix product.
        self._blas.enter_context(blas.limit(tr.blas_threads()))
        # The history grows by a list per update (gradient norms): a full garbage collection that
        # scans 100,000 of them stops both threads for 50–100 ms. Objects that exist when a run starts
        # or a snapshot arrives are frozen (left out of collections) until the run ends.
        gc.freeze()
        thread = QThread(self)
        thread.setObjectName("bpstudio-training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.update.connect(self._on_update)
        worker.finished.connect(self._on_finished)
        self._thread, self._worker, self._trainer = thread, worker, tr
        s.set_running(True)
        self.runningChanged.emit(True)
        s.statusMessage.emit("Training…")
        thread.start()
        return True

    def pause(self) -> None:
        """Ask the worker to stop after the current step (the run can be resumed with :meth:`start`)."""
        if self._worker is not None:
            self._worker.cancel()

    def toggle(self) -> None:
        if self.running:
            self.pause()
        else:
            self.start()

    def stop(self, wait: bool = True) -> None:
        """Cancel the run; with ``wait``, block until the worker has stopped and the session is final
        (used when the window closes)."""
        worker, thread = self._worker, self._thread
        if worker is None or thread is None:
            return
        worker.cancel()
        if wait:
            thread.quit()
            thread.wait()
            if self._worker is worker and worker.outcome is not None:
                self._finish(worker, worker.outcome)

    def set_speed(self, steps_per_second: float) -> None:
        """Steps per second (0: as fast as possible); takes effect at once, even during a run."""
        self.speed = float(steps_per_second)
        if self._worker is not None:
            self._worker.set_speed(self.speed)

    # ------------------------------------------------------------------ session events
    def _forward_config(self) -> None:
        if self._worker is not None:
            self._worker.set_config(copy.deepcopy(self.session.config))

    def _project_replaced(self) -> None:
        self._goal = None
        if self._worker is not None:
            self._worker.cancel()

    def _forget_goal(self) -> None:
        self._goal = None

    # ------------------------------------------------------------------ worker events (GUI thread)
    @Slot(object)
    def _on_update(self, upd: RunUpdate) -> None:
        worker = self._worker
        if worker is None or upd.source is not worker:
            return
        s = self.session
        tr = self._trainer
        if tr is not None and s.trainer is tr:
            h = tr.history
            if len(h.step_loss) == upd.n_steps_before and len(h.epochs) == upd.n_epochs_before:
                h.step_loss.extend(upd.step_loss)
                h.grad_norms.extend(upd.grad_norms)
                h.epochs.extend(upd.epochs)
                for sp in SPLITS:
                    h.loss[sp].extend(upd.loss[sp])
                    h.accuracy[sp].extend(upd.accuracy[sp])
                # the GUI's trainer becomes a consistent copy of the worker's at this moment, so that
                # saving during a run writes matching weights, optimiser state and history
                tr.restore(upd.snapshot)
            self.samples_per_second = upd.samples_per_second
            if upd.trace is not None:
                s.trace = upd.trace
            s.valuesChanged.emit()
            s.historyChanged.emit()
            if upd.trace is not None:
                s.traceChanged.emit(upd.trace)
            self.progress.emit(upd)
        # the worker resumes once the window has shown the snapshot (all its repaints and relayouts)
        gc.freeze()
        self._gate.begin()

    def _resume_worker(self, busy: float) -> None:
        """The window has shown the snapshot: let the worker train on; the next snapshot comes later
        if showing this one took long (``busy`` seconds)."""
        if self._worker is None:
            return
        interval = min(max(UPDATE_INTERVAL, busy * (1.0 / GUI_SHARE - 1.0)), MAX_UPDATE_INTERVAL)
        self._worker.resume(interval)
        self.snapshotShown.emit(busy)

    @Slot(object)
    def _on_finished(self, outcome: RunOutcome) -> None:
        worker = self._worker
        if worker is None or worker.outcome is not outcome:
            return
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self._finish(worker, outcome)

    def _finish(self, worker: RunWorker, outcome: RunOutcome) -> None:
        s = self.session
        tr = self._trainer
        thread = self._thread
        self._worker = self._thread = self._trainer = None
        self._gate.cancel()
        self._blas.close()
        gc.unfreeze()
        if thread is not None:
            thread.deleteLater()
        self.last_outcome = outcome
        same = tr is not None and s.trainer is tr
        if same:
            copy_back(tr, worker.trainer)
            pending = worker.pending_config()
            if pending is not None:
                tr.set_config(pending)
            s.trace = outcome.trace  # the last traced step, or None after the fast loop
        if outcome.reason in ("epochs", "target", "early_stopping", "refused", "error", "diverged"):
            self._goal = None
        if same:
            # emitted while the session still says "running", so that the panels refresh one per
            # turn of the event loop (FrameScheduler) instead of all at once: no long stall at the end
            s._after_update()
            s.traceChanged.emit(s.trace)
            s.stageChanged.emit("")
        s.set_running(False)
        self.runningChanged.emit(False)
        s.statusMessage.emit(describe(outcome))
        if outcome.reason == "diverged":
            s.errorOccurred.emit("Training diverged", outcome.message)
        elif outcome.reason in ("refused", "error"):
            s.errorOccurred.emit("Training stopped", outcome.message)
        self.finished.emit(outcome)


def describe(outcome: RunOutcome) -> str:
    """A one-line status message for the end of a run."""
    done = f"{outcome.epochs} epoch{'s' if outcome.epochs != 1 else ''} ({outcome.steps} updates)"
    why = {
        "epochs": "reached the epoch count",
        "target": "the training loss reached the target",
        "early_stopping": "early stopping: the validation loss stopped improving (best weights restored)",
        "cancelled": "paused",
        "diverged": "diverged: the last finite weights were kept",
        "refused": "cannot train",
        "error": "stopped by an error",
    }.get(outcome.reason, outcome.reason)
    return f"Trained {done}: {why}."
