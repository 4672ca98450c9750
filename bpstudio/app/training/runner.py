"""Background training: a training job runs on a copy of the session's trainer in a worker thread.

The job (:class:`TrainingJob`) runs in a :class:`~bpstudio.app.training.background.BackgroundTask` and never
touches the session: it trains its own clone of the session's trainer (``Trainer.clone``: network,
state and history copies) and sends immutable :class:`RunUpdate` values. The session is the only
writer of session state; :class:`TrainingRunner` only connects the two:

* ``start`` asks the session to begin a run (``Session.begin_run``: checks, the undo point, the run's
  goal) and starts the job on the clone it returns;
* each update goes to ``Session.apply_run_update`` (history entries, the trainer's state, the trace,
  one notification), then the job waits until the window has shown it (:mod:`.gate`);
* settings changed during the run (``Change.CONFIG``) are handed to the job, which applies them
  between two steps; pausing cancels the job between two steps;
* the job's :class:`RunOutcome` (why it stopped, and its final state) goes to ``Session.end_run``.

A run that diverges (``DivergenceError``) stops with the last finite weights and the engine's message.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from ...engine import (
    DivergenceError,
    EngineError,
    HistoryDelta,
    Snapshot,
    StepTrace,
    TrainConfig,
    Trainer,
    TrainingRefused,
    blas,
)
from ..changes import Change
from .background import BackgroundTask, TaskState
from .gate import ShowGate

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

#: at this many steps per second or fewer, every step's trace is sent (the δ/Δw table animates)
TRACE_SPEED = 25.0
#: how often (seconds) the engine's fast loop calls back to check for pause and new settings
CALLBACK_INTERVAL = 0.01


@dataclass(frozen=True)
class RunUpdate:
    """The job's state at one moment: copies only, owned by the receiver."""

    #: the job trainer's complete state (weights, optimiser state, position), see Trainer.snapshot
    snapshot: Snapshot
    #: the settings it was trained under (the session's may be newer)
    config: TrainConfig
    #: history entries added since the previous update
    history: HistoryDelta
    trace: StepTrace | None = None
    samples_per_second: float = 0.0

    @property
    def epoch(self) -> int:
        return self.snapshot.state.epoch

    @property
    def step_count(self) -> int:
        return self.snapshot.state.step_count


@dataclass(frozen=True)
class RunOutcome:
    """Why a run ended: ``epochs``, ``target``, ``early_stopping``, ``cancelled``, ``diverged``,
    ``refused`` or ``error``; ``message`` explains diverged/refused/error."""

    reason: str
    epochs: int = 0
    steps: int = 0
    message: str = ""
    trace: StepTrace | None = None
    #: the job's final state (None if it never started training)
    final: RunUpdate | None = None
    #: the epoch the run was heading for: a paused run resumes towards it
    goal: int | None = None
    #: time.perf_counter() when the worker stopped training (before the window's final refresh)
    stopped_at: float = 0.0
    #: snapshots sent, and seconds the worker waited while the window showed them
    updates: int = 0
    paused: float = 0.0


