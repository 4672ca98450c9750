"""Training settings: loss, reduction, optimiser, batch mode, regularisation, seed, initialisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import EngineError
from .evaluation import TRAIN_EVALS
from .initialisers import get_initialiser
from .losses import REDUCTIONS, get_loss
from .optimisers import get_optimiser

BATCH_MODES = ("online", "minibatch", "full")
#: the number formats the fast loop can train in: float64 (exact, the default) or float32 (opt-in, for
#: large networks; traced steps, walkthroughs and exercises always use float64)
DTYPES = ("float64", "float32")


@dataclass
class TrainConfig:
    """Everything that decides how a network is trained (not the network, not the data)."""

    loss: str = "half_sse"
    reduction: str = "mean"
    optimiser: str = "sgd"
    optimiser_params: dict[str, float] = field(default_factory=dict)
    #: online (update after every sample), minibatch (``batch_size`` samples) or full (whole set)
    batch_mode: str = "online"
    batch_size: int = 10
    epochs: int = 1000
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 0
    #: shuffle the training samples at the start of every epoch: epoch k visits them in the order
    #: ``default_rng([seed, k]).permutation(n)`` (:func:`bpstudio.engine.progress.epoch_order`)
    shuffle: bool = True
    init: str = "uniform"
    init_params: dict[str, float] = field(default_factory=dict)
    early_stopping: bool = False
    patience: int = 20
    min_delta: float = 0.0
    #: stop when the epoch's training loss is at or below this value
    target_loss: float | None = None
    #: the fast loop's arithmetic: ``float64`` (exact) or ``float32`` (about twice as fast on large
    #: networks; the network keeps float64 weights, rounded to float32 by every run). Traced steps and
    #: everything derived from them always compute in float64.
    dtype: str = "float64"
    #: the training split's loss and accuracy after each epoch: ``auto`` (every sample, but for a split
    #: of more than 4,096 samples a fixed evenly spaced subsample of at least 1,024, which saves up to a
    #: quarter of an epoch's time) or ``all`` (every sample); see :mod:`bpstudio.engine.evaluation`
    train_eval: str = "auto"

    def validate(self) -> None:
        """Raise EngineError naming the first setting that is wrong."""
        get_loss(self.loss)
        if self.reduction not in REDUCTIONS:
            raise EngineError(f"reduction: choose one of {', '.join(REDUCTIONS)}, not {self.reduction!r}")
        get_optimiser(self.optimiser).hyper(self.optimiser_params)
        get_initialiser(self.init).hyper(self.init_params)
        if self.batch_mode not in BATCH_MODES:
            raise EngineError(f"batch_mode: choose one of {', '.join(BATCH_MODES)}, not {self.batch_mode!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise EngineError("batch_size: must be a whole number ≥ 1")
        if not isinstance(self.epochs, int) or self.epochs < 0:
            raise EngineError("epochs: must be a whole number ≥ 0")
        for name in ("l1", "l2", "min_delta"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or v < 0 or v != v or v == float("inf"):
                raise EngineError(f"{name}: must be a finite number ≥ 0")
        if not isinstance(self.patience, int) or self.patience < 1:
            raise EngineError("patience: must be a whole number ≥ 1")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise EngineError("seed: must be a whole number ≥ 0")
        if self.dtype not in DTYPES:
            raise EngineError(f"dtype: choose one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if self.train_eval not in TRAIN_EVALS:
            raise EngineError(f"train_eval: choose one of {', '.join(TRAIN_EVALS)}, not {self.train_eval!r}")

    def effective_batch_size(self, n_train: int) -> int:
        """Samples per update: 1 (online), k (minibatch, at most n) or n (full batch)."""
        if self.batch_mode == "online":
            return 1
        if self.batch_mode == "full":
            return max(1, n_train)
        return max(1, min(self.batch_size, n_train))

    def to_dict(self) -> dict[str, Any]:
        """Every setting; ``dtype`` and ``train_eval`` only when they are not the defaults float64 and
        auto (files stay as they were)."""
        data = asdict(self)
        if data["dtype"] == "float64":
            del data["dtype"]
        if data["train_eval"] == "auto":
            del data["train_eval"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise EngineError(f"training: unknown setting {unknown[0]!r}")
        cfg = cls(**data)
        cfg.optimiser_params = dict(cfg.optimiser_params or {})
        cfg.init_params = dict(cfg.init_params or {})
        cfg.validate()
        return cfg
