"""Per-layer distributions of the weights, the gradients and the changes over the epochs, to show
vanishing and exploding gradients over time (issue 15.5).

At the end of a recorded epoch the history keeps, for each weight layer l, the 21 quantiles
:data:`QUANTILES` (minimum, 5 %, 10 %, …, 95 %, maximum) of

* ``weights``: the weights wˡⱼₖ after the epoch (signed values),
* ``gradients``: |∂E/∂wˡⱼₖ| of the epoch's last update (magnitudes, regularisation included),
* ``changes``: |Δwˡⱼₖ| of the epoch's last update (magnitudes),

over the layer's present connections (removed ones are left out). Gradients and changes are
magnitudes because what shows vanishing or exploding gradients is their size, on a log axis.

The quantiles are both the bands of the view (5–95 %, 25–75 %, the median) and a histogram: between
two neighbouring quantiles lie 5 % of the values, so 1/20 divided by the distance between them is
the density there (an equal-frequency histogram, :func:`density`).

The quantile q of n sorted values v₀ ≤ … ≤ vₙ₋₁ is the linear interpolation at position p = q·(n − 1):
v[⌊p⌋] + (p − ⌊p⌋)·(v[⌊p⌋+1] − v[⌊p⌋]), as ``numpy.quantile``'s default ("linear") method computes it.

Which epochs are recorded (:class:`DistributionLog`): every epoch whose number is a multiple of
:attr:`DistributionLog.every`, which starts at :func:`record_every` (1 unless a record would cost
more than about 5 % of an epoch's training) and doubles whenever more than :data:`MAX_RECORDS`
records would be kept (the records of epochs that are not multiples of the new value are dropped
then). So a long run keeps 250 to 500 records evenly spread over it, in bounded memory and at a cost
per epoch that falls as it runs; the first 500 epochs are all recorded for most networks, every 4th
for XOR's four-sample epochs, every 64th for a 784-100-10 network on 256 samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: the quantiles recorded (fractions)
QUANTILES: tuple[float, ...] = tuple(k / 20 for k in range(21))
#: where the bands' quantiles are in :data:`QUANTILES`
Q_MIN, Q05, Q25, Q_MEDIAN, Q75, Q95, Q_MAX = (
    QUANTILES.index(q) for q in (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
)
#: what is recorded, in the order of a record's first axis
KINDS: tuple[str, ...] = ("weights", "gradients", "changes")
#: at most this many records are kept (then :attr:`DistributionLog.every` doubles)
MAX_RECORDS = 500

_Q = np.asarray(QUANTILES)


#: recording may cost about this share of the training it follows (see :func:`record_every`)
RECORD_SHARE = 0.05


def record_every(n_weights: int, n_train: int, batch: int) -> int:
    """The first :attr:`DistributionLog.every`: the smallest power of two k such that one record
    costs at most :data:`RECORD_SHARE` of k epochs' training.

    A model of both costs, not a timing, so that a run records the same epochs on every machine:
    a record (three sorts of the weights) ≈ 10 + 0.007·n·log₂ n µs for n weights; an epoch ≈ 20 µs per
    update + 6 flops per weight per sample at 40 GFLOP/s (fitted on a 2-core machine, NumPy 2.4).
    """
    n = max(int(n_weights), 2)
    record_us = 10.0 + 0.007 * n * float(np.log2(n))
    updates = -(-max(int(n_train), 1) // max(int(batch), 1))
    epoch_us = 20.0 * updates + 6.0 * max(int(n_train), 1) * n / 40_000.0
    k = 1
    while record_us > RECORD_SHARE * k * epoch_us and k < 1 << 20:
        k *= 2
    return k


def quantiles(values: np.ndarray) -> np.ndarray:
    """The :data:`QUANTILES` of each row of ``values`` (any order; see the module docstring for the
    interpolation); NaN for rows of no values."""
    s = np.sort(values, axis=-1)
    n = s.shape[-1]
    if n == 0:
        return np.full(s.shape[:-1] + (_Q.size,), np.nan)
    lo, hi, frac = _positions(n)
    a = s[..., lo]
    return a + frac * (s[..., hi] - a)


def _positions(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For n sorted values: ⌊p⌋, min(⌊p⌋ + 1, n − 1) and p − ⌊p⌋ of each quantile, p = q·(n − 1)."""
    pos = _Q * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    return lo, np.minimum(lo + 1, n - 1), pos - lo


