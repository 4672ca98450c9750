"""Where training stands: the sample order of an epoch, and the position a saved project resumes from.

Epoch k (1-based, the number ``History.epochs`` records for it) visits the n training samples in the
order

    order_k = numpy.random.default_rng([seed, k]).permutation(n)     (shuffling on)
    order_k = 0, 1, …, n − 1                                          (shuffling off)

so the order of any epoch follows from the seed and the epoch number alone: no random generator state
has to be carried from epoch to epoch, saved or restored.

A :class:`TrainingProgress` records what else a trainer needs to continue exactly where it stopped,
as if it had never been interrupted (the weights, optimiser state and history are saved beside it):

* ``epoch`` — epochs completed (the current epoch is number ``epoch + 1``);
* ``position`` — samples of the current epoch processed so far;
* ``shuffle_seed`` — the seed the current epoch's order was drawn with (None: file order). It is the
  training seed when the epoch began; a seed or shuffle setting changed in the middle of an epoch
  applies from the next epoch on;
* ``batch`` — a mini-batch begun sample by sample (:meth:`Trainer.step_sample`): the gradients
  accumulated so far and where the batch ends; the update is applied when its last sample is done;
* ``early_stopping`` — the best validation loss so far, the epochs since it, and its weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

__all__ = ["BestWeights", "PendingBatch", "TrainingProgress", "epoch_order"]


def epoch_order(n: int, epoch: int, seed: int | None) -> np.ndarray:
    """The sample order of epoch number ``epoch`` (1-based) of ``n`` samples:
    ``default_rng([seed, epoch]).permutation(n)``, or ``arange(n)`` when ``seed`` is None.

    For seeds and epochs below 2³² the generator's seed state comes from :func:`_seed_states`, which
    computes NumPy's ``SeedSequence([seed, epoch]).generate_state(4, uint64)`` for a block of epochs at
    once (the same words, so the same order; 4 µs an epoch instead of 11)."""
    if seed is None:
        return np.arange(n)
    seed, epoch = int(seed), int(epoch)
    if 0 <= seed <= _MASK and 0 <= epoch <= _MASK:
        start, states = _STATES.get(seed, (0, _NO_STATES))
        if not start <= epoch < start + len(states):
            start = epoch - epoch % _BLOCK
            states = _seed_states(seed, np.arange(start, start + _BLOCK, dtype=np.uint64))
            if len(_STATES) >= 8:
                _STATES.clear()
            _STATES[seed] = (start, states)
        # "BitGenerator implementations should treat any object that adheres to [ISeedSequence] as a
        # seed sequence" (NumPy's documentation); the type stubs name only SeedSequence
        bits = np.random.PCG64(_KnownState(states[epoch - start]))  # type: ignore[arg-type]
        return np.random.Generator(bits).permutation(n)
    return np.random.default_rng([seed, epoch]).permutation(n)


# NumPy's SeedSequence (numpy/random/bit_generator.pyx; M. O'Neill's seed_seq_fe128), vectorised over
# epochs for the entropy [seed, epoch] of two 32-bit words, a pool of 4 words and no spawn key
_MASK = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
#: epochs whose seed states are computed together; seed → (first epoch, states (_BLOCK, 4))
_BLOCK = 256
_STATES: dict[int, tuple[int, np.ndarray]] = {}
_NO_STATES = np.zeros((0, 4), np.uint64)


def _seed_states(seed: int, epochs: np.ndarray) -> np.ndarray:
    """``SeedSequence([seed, k]).generate_state(4, np.uint64)`` for every k of ``epochs`` (rows), for
    0 ≤ seed, k < 2³² (each one 32-bit word of entropy). uint32 arithmetic wraps, as the C code's."""
    u32 = np.uint32
    hash_const = [_INIT_A]

    def hashmix(value: np.ndarray) -> np.ndarray:
        value = value ^ u32(hash_const[0])
        hash_const[0] = (hash_const[0] * _MULT_A) & _MASK
        value = value * u32(hash_const[0])
        return value ^ (value >> u32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = u32(_MIX_L) * x - u32(_MIX_R) * y
        return result ^ (result >> u32(16))

    zeros = np.zeros(len(epochs), u32)
    entropy = [zeros + u32(seed), epochs.astype(u32), zeros, zeros]
    pool = [hashmix(word) for word in entropy]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    hash_const[0] = _INIT_B
    words = []
    for i in range(8):  # generate_state: the pool's words in turn, hashed with another constant
        value = pool[i % 4] ^ u32(hash_const[0])
        hash_const[0] = (hash_const[0] * _MULT_B) & _MASK
        value = value * u32(hash_const[0])
        words.append((value ^ (value >> u32(16))).astype(np.uint64))
    return np.stack([words[2 * j] | (words[2 * j + 1] << np.uint64(32)) for j in range(4)], axis=1)


class _KnownState(ISeedSequence):
    """A seed sequence whose state is already known: what PCG64 asks of it (4 uint64 words)."""

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("only PCG64's 4 uint64 words are known")
        return self.words.copy()


def _arrays(values: Any) -> list[np.ndarray]:
    return [np.array(a, dtype=np.float64) for a in values]


def _lists(arrays: list[np.ndarray]) -> list[Any]:
    return [np.asarray(a, dtype=np.float64).tolist() for a in arrays]


@dataclass
class PendingBatch:
    """A batch begun sample by sample: samples ``start … position − 1`` of the epoch's order are done.

    ``gradients`` = Σ over those samples of s·∂Eₓ/∂θ ([∂/∂W⁰, ∂/∂b⁰, ∂/∂W¹, …], s the batch's reduction
    factor) and ``loss`` = Σ s·Eₓ; the update is applied after sample ``end − 1``.
    """

    start: int
    end: int
    loss: float
    gradients: list[np.ndarray]

    def copy(self) -> PendingBatch:
        return PendingBatch(self.start, self.end, self.loss, [g.copy() for g in self.gradients])

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": int(self.start),
            "end": int(self.end),
            "loss": float(self.loss),
            "gradients": _lists(self.gradients),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingBatch:
        return cls(int(data["start"]), int(data["end"]), float(data["loss"]), _arrays(data["gradients"]))


@dataclass
class BestWeights:
    """Early stopping's memory: the lowest validation loss so far, the epochs since it, its weights."""

    loss: float
    wait: int
    weights: list[np.ndarray]
    biases: list[np.ndarray]

    def copy(self) -> BestWeights:
        return BestWeights(
            self.loss, self.wait, [w.copy() for w in self.weights], [b.copy() for b in self.biases]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_loss": float(self.loss),
            "wait": int(self.wait),
            "weights": _lists(self.weights),
            "biases": _lists(self.biases),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BestWeights:
        return cls(
            float(data["best_loss"]), int(data["wait"]), _arrays(data["weights"]), _arrays(data["biases"])
        )


@dataclass
class TrainingProgress:
    """Where a trainer stands inside its epochs (see the module docstring); plain data."""

    epoch: int = 0
    position: int = 0
    shuffle_seed: int | None = None
    batch: PendingBatch | None = None
    early_stopping: BestWeights | None = None

    def to_dict(self) -> dict[str, Any]:
        """The project file's ``progress`` member."""
        return {
            "epoch": int(self.epoch),
            "position": int(self.position),
            "shuffle_seed": None if self.shuffle_seed is None else int(self.shuffle_seed),
            "batch": None if self.batch is None else self.batch.to_dict(),
            "early_stopping": None if self.early_stopping is None else self.early_stopping.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingProgress:
        """From validated JSON data (see ``resources/schema/project.schema.json``)."""
        seed = data.get("shuffle_seed")
        batch = data.get("batch")
        best = data.get("early_stopping")
        return cls(
            epoch=int(data["epoch"]),
            position=int(data["position"]),
            shuffle_seed=None if seed is None else int(seed),
            batch=None if batch is None else PendingBatch.from_dict(batch),
            early_stopping=None if best is None else BestWeights.from_dict(best),
        )

    def problem(self, n_train: int, shapes: list[tuple[int, ...]], n_layers: int) -> str | None:
        """Why this position cannot be resumed on ``n_train`` samples and parameters of ``shapes``
        (None when it can): a position beyond the data, or arrays of other shapes."""
        if not 0 <= self.position < n_train:
            return f"position {self.position} is not a sample of the {n_train} training samples"
        b = self.batch
        if b is not None:
            if not (0 <= b.start < self.position < b.end <= n_train):
                return f"the begun batch {b.start}…{b.end - 1} does not fit position {self.position}"
            if [g.shape for g in b.gradients] != shapes:
                return "the begun batch's gradients do not fit the network"
        e = self.early_stopping
        if e is not None:
            if len(e.weights) != n_layers or len(e.biases) != n_layers:
                return "the best weights do not fit the network"
            if [a.shape for pair in zip(e.weights, e.biases) for a in pair] != shapes:
                return "the best weights do not fit the network"
        return None
