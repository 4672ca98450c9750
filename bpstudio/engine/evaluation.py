"""Which training samples the loss and accuracy recorded after each epoch are measured on.

After every epoch the engine evaluates the training split (and the validation and test splits) with
the weights the epoch ended with, for the plots, a target loss and the saved history. On a large
training set that forward pass is about a third of an epoch's arithmetic, so by default
(``TrainConfig.train_eval = "auto"``) a training split of more than :data:`LARGE_SET` samples is
evaluated on a fixed, evenly spaced subsample:

    samples 0, j, 2j, …  (0-based, in the split's order),   j = min(MAX_STRIDE, ⌊n / SUBSAMPLE⌋)

that is ⌈n/j⌉ samples: at least :data:`SUBSAMPLE` (1,024) and at least a sixteenth of the set. The
same samples every epoch, so each point of the curve is the exact mean error (and accuracy) of that
fixed subset after the epoch. ``train_eval = "all"`` evaluates every sample. Validation and test
splits are always evaluated whole (early stopping decides on them); so is every set of at most
:data:`LARGE_SET` samples (every shipped dataset).
"""

from __future__ import annotations

#: the per-epoch evaluation of the training split: "auto" (a subsample of large sets) or "all"
TRAIN_EVALS = ("auto", "all")
#: training splits of more samples than this are evaluated on a subsample ("auto")
LARGE_SET = 4096
#: the least number of samples of a subsample
SUBSAMPLE = 1024
#: at most every this-many-th sample is skipped over: a subsample keeps at least 1/MAX_STRIDE of the set
MAX_STRIDE = 16


def train_eval_stride(n: int, mode: str = "auto") -> int:
    """j: the per-epoch evaluation uses training samples 0, j, 2j, … of ``n``; 1 means all of them.

    j = 1 for ``mode == "all"`` or n ≤ LARGE_SET, else j = min(MAX_STRIDE, ⌊n / SUBSAMPLE⌋) (≥ 4).
    """
    if mode == "all" or n <= LARGE_SET:
        return 1
    return max(1, min(MAX_STRIDE, n // SUBSAMPLE))


def train_eval_size(n: int, mode: str = "auto") -> int:
    """How many of ``n`` training samples the per-epoch evaluation uses: ⌈n / j⌉ (n when j = 1)."""
    return -(-n // train_eval_stride(n, mode))