class TrainingJob:
    """Trains its own trainer towards a goal; runs in a worker thread and talks through a TaskState.

    ``goal``: the epoch to stop at, or None to train the settings' epoch count from where it starts
    (following a change of that count during the run).
    """

    def __init__(self, trainer: Trainer, goal: int | None, target_loss: float | None, speed: float) -> None:
        self.trainer = trainer
        self.start_epoch = trainer.epoch
        self.goal = goal
        self.target_override = target_loss
        self.speed = float(speed)
        #: seconds between snapshots; the window lengthens it when showing one takes long
        self.update_interval = UPDATE_INTERVAL
        self._lock = threading.Lock()
        self._new_config: TrainConfig | None = None
        self._state: TaskState | None = None
        self.n_updates = 0
        self._last_emit = 0.0
        self._sent = trainer.history.mark()  # how much of the history the window has
        self._last_trace: StepTrace | None = None
        self._rate_time = time.perf_counter()
        self._rate_samples = self._samples_seen()
        self._rate = 0.0

    # ------------------------------------------------------------------ called from the GUI thread
    def set_speed(self, speed: float) -> None:
        self.speed = float(speed)

    def set_config(self, config: TrainConfig) -> None:
        with self._lock:
            self._new_config = config

    # ------------------------------------------------------------------ worker thread
    def __call__(self, state: TaskState) -> RunOutcome:
        self._state = state
        tr = self.trainer
        e0, s0 = tr.epoch, tr.step_count
        reason, message = "epochs", ""
        try:
            reason = self._loop()
        except DivergenceError as exc:
            reason, message = "diverged", str(exc)
        except TrainingRefused as exc:
            reason, message = "refused", str(exc)
        except EngineError as exc:
            reason, message = "error", str(exc)
        except Exception as exc:  # a bug must not leave the window thinking training still runs
            reason, message = "error", f"unexpected error during training: {exc!r}"
        self._apply_config()  # settings handed over at the last moment belong to the final state
        return RunOutcome(
            reason,
            epochs=tr.epoch - e0,
            steps=tr.step_count - s0,
            message=message,
            trace=self._last_trace,
            final=self._update(),
            goal=self._goal(),
            stopped_at=time.perf_counter(),
            updates=self.n_updates,
            paused=state.waited,
        )

    def _goal(self) -> int:
        if self.goal is not None:
            return self.goal
        return self.start_epoch + self.trainer.config.epochs

    def _target(self) -> float | None:
        return self.target_override if self.target_override is not None else self.trainer.config.target_loss

    def _apply_config(self) -> bool:
        with self._lock:
            cfg, self._new_config = self._new_config, None
        if cfg is None:
            return False
        self.trainer.set_config(cfg)
        return True

    def _cancelled(self) -> bool:
        return self._state is not None and self._state.cancelled

    def _callback(self, _progress) -> bool:
        if self._apply_config():
            return False  # restart the fast loop so that a new epoch count or target applies at once
        if self._cancelled() or self.speed > 0:
            return False
        self._maybe_emit()
        return True

    def _loop(self) -> str:
        tr = self.trainer
        tr.check_trainable()
        while True:
            self._apply_config()
            if self._cancelled():
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
                if res.reason == "cancelled" and not self._cancelled():
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
                    tr.state.stop_reason = "target"
                    return "target"
            self._maybe_emit(trace=self.speed <= TRACE_SPEED)
            delay = 1.0 / self.speed - (time.perf_counter() - started) if self.speed > 0 else 0.0
            if delay > 0 and self._state is not None:
                self._state.wait(delay)

    def _samples_seen(self) -> int:
        return self.trainer.epoch * self.trainer.n_train + self.trainer.cursor

    def _update(self) -> RunUpdate:
        """The trainer's state now, and the history entries since the previous update."""
        tr = self.trainer
        h = tr.history
        sent = self._sent
        delta = h.since(sent.steps, sent.epochs, sent.generation)  # all of it after a compaction
        self._sent = h.mark()
        return RunUpdate(tr.snapshot(), tr.config, delta, self._last_trace, self._rate)

    def _maybe_emit(self, trace: bool = False) -> None:
        now = time.perf_counter()
        if not trace and now - self._last_emit < self.update_interval:
            return
        if now - self._rate_time >= 0.25:
            samples = self._samples_seen()
            self._rate = (samples - self._rate_samples) / (now - self._rate_time)
            self._rate_time, self._rate_samples = now, samples
        self.n_updates += 1
        # Wait (without the GIL) while the window shows the snapshot. Widgets call into Python thousands
        # of times while they repaint; each call would wait for the GIL if the worker kept computing,
        # which makes the window stall and training slow. Taking turns keeps both fast.
        assert self._state is not None
        self._state.send(self._update(), wait=True)
        self._last_emit = time.perf_counter()


