"""The one mutable training state of a trainer, and the undo snapshot that copies it.

A :class:`~bpstudio.engine.training.Trainer` keeps everything that training changes, apart from the
network's parameters and the history, in one :class:`TrainerState`:

* ``opt_state`` — the optimiser's state (velocities, moments, the update count t);
* ``epoch`` — epochs completed, ``step_count`` — updates applied, ``stop_reason`` — why the last run
  stopped early (``"early_stopping"``, ``"target"``) or None;
* ``order_seed`` and ``order`` — the current epoch's sample order (:func:`.progress.epoch_order`) and
  ``cursor`` — how many samples of it have been processed;
* ``batch`` — a mini-batch begun sample by sample (:class:`.progress.PendingBatch`), or None;
* ``best`` — early stopping's memory (:class:`.progress.BestWeights`), or None.

The other views of it are derived, never kept beside it:

* an undo :class:`Snapshot` is the parameters plus :meth:`TrainerState.copy` plus a
  :class:`~.history.HistoryMark` (how long the history was);
* the project file's :class:`~.progress.TrainingProgress` is :meth:`TrainerState.progress`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .history import HistoryMark
from .optimisers import State, copy_state
from .progress import BestWeights, PendingBatch, TrainingProgress, epoch_order

__all__ = ["Snapshot", "TrainerState"]


@dataclass
class TrainerState:
    """Where training stands (see the module docstring). Owned and changed by one trainer only."""

    opt_state: State
    order: np.ndarray
    order_seed: int | None = None
    epoch: int = 0
    step_count: int = 0
    cursor: int = 0
    batch: PendingBatch | None = None
    best: BestWeights | None = None
    stop_reason: str | None = None

    @classmethod
    def start(cls, opt_state: State, n_train: int, seed: int | None, epoch: int = 0) -> TrainerState:
        """The state at the start of epoch ``epoch + 1``: its order drawn from ``seed``, nothing begun."""
        return cls(
            opt_state=opt_state, order=epoch_order(n_train, epoch + 1, seed), order_seed=seed, epoch=epoch
        )

    def copy(self) -> TrainerState:
        """An independent deep copy (arrays copied)."""
        return TrainerState(
            opt_state=copy_state(self.opt_state),
            order=self.order.copy(),
            order_seed=self.order_seed,
            epoch=self.epoch,
            step_count=self.step_count,
            cursor=self.cursor,
            batch=None if self.batch is None else self.batch.copy(),
            best=None if self.best is None else self.best.copy(),
            stop_reason=self.stop_reason,
        )

    def progress(self) -> TrainingProgress:
        """The project file's view of it: where to resume inside the epochs (copies)."""
        return TrainingProgress(
            self.epoch,
            self.cursor,
            self.order_seed,
            None if self.batch is None else self.batch.copy(),
            None if self.best is None else self.best.copy(),
        )

    @property
    def batch_count(self) -> int:
        """Samples of the begun batch processed so far (0 when none is begun)."""
        return 0 if self.batch is None else self.cursor - self.batch.start


@dataclass(frozen=True)
class Snapshot:
    """Everything a training step changes, so that it can be undone exactly: copies of the parameters
    and of the :class:`TrainerState`, and how long the history was (its :class:`~.history.HistoryMark`)."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    state: TrainerState
    history: HistoryMark

    @property
    def opt_state(self) -> State:
        return self.state.opt_state

    @property
    def nbytes(self) -> int:
        """Bytes held by the parameter copies (the optimiser state and batch are of the same order)."""
        return sum(w.nbytes + b.nbytes for w, b in zip(self.weights, self.biases))
