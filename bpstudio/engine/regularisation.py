"""Weight penalties (biases excluded), scaled like the data loss.

With the batch reduction factor s (1/m for mean, 1 for sum) the penalised batch loss is

    J = s·[Σₓ Eₓ + (λ₂/2)·Σ w² + λ₁·Σ |w|]

so with the mean reduction the L2 term is the notes' λ/(2m)·Σ w². Its gradient adds
s·(λ₂·w + λ₁·sign(w)) to ∂J/∂w.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def penalty(weights: Sequence[np.ndarray], l1: float, l2: float) -> float:
    """(λ₂/2)·Σ w² + λ₁·Σ |w| over every weight matrix (not biases), before the reduction factor."""
    total = 0.0
    if l2:
        total += 0.5 * l2 * sum(float(np.vdot(w, w)) for w in weights)
    if l1:
        total += l1 * sum(float(np.abs(w).sum()) for w in weights)
    return total


def penalty_grad_into(w: np.ndarray, l1: float, l2: float, out: np.ndarray) -> np.ndarray:
    """out = λ₂·w + λ₁·sign(w) (at least one λ non-zero)."""
    if l2:
        np.multiply(w, l2, out=out)
        if l1:
            out += np.multiply(np.sign(w), l1)
    else:
        np.sign(w, out=out)
        np.multiply(out, l1, out=out)
    return out


def penalty_grad(w: np.ndarray, l1: float, l2: float) -> np.ndarray | None:
    """λ₂·w + λ₁·sign(w) for one weight matrix, or None when both λ are zero."""
    if not l1 and not l2:
        return None
    return penalty_grad_into(w, l1, l2, np.empty_like(w))


def add_penalty_grad(
    g: np.ndarray, w: np.ndarray, l1: float, l2: float, scale: float, work: np.ndarray
) -> None:
    """g ← g + s·(λ₂·w + λ₁·sign(w)) in place (``work`` is scratch space of w's shape)."""
    penalty_grad_into(w, l1, l2, work)
    np.multiply(work, scale, out=work)
    np.add(g, work, out=g)
