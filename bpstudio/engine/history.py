"""Training history: per-step batch loss and gradient norms, per-epoch loss and accuracy per split.

The per-update series (``step_loss``, ``grad_norms``) grow by one entry per update while training. A
saved project stores them thinned to at most :data:`MAX_STORED_STEPS` points: bucket means over
``step_every`` consecutive updates (the last bucket may hold fewer). A history read back from such a
file therefore starts with a *thinned prefix* (:class:`ThinnedPrefix`) of bucket means, and training
continued after reopening appends one entry per update after it. Entry i stands for the updates
``step_indices()[i-1] + 1 … step_indices()[i]`` (1-based update numbers); :attr:`History.step_count`
is the true number of updates. Per-epoch records are never thinned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SPLITS = ("train", "val", "test")

#: at most this many points per per-update series in a saved project (:meth:`History.to_dict`)
MAX_STORED_STEPS = 10_000


@dataclass(frozen=True)
class ThinnedPrefix:
    """The first ``points`` entries of the per-update series are means over ``step_every`` consecutive
    updates each (the last of them over ``updates − (points − 1)·step_every``); together they cover
    the first ``updates`` updates."""

    step_every: int
    points: int
    updates: int


@dataclass(frozen=True)
class HistoryDelta:
    """Entries appended to a history after its first ``n_steps_before`` updates and
    ``n_epochs_before`` epochs (:meth:`History.since`); immutable, so it can cross threads."""

    n_steps_before: int
    n_epochs_before: int
    step_loss: tuple[float, ...]
    grad_norms: tuple[list[float], ...]
    epochs: tuple[int, ...]
    loss: dict[str, tuple[float | None, ...]]
    accuracy: dict[str, tuple[float | None, ...]]


@dataclass
class History:
    """Growing lists; plots read them, the project file stores them."""

    #: batch loss (with regularisation) before each update (a bucket mean in a thinned prefix)
    step_loss: list[float] = field(default_factory=list)
    #: for each update, ‖∂E/∂Wˡ‖ (Frobenius) per weight layer (bucket means in a thinned prefix)
    grad_norms: list[list[float]] = field(default_factory=list)
    #: epoch number (1-based) of each per-epoch entry
    epochs: list[int] = field(default_factory=list)
    #: mean per-sample error over each split after each epoch (None when the split is empty)
    loss: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    #: accuracy over each split after each epoch (None for regression or an empty split)
    accuracy: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    #: None, or how the leading per-update entries were thinned when the history was saved and read back
    thinned: ThinnedPrefix | None = None

    # ------------------------------------------------------------------ per-update positions
    @property
    def step_count(self) -> int:
        """The true number of updates the per-update series cover: entries + updates merged by thinning."""
        t = self.thinned
        if t is None:
            return len(self.step_loss)
        return t.updates + len(self.step_loss) - t.points

    def step_indices(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The 1-based number of the last update each entry ``start … stop−1`` of ``step_loss`` /
        ``grad_norms`` stands for (int64): ``1, 2, …, n`` when nothing is thinned; for a thinned prefix
        with k = step_every and U updates, entry i < points ends at min((i+1)·k, U), and entry
        i ≥ points at U + (i − points + 1)."""
        n = len(self.step_loss)
        stop = n if stop is None else min(stop, n)
        start = min(max(start, 0), stop)
        i = np.arange(start, stop, dtype=np.int64)
        t = self.thinned
        if t is None:
            return i + 1
        prefix = np.minimum((i + 1) * t.step_every, t.updates)
        return np.where(i < t.points, prefix, t.updates + i - t.points + 1)

    # ------------------------------------------------------------------ changes
    def truncate(self, n_steps: int, n_epochs: int) -> None:
        """Forget everything after the first ``n_steps`` steps and ``n_epochs`` epochs (undo)."""
        del self.step_loss[n_steps:]
        del self.grad_norms[n_steps:]
        del self.epochs[n_epochs:]
        for s in SPLITS:
            del self.loss[s][n_epochs:]
            del self.accuracy[s][n_epochs:]
        t = self.thinned
        if t is not None and len(self.step_loss) < t.points:
            n = len(self.step_loss)  # only full buckets are left (the last prefix bucket alone can be short)
            self.thinned = ThinnedPrefix(t.step_every, n, n * t.step_every) if n else None

    def clear(self) -> None:
        self.truncate(0, 0)

    def copy(self) -> History:
        """An independent copy (the per-update gradient-norm lists are never changed, so they are shared)."""
        return History(
            step_loss=list(self.step_loss),
            grad_norms=list(self.grad_norms),
            epochs=list(self.epochs),
            loss={s: list(v) for s, v in self.loss.items()},
            accuracy={s: list(v) for s, v in self.accuracy.items()},
            thinned=self.thinned,
        )

    def extend(self, added: HistoryDelta) -> None:
        """Append what :meth:`since` returned on another history that started equal to this one."""
        self.step_loss.extend(added.step_loss)
        self.grad_norms.extend(added.grad_norms)
        self.epochs.extend(added.epochs)
        for s in SPLITS:
            self.loss[s].extend(added.loss[s])
            self.accuracy[s].extend(added.accuracy[s])

    def since(self, n_steps: int, n_epochs: int) -> HistoryDelta:
        """The entries added after the first ``n_steps`` updates and ``n_epochs`` epochs (copies)."""
        return HistoryDelta(
            n_steps,
            n_epochs,
            tuple(self.step_loss[n_steps:]),
            tuple(self.grad_norms[n_steps:]),
            tuple(self.epochs[n_epochs:]),
            {s: tuple(self.loss[s][n_epochs:]) for s in SPLITS},
            {s: tuple(self.accuracy[s][n_epochs:]) for s in SPLITS},
        )

    # ------------------------------------------------------------------ file data
    def to_dict(self, max_steps: int | None = None) -> dict[str, Any]:
        """The history as JSON data, per-update series thinned to at most ``max_steps`` points
        (default :data:`MAX_STORED_STEPS`).

        With N = :attr:`step_count` updates and k₀ the step_every of a thinned prefix (1 if none), the
        stored bucket size is the smallest multiple k of k₀ with ⌈N/k⌉ ≤ max_steps. Stored point j is the
        mean over updates j·k+1 … min((j+1)·k, N) of the per-update values, computed from the entries as
        Σ cᵢ·yᵢ / Σ cᵢ (cᵢ = updates entry i stands for; each entry lies inside one bucket since k₀ | k),
        which equals the mean of the original per-update values. A bucket holding a single entry keeps
        its value exactly, so saving a reopened, unchanged history writes the same numbers again. The
        live history is not changed.
        """
        if max_steps is None:
            max_steps = MAX_STORED_STEPS
        if max_steps < 1:
            raise ValueError(f"max_steps must be ≥ 1, got {max_steps}")
        n_updates = self.step_count
        k0 = 1 if self.thinned is None else self.thinned.step_every
        every = k0 * max(1, math.ceil(n_updates / (max_steps * k0)))
        if every == 1:
            step_loss: list[float] = list(self.step_loss)
            grad_norms: list[list[float]] = [list(g) for g in self.grad_norms]
        else:
            step_loss, grad_norms = self._thinned_series(every)
        return {
            "step_count": n_updates,
            "step_every": every,
            "step_loss": _json_numbers(step_loss),
            "grad_norms": [_json_numbers(g) for g in grad_norms],
            "epochs": list(self.epochs),
            "loss": {s: _json_numbers(v) for s, v in self.loss.items()},
            "accuracy": {s: _json_numbers(v) for s, v in self.accuracy.items()},
        }

    def _thinned_series(self, every: int) -> tuple[list[float], list[list[float]]]:
        """step_loss and grad_norms as means over buckets of ``every`` updates (see :meth:`to_dict`)."""
        ends = self.step_indices()
        counts = np.diff(ends, prepend=0).astype(np.float64)
        bucket = (ends - 1) // every
        n_buckets = math.ceil(self.step_count / every)
        entries = np.bincount(bucket, minlength=n_buckets)
        single = entries == 1
        first = np.searchsorted(bucket, np.arange(n_buckets))  # the entry a single-entry bucket holds
        weight = np.bincount(bucket, weights=counts, minlength=n_buckets)

        def means(y: np.ndarray) -> np.ndarray:
            m = np.bincount(bucket, weights=counts * y, minlength=n_buckets) / weight
            return np.where(single, y[np.minimum(first, y.size - 1)], m)

        loss = means(np.asarray(self.step_loss, dtype=np.float64)).tolist()
        n_layers = len(self.grad_norms[0]) if self.grad_norms else 0
        if len(self.grad_norms) != len(self.step_loss) or any(len(g) != n_layers for g in self.grad_norms):
            # malformed in memory: written as it is, for the file's validation to name the field
            return loss, [list(g) for g in self.grad_norms]
        norms = np.asarray(self.grad_norms, dtype=np.float64).reshape(len(self.grad_norms), n_layers)
        norm_means = np.zeros((n_buckets, n_layers))
        for l in range(n_layers):
            norm_means[:, l] = means(norms[:, l])
        return loss, norm_means.tolist()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """A History from (validated) JSON data; a thinned file gives a :class:`ThinnedPrefix`."""
        h = cls()
        h.step_loss = [_INF if x is None else float(x) for x in data.get("step_loss", [])]
        h.grad_norms = [[_INF if x is None else float(x) for x in g] for g in data.get("grad_norms", [])]
        h.epochs = [int(x) for x in data.get("epochs", [])]
        for s in SPLITS:
            h.loss[s] = [None if x is None else float(x) for x in data.get("loss", {}).get(s, [])]
            h.accuracy[s] = [None if x is None else float(x) for x in data.get("accuracy", {}).get(s, [])]
        every = int(data.get("step_every", 1))
        if every > 1 and h.step_loss:
            updates = int(data.get("step_count", len(h.step_loss) * every))
            h.thinned = ThinnedPrefix(every, len(h.step_loss), updates)
        return h