def density(q: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The share of the values in each cell [edges[i], edges[i+1]) of a grid, from their quantiles
    ``q`` (ascending, at :data:`QUANTILES`), the values spread evenly between neighbouring quantiles:
    F(edges[i+1]) − F(edges[i]) with F the piecewise-linear distribution function through
    (q_k, QUANTILES_k). A stretch of equal quantiles (many equal values) puts its whole share at that
    value's cell. NaN quantiles give zeros."""
    q = np.asarray(q, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    if not np.all(np.isfinite(q)):
        return np.zeros(edges.size - 1)
    F = np.interp(edges, q, _Q, left=0.0, right=1.0)
    if edges.size:  # a jump (many equal values) on the grid's first or last edge is inside the grid
        F[0] = np.interp(np.nextafter(edges[0], -np.inf), q, _Q, left=0.0, right=1.0)
        F[-1] = np.interp(np.nextafter(edges[-1], np.inf), q, _Q, left=0.0, right=1.0)
    return np.diff(F)


def record(
    weights: Sequence[np.ndarray],
    gradients: Sequence[np.ndarray] | None,
    changes: Sequence[np.ndarray] | None,
    masks: Sequence[np.ndarray | None],
) -> np.ndarray:
    """One epoch's record: an array (3, L, 7), the quantiles of (weights, |gradients|, |changes|) per
    weight layer over its present connections; NaN rows where no gradients or changes are given."""
    out = np.full((len(KINDS), len(weights), _Q.size), np.nan)
    for l, W in enumerate(weights):
        mask = masks[l]

        def pick(a: np.ndarray, mask: np.ndarray | None = mask) -> np.ndarray:
            return a.ravel() if mask is None else a[mask]

        out[0, l] = quantiles(pick(W))
        if gradients is not None:
            out[1, l] = quantiles(np.abs(pick(gradients[l])))
        if changes is not None:
            out[2, l] = quantiles(np.abs(pick(changes[l])))
    return out


class Recorder:
    """:func:`record` for flat parameter, gradient and change vectors laid out as the step buffers
    lay them out (W⁰, b⁰, W¹, b¹, … flattened, as the rows of one array), with the gathering and the
    quantile positions worked out once: a few NumPy calls per record, so that recording costs little
    even for a network of a handful of weights. ``recorder(PGD)`` gives the same numbers as
    :func:`record`."""

    def __init__(
        self,
        shapes: Sequence[tuple[int, ...]],
        masks: Sequence[np.ndarray | None],
        dtype: type | np.dtype = np.float64,
    ) -> None:
        self.masks = list(masks)  # the masks it was built for (kept alive: callers compare their ids)
        index: list[np.ndarray] = []
        bounds: list[tuple[int, int]] = []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []
        frac: list[np.ndarray] = []
        offset = start = 0
        for i, shape in enumerate(shapes):
            size = int(np.prod(shape))
            if i % 2 == 0:  # a weight matrix (biases are not counted)
                mask = masks[i // 2]
                flat = np.arange(offset, offset + size)
                idx = flat if mask is None else flat[np.asarray(mask).ravel()]
                index.append(idx)
                n = idx.size
                bounds.append((start, start + n))
                if n:
                    a, b, f = _positions(n)
                    lo.append(a + start)
                    hi.append(b + start)
                    frac.append(f)
                else:  # no connection left: NaN (read from the extra NaN at the end)
                    lo.append(np.full(_Q.size, -1))
                    hi.append(np.full(_Q.size, -1))
                    frac.append(np.zeros(_Q.size))
                start += n
            offset += size
        self.L = len(index)
        self.index = np.concatenate(index) if index else np.zeros(0, dtype=np.int64)
        self.bounds = [(a, b) for a, b in bounds if b - a > 1]
        self.lo = np.concatenate(lo) if lo else np.zeros(0, dtype=np.int64)
        self.hi = np.concatenate(hi) if hi else np.zeros(0, dtype=np.int64)
        self.frac = np.concatenate(frac) if frac else np.zeros(0)
        n = self.index.size
        self.buf = np.empty((len(KINDS), n + 1), dtype)  # the step buffers' dtype (take() needs it)
        self.buf[:, n] = np.nan

    def __call__(self, PGD: np.ndarray) -> np.ndarray:
        """The record from the rows (parameters, gradients, changes) of ``PGD`` (3 × n)."""
        buf, n = self.buf, self.index.size
        np.take(PGD, self.index, axis=1, out=buf[:, :n])
        np.abs(buf[1:, :n], out=buf[1:, :n])
        for a, b in self.bounds:
            buf[:, a:b].sort(axis=1)
        lo = buf[:, self.lo]
        out = lo + self.frac * (buf[:, self.hi] - lo)
        return out.reshape(len(KINDS), self.L, _Q.size)


@dataclass
class DistributionLog:
    """The recorded epochs (ascending) and their records (see the module docstring)."""

    epochs: list[int] = field(default_factory=list)
    #: per recorded epoch an array (3, L, 7) (:func:`record`), never changed once recorded
    records: list[np.ndarray] = field(default_factory=list)
    every: int = 1
    max_records: int = field(default=MAX_RECORDS, repr=False)

    def wants(self, epoch: int) -> bool:
        """True if epoch ``epoch`` is one to record."""
        return epoch % self.every == 0

    def add(self, epoch: int, make: Callable[[], np.ndarray]) -> None:
        """Record epoch ``epoch`` (``make()`` gives its record) if it is one to record; then thin."""
        if not self.wants(epoch):
            return
        self.epochs.append(epoch)
        self.records.append(make())
        while len(self.epochs) > self.max_records:
            self.every *= 2
            keep = [i for i, e in enumerate(self.epochs) if e % self.every == 0]
            self.epochs[:] = [self.epochs[i] for i in keep]
            self.records[:] = [self.records[i] for i in keep]

    def cut_after(self, epoch: int) -> None:
        """Forget the records of epochs after ``epoch`` (undo)."""
        n = int(np.searchsorted(np.asarray(self.epochs, dtype=np.int64), epoch, side="right"))
        del self.epochs[n:]
        del self.records[n:]
        if not self.epochs:
            self.every = 1

    def copy(self) -> DistributionLog:
        """An independent copy (the records themselves are shared: they never change)."""
        return DistributionLog(list(self.epochs), list(self.records), self.every, self.max_records)

    def frozen(self) -> tuple[tuple[int, ...], tuple[np.ndarray, ...], int]:
        """The log as immutable data (to cross threads)."""
        return tuple(self.epochs), tuple(self.records), self.every

    def take(self, data: tuple[tuple[int, ...], tuple[np.ndarray, ...], int]) -> None:
        """Become the log :meth:`frozen` gave."""
        epochs, records, every = data
        self.epochs[:] = epochs
        self.records[:] = records
        self.every = every

    def array(self, kind: str) -> np.ndarray:
        """The records of one kind as an array (n records, L, 7)."""
        k = KINDS.index(kind)
        if not self.records:
            return np.zeros((0, 0, _Q.size))
        return np.stack([r[k] for r in self.records])

    def to_dict(self) -> dict[str, Any] | None:
        """JSON data: None without records; else the quantiles, ``every``, the recorded ``epochs`` and
        per kind one entry per recorded epoch: per weight layer its quantiles (null: not a finite
        number, e.g. no gradient recorded)."""
        if not self.records:
            return None
        out: dict[str, Any] = {"quantiles": list(QUANTILES), "every": self.every, "epochs": list(self.epochs)}
        for k, kind in enumerate(KINDS):
            out[kind] = [
                [[x if np.isfinite(x) else None for x in row.tolist()] for row in r[k]] for r in self.records
            ]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DistributionLog:
        """The log :meth:`to_dict` wrote (validated data; null → NaN)."""
        log = cls()
        if not data:
            return log
        log.epochs = [int(e) for e in data["epochs"]]
        log.every = int(data["every"])
        for i in range(len(log.epochs)):
            log.records.append(
                np.array(
                    [
                        [[np.nan if x is None else float(x) for x in row] for row in data[kind][i]]
                        for kind in KINDS
                    ],
                    dtype=np.float64,
                )
            )
        return log