class TrainingRunner(QObject):
    """Runs training in the background for a :class:`~bpstudio.app.session.Session`."""

    runningChanged = Signal(bool)
    progress = Signal(object)  # RunUpdate, after the session has applied it
    #: the window has shown a snapshot and the worker trains on: seconds from its arrival until now
    snapshotShown = Signal(float)
    finished = Signal(object)  # RunOutcome, after the session has its final state

    def __init__(self, session, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else session)
        self.session = session
        self.speed = 0.0
        self.samples_per_second = 0.0
        self.last_outcome: RunOutcome | None = None
        self._task = BackgroundTask("bpstudio-training", self)
        self._task.partial.connect(self._on_update)
        self._task.finished.connect(self._on_finished)
        self._task.failed.connect(self._on_failed)
        self._job: TrainingJob | None = None
        # tells when the window has shown a snapshot, so that the worker trains on (see .gate)
        self._gate = ShowGate(self)
        self._gate.shown.connect(self._resume_worker)
        self._blas = contextlib.ExitStack()
        session.changed.connect(self._changed)

    @property
    def running(self) -> bool:
        return self._job is not None

    # ------------------------------------------------------------------ control
    def start(self, epochs: int | None = None, target_loss: float | None = None) -> bool:
        """Train in the background for ``epochs`` more epochs (default: the settings' count, or what
        is left of a paused run), stopping early at ``target_loss`` (default: the settings')."""
        if self.running:
            return False
        begun = self.session.begin_run(epochs)
        if begun is None:
            return False
        clone, goal = begun
        job = self._job = TrainingJob(clone, goal, target_loss, self.speed)
        # Hold the engine's BLAS thread setting for the whole run: the engine sets it around each
        # stretch of training, and OpenBLAS must not be reconfigured while another thread (the window,
        # computing a decision boundary) is inside a matrix product.
        self._blas.enter_context(blas.limit(clone.blas_threads()))
        # The history grows by a list per update (gradient norms): a full garbage collection that
        # scans 100,000 of them stops both threads for 50–100 ms. Objects that exist when a run starts
        # or a snapshot arrives are frozen (left out of collections) until the run ends.
        gc.freeze()
        self.runningChanged.emit(True)
        self._task.start(job)
        return True

    def pause(self) -> None:
        """Ask the worker to stop after the current step (the run can be resumed with :meth:`start`)."""
        self._task.cancel()

    def toggle(self) -> None:
        if self.running:
            self.pause()
        else:
            self.start()

    def stop(self, wait: bool = True) -> None:
        """Cancel the run; with ``wait``, block until the worker has stopped and the session is final
        (used when the window closes)."""
        if wait:
            self._task.stop()
        else:
            self._task.cancel()

    def set_speed(self, steps_per_second: float) -> None:
        """Steps per second (0: as fast as possible); takes effect at once, even during a run."""
        self.speed = float(steps_per_second)
        if self._job is not None:
            self._job.set_speed(self.speed)
            self._task.nudge()

    # ------------------------------------------------------------------ session events
    def _changed(self, change: Change) -> None:
        if change & Change.PROJECT:
            self.pause()
        elif change & Change.CONFIG:
            self._forward_config()

    def _forward_config(self) -> None:
        if self._job is not None:
            self._job.set_config(copy.deepcopy(self.session.config))
            self._task.nudge()

    # ------------------------------------------------------------------ job events (GUI thread)
    def _on_update(self, upd: RunUpdate) -> None:
        if self._job is None:
            return
        self.samples_per_second = upd.samples_per_second
        self.session.apply_run_update(upd)
        self.progress.emit(upd)
        # the worker resumes once the window has shown the snapshot (all its repaints and relayouts)
        gc.freeze()
        self._gate.begin()

    def _resume_worker(self, busy: float) -> None:
        """The window has shown the snapshot: let the worker train on; the next snapshot comes later
        if showing this one took long (``busy`` seconds)."""
        if self._job is None:
            return
        self._job.update_interval = min(
            max(UPDATE_INTERVAL, busy * (1.0 / GUI_SHARE - 1.0)), MAX_UPDATE_INTERVAL
        )
        self._task.resume()
        self.snapshotShown.emit(busy)

    def _on_failed(self, exc: BaseException) -> None:  # the job catches everything; a safety net
        self._on_finished(RunOutcome("error", message=f"unexpected error during training: {exc!r}"))

    def _on_finished(self, outcome: RunOutcome) -> None:
        self._job = None
        self._gate.cancel()
        self._blas.close()
        gc.unfreeze()
        self.last_outcome = outcome
        self.session.end_run(outcome, describe(outcome))
        self.runningChanged.emit(False)
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