_INF = float("inf")


def _json_numbers(values: Sequence[float | None]) -> list[float | None]:
    """The values with every non-finite one (a diverged run's ∞ or NaN) as None: JSON has no such
    numbers. A stored null in a per-update series reads back as ∞ ("not a finite number"); in a
    per-epoch series it reads back as None, like an epoch that was not evaluated."""
    return [x if x is None or math.isfinite(x) else None for x in values]


# ---------------------------------------------------------------------------------------------- display
def bucket_centres(ends: np.ndarray) -> np.ndarray:
    """Where an entry that stands for updates a … b is drawn: (a + b)/2 (= b for a single update),
    with a = previous end + 1 (float)."""
    ends = np.asarray(ends, dtype=np.float64)
    if ends.size == 0:
        return ends
    starts = np.concatenate([[1.0], ends[:-1] + 1.0])
    return 0.5 * (starts + ends)


def trailing_mean(
    values: np.ndarray, ends: np.ndarray, window: int, at: np.ndarray | None = None
) -> np.ndarray:
    """Mean of the per-update values over the updates (u − window, u] at u = ``ends[at]`` (default:
    every entry), an entry standing for ``ends[i] − ends[i−1]`` updates of its value; NaNs skipped
    (NaN where a window holds none). Fewer updates at the start. Exact for unthinned series (the
    trailing mean of the last ``window`` values); for thinned ones exact when u − window falls on a
    bucket boundary, else the cumulative sums are interpolated linearly inside that bucket; a window
    inside one entry's updates gives that entry's value."""
    y = np.asarray(values, dtype=np.float64)
    ends = np.asarray(ends, dtype=np.float64)
    idx = np.arange(y.size) if at is None else np.asarray(at, dtype=np.int64)
    if y.size == 0:
        return y
    finite = np.isfinite(y)
    if ends[-1] == y.size:  # one update per entry: the plain trailing mean of the last `window` values
        if window <= 1:
            return y[idx]
        c = np.concatenate([[0.0], np.cumsum(np.where(finite, y, 0.0))])
        k = np.concatenate([[0], np.cumsum(finite)])
        lo = np.maximum(idx + 1 - window, 0)
        count = k[idx + 1] - k[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, (c[idx + 1] - c[lo]) / np.maximum(count, 1), np.nan)
    counts = np.diff(ends, prepend=0.0)
    u = np.concatenate([[0.0], ends])
    c = np.concatenate([[0.0], np.cumsum(np.where(finite, y * counts, 0.0))])
    k = np.concatenate([[0.0], np.cumsum(np.where(finite, counts, 0.0))])
    hi = ends[idx]
    lo = np.maximum(hi - max(window, 1), 0.0)
    total = c[idx + 1] - np.interp(lo, u, c)
    count = k[idx + 1] - np.interp(lo, u, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 1e-9, total / np.maximum(count, 1e-300), np.nan)
    # a window inside one entry's updates is that entry's value (exactly, not from differences of sums)
    return np.where(max(window, 1) <= counts[idx], y[idx], mean)
