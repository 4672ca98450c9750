"""Training history: per-step batch loss and gradient norms, per-epoch loss and accuracy per split.

The per-update series (``step_loss``, ``grad_norms``) grow by one entry per update while training. A
saved project stores them thinned to at most :data:`MAX_STORED_STEPS` points: bucket means over
``step_every`` consecutive updates (the last bucket may hold fewer). A history read back from such a
file therefore starts with a *thinned prefix* (:class:`ThinnedPrefix`) of bucket means, and training
continued after reopening appends one entry per update after it. Entry i stands for the updates
``step_indices()[i-1] + 1 … step_indices()[i]`` (1-based update numbers); :attr:`History.step_count`
is the true number of updates.

Memory stays bounded however long training runs (O(1) in the number of updates and epochs):

* when the per-update series exceed :attr:`History.max_live_steps` entries (default
  :data:`MAX_LIVE_STEPS`), :meth:`History.compact_steps` thins them in place exactly as a save does
  (bucket means, at most :data:`MAX_STORED_STEPS` points), so the live history becomes a thinned prefix
  plus the updates after it;
* when the per-epoch series exceed :attr:`History.max_live_epochs` entries (default
  :data:`MAX_LIVE_EPOCHS`), :meth:`History.compact_epochs` keeps only the epochs whose number is a
  multiple of :attr:`History.epoch_every` (a power of two, doubled as needed) and the latest epoch.

Each compaction bumps :attr:`History.generation`: a :class:`HistoryDelta` across one carries the whole
history, and an undo :class:`HistoryMark` across one rewinds by update and epoch number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .distributions import DistributionLog

SPLITS = ("train", "val", "test")

#: at most this many points per per-update series in a saved project (:meth:`History.to_dict`)
MAX_STORED_STEPS = 10_000
#: the live per-update series are thinned (:meth:`History.compact_steps`) when they exceed this
MAX_LIVE_STEPS = 2 * MAX_STORED_STEPS
#: the live per-epoch series are thinned (:meth:`History.compact_epochs`) when they exceed this
MAX_LIVE_EPOCHS = 20_000


@dataclass(frozen=True)
class ThinnedPrefix:
    """The first ``points`` entries of the per-update series are means over ``step_every`` consecutive
    updates each (the last of them over ``updates − (points − 1)·step_every``); together they cover
    the first ``updates`` updates."""

    step_every: int
    points: int
    updates: int


@dataclass(frozen=True)
class HistoryMark:
    """How long a history was at one moment (:meth:`History.mark`), to go back to it
    (:meth:`History.rewind`)."""

    steps: int  # entries of the per-update series
    epochs: int  # entries of the per-epoch series
    generation: int  # History.generation then
    updates: int  # History.step_count then
    last_epoch: int  # the number of the last epoch recorded then (0: none)


@dataclass(frozen=True)
class HistoryDelta:
    """Entries appended to a history after its first ``n_steps_before`` per-update and
    ``n_epochs_before`` per-epoch entries (:meth:`History.since`); immutable, so it can cross threads.

    When the history was compacted since (``replaces``), the delta holds the whole history instead:
    ``n_steps_before`` and ``n_epochs_before`` are 0 and ``thinned``, ``epoch_every`` and
    ``generation`` describe it."""

    n_steps_before: int
    n_epochs_before: int
    step_loss: tuple[float, ...]
    grad_norms: tuple[list[float], ...]
    epochs: tuple[int, ...]
    loss: dict[str, tuple[float | None, ...]]
    accuracy: dict[str, tuple[float | None, ...]]
    replaces: bool = False
    thinned: ThinnedPrefix | None = None
    epoch_every: int = 1
    generation: int = 0
    #: the whole distribution log (:meth:`DistributionLog.frozen`; small, so it always travels whole)
    dists: tuple[tuple[int, ...], tuple[np.ndarray, ...], int] = ((), (), 1)
    #: the whole :attr:`History.train_basis` (a few entries at most: it travels whole too)
    train_basis: tuple[tuple[int, int, int], ...] = ()


@dataclass
class History:
    """Growing lists; plots read them, the project file stores them."""

    #: batch loss (with regularisation) before each update (a bucket mean in a thinned prefix)
    step_loss: list[float] = field(default_factory=list)
    #: for each update, ‖∂E/∂Wˡ‖ (Frobenius) per weight layer (bucket means in a thinned prefix)
    grad_norms: list[list[float]] = field(default_factory=list)
    #: epoch number (1-based) of each per-epoch entry
    epochs: list[int] = field(default_factory=list)
    #: mean per-sample error over each split after each epoch (None when the split is empty); for a
    #: large training split, over a fixed subsample (``TrainConfig.train_eval``, :mod:`.evaluation`)
    loss: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    #: accuracy over each split after each epoch (None for regression or an empty split)
    accuracy: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    #: what the training split's loss and accuracy were measured on: (first epoch, K, N) whenever that
    #: changed (:meth:`note_train_basis`), K of the split's N samples from that epoch on (K < N: a fixed
    #: subsample, ``TrainConfig.train_eval``). Empty for a history read from a file that has none
    #: (every sample, or not known)
    train_basis: list[tuple[int, int, int]] = field(default_factory=list)
    #: per-layer quantiles of the weights, |gradients| and |changes| of recorded epochs
    #: (:mod:`bpstudio.engine.distributions`; thinned by its own rule, so not one per epoch entry)
    dists: DistributionLog = field(default_factory=DistributionLog, compare=False)
    #: None, or how the leading per-update entries were thinned (by a save and reopen, or compaction)
    thinned: ThinnedPrefix | None = None
    #: the epochs up to the last :meth:`compact_epochs` kept are the multiples of this (and the latest)
    epoch_every: int = 1
    #: the number of compactions so far (marks and deltas from before one need care)
    generation: int = field(default=0, compare=False)
    #: thin the per-update series when they exceed this many entries
    max_live_steps: int = field(default=MAX_LIVE_STEPS, compare=False, repr=False)
    #: thin the per-epoch series when they exceed this many entries
    max_live_epochs: int = field(default=MAX_LIVE_EPOCHS, compare=False, repr=False)

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

    def fits(self, n_layers: int) -> bool:
        """True if the per-layer series (gradient norms, distribution records) are for ``n_layers``
        weight layers (or empty)."""
        if any(len(g) != n_layers for g in self.grad_norms[-1:]) or any(
            len(g) != n_layers for g in self.grad_norms[:1]
        ):
            return False
        return all(r.shape[1] == n_layers for r in self.dists.records[-1:])

    # ------------------------------------------------------------------ what the training loss is of
    def note_train_basis(self, epoch: int, k: int, n: int) -> None:
        """Epoch ``epoch``'s training loss and accuracy are measured on ``k`` of the split's ``n``
        samples: recorded when that differs from the epoch before's."""
        if not self.train_basis or self.train_basis[-1][1:] != (k, n):
            self.train_basis.append((int(epoch), int(k), int(n)))

    def subsampled(self) -> bool:
        """True if some recorded epoch's training loss is of a subsample (see :attr:`train_basis`)."""
        return any(k < n for _e, k, n in self.train_basis)

    def train_samples(self) -> list[tuple[int, int] | None]:
        """Per entry of :attr:`epochs`, the (K, N) its training loss was measured on (None: not known,
        a history from a file without :attr:`train_basis`, before its first entry)."""
        out: list[tuple[int, int] | None] = []
        basis, j, current = self.train_basis, 0, None
        for e in self.epochs:
            while j < len(basis) and basis[j][0] <= e:
                current = basis[j][1:]
                j += 1
            out.append(current)
        return out

    # ------------------------------------------------------------------ changes
    def truncate(self, n_steps: int, n_epochs: int) -> None:
        """Forget everything after the first ``n_steps`` steps and ``n_epochs`` epochs (undo)."""
        self._cut(n_steps, n_epochs)
        t = self.thinned
        if t is not None and len(self.step_loss) < t.points:
            n = len(self.step_loss)  # only full buckets are left (the last prefix bucket alone can be short)
            self.thinned = ThinnedPrefix(t.step_every, n, n * t.step_every) if n else None

    def _cut(self, n_steps: int, n_epochs: int) -> None:
        """Keep only the first ``n_steps`` per-update and ``n_epochs`` per-epoch entries."""
        del self.step_loss[n_steps:]
        del self.grad_norms[n_steps:]
        del self.epochs[n_epochs:]
        last = self.epochs[-1] if self.epochs else 0
        self.dists.cut_after(last)
        self.train_basis[:] = [b for b in self.train_basis if b[0] <= last]
        for s in SPLITS:
            del self.loss[s][n_epochs:]
            del self.accuracy[s][n_epochs:]

    def clear(self) -> None:
        self.truncate(0, 0)
        self.epoch_every = 1

    def mark(self) -> HistoryMark:
        """Where the history stands now, for :meth:`rewind`."""
        last = self.epochs[-1] if self.epochs else 0
        return HistoryMark(len(self.step_loss), len(self.epochs), self.generation, self.step_count, last)

    def rewind(self, mark: HistoryMark) -> None:
        """Forget everything recorded after ``mark`` (undo).

        Without a compaction since the mark this is :meth:`truncate` to its lengths, exactly. After one,
        the entries that end at or before update ``mark.updates`` and the epochs numbered up to
        ``mark.last_epoch`` are kept; a bucket of the thinned prefix that straddles the mark is kept as
        the prefix's last, shortened bucket (its value stays the mean over the whole bucket)."""
        if mark.generation == self.generation:
            self.truncate(mark.steps, mark.epochs)
            return
        ends = self.step_indices()
        keep = int(np.searchsorted(ends, mark.updates, side="right"))  # entries ending ≤ the mark
        t = self.thinned
        if keep < len(ends) and mark.updates > (int(ends[keep - 1]) if keep else 0):
            keep += 1  # entry `keep` straddles the mark: only a thinned prefix's bucket can
        n_epochs = int(
            np.searchsorted(np.asarray(self.epochs, dtype=np.int64), mark.last_epoch, side="right")
        )
        self._cut(keep, n_epochs)
        if t is not None and keep <= t.points:
            self.thinned = ThinnedPrefix(t.step_every, keep, mark.updates) if keep else None

    def copy(self) -> History:
        """An independent copy (the per-update gradient-norm lists are never changed, so they are shared)."""
        return History(
            step_loss=list(self.step_loss),
            grad_norms=list(self.grad_norms),
            epochs=list(self.epochs),
            train_basis=list(self.train_basis),
            dists=self.dists.copy(),
            loss={s: list(v) for s, v in self.loss.items()},
            accuracy={s: list(v) for s, v in self.accuracy.items()},
            thinned=self.thinned,
            epoch_every=self.epoch_every,
            generation=self.generation,
            max_live_steps=self.max_live_steps,
            max_live_epochs=self.max_live_epochs,
        )

    def extend(self, added: HistoryDelta) -> None:
        """Apply what :meth:`since` returned on another history that started equal to this one: append
        its entries, or take the whole history it carries (``added.replaces``)."""
        if added.replaces:
            self.step_loss[:] = added.step_loss
            self.grad_norms[:] = added.grad_norms
            self.epochs[:] = added.epochs
            self.train_basis[:] = added.train_basis
            self.dists.take(added.dists)
            for s in SPLITS:
                self.loss[s][:] = added.loss[s]
                self.accuracy[s][:] = added.accuracy[s]
            self.thinned, self.epoch_every = added.thinned, added.epoch_every
            self.generation = added.generation
            return
        self.step_loss.extend(added.step_loss)
        self.grad_norms.extend(added.grad_norms)
        self.epochs.extend(added.epochs)
        self.train_basis[:] = added.train_basis
        self.dists.take(added.dists)
        for s in SPLITS:
            self.loss[s].extend(added.loss[s])
            self.accuracy[s].extend(added.accuracy[s])

    def since(self, n_steps: int, n_epochs: int, generation: int | None = None) -> HistoryDelta:
        """The entries added after the first ``n_steps`` per-update and ``n_epochs`` per-epoch entries
        (copies); the whole history (``replaces``) if it was compacted since ``generation``."""
        replaces = generation is not None and generation != self.generation
        if replaces:
            n_steps = n_epochs = 0
        return HistoryDelta(
            n_steps,
            n_epochs,
            tuple(self.step_loss[n_steps:]),
            tuple(self.grad_norms[n_steps:]),
            tuple(self.epochs[n_epochs:]),
            {s: tuple(self.loss[s][n_epochs:]) for s in SPLITS},
            {s: tuple(self.accuracy[s][n_epochs:]) for s in SPLITS},
            replaces,
            self.thinned,
            self.epoch_every,
            self.generation,
            self.dists.frozen(),
            tuple(self.train_basis),
        )

    # ------------------------------------------------------------------ bounded memory
    def compact_steps(self) -> bool:
        """Thin the per-update series in place to at most half of :attr:`max_live_steps` bucket means
        (:data:`MAX_STORED_STEPS` by default), by the rule of :meth:`to_dict`; True if it did. Buckets
        of a thinned prefix lie inside the new buckets, so the new points are exact means of the
        original per-update values and a later save writes the numbers it would have written anyway."""
        target = max(self.max_live_steps // 2, 1)
        if len(self.step_loss) <= target:
            return False
        n_updates = self.step_count
        k0 = 1 if self.thinned is None else self.thinned.step_every
        # the smallest multiple of k0 with at most `target` buckets: k0 itself when the updates since
        # the last compaction fit into buckets of k0 (bucket sizes must not double on every compaction)
        every = k0 * max(1, math.ceil(n_updates / (target * k0)))
        if every == 1:
            return False
        loss, norms = self._thinned_series(every)
        if len(norms) != len(loss):  # malformed in memory (tests only): leave it for validation to name
            return False
        self.step_loss[:] = loss  # in place: the fast loop appends to these very lists
        self.grad_norms[:] = norms
        self.thinned = ThinnedPrefix(every, len(loss), n_updates)
        self.generation += 1
        return True

    def compact_epochs(self) -> bool:
        """Keep only the per-epoch entries of epochs that are multiples of :attr:`epoch_every` (doubled
        until at most half of :attr:`max_live_epochs` remain) and the latest; True if any went."""
        n = len(self.epochs)
        if n <= 2:
            return False
        epochs = np.asarray(self.epochs, dtype=np.int64)
        every = max(self.epoch_every, 2)
        while int(np.count_nonzero(epochs % every == 0)) + 1 > max(self.max_live_epochs // 2, 1):
            every *= 2
        keep = epochs % every == 0
        keep[-1] = True
        idx = np.flatnonzero(keep).tolist()
        self.epochs[:] = [self.epochs[i] for i in idx]
        for s in SPLITS:
            for series in (self.loss[s], self.accuracy[s]):
                if len(series) == n:
                    series[:] = [series[i] for i in idx]
        self.epoch_every = every
        self.generation += 1
        return True

    def bound(self) -> None:
        """Compact whichever series exceed their live limits (call after appending)."""
        if len(self.step_loss) > self.max_live_steps:
            self.compact_steps()
        if len(self.epochs) > self.max_live_epochs:
            self.compact_epochs()

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
            "distributions": self.dists.to_dict(),
            # only where a subsample was used: otherwise every epoch was measured on every sample
            **({"train_basis": [list(b) for b in self.train_basis]} if self.subsampled() else {}),
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
        h.dists = DistributionLog.from_dict(data.get("distributions"))
        h.train_basis = [(int(e), int(k), int(n)) for e, k, n in data.get("train_basis", [])]
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
