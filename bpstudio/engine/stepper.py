"""Micro-steps: one training step split into stages a student can follow one at a time.

For a network with L weight layers the stages are

    forward 1 … forward L → loss → backward L … backward 1 → update

``forward l`` computes z⁽ˡ⁾, a⁽ˡ⁾ and f′(z⁽ˡ⁾); ``loss`` the per-sample errors and the batch loss;
``backward l`` computes δ⁽ˡ⁾ and the gradients of the weight layer feeding layer l; ``update`` hands the
gradients to the trainer (:meth:`Trainer.take_gradients`), which applies the optimiser (or, when only
part of a mini-batch has been seen, accumulates them) and returns what the update did
(:class:`AppliedUpdate`); the micro-step writes it into its own trace. A micro-step only reads the
trainer; the trainer never writes into a micro-step. The maths is the same functions the fast training
loop uses, so stepping and running give bit-identical weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import blas
from .errors import EngineError
from .losses import get_loss
from .network import forward_layer, layer_gradients
from .optimisers import State, copy_state
from .perceptron import perceptron_delta
from .regularisation import penalty
from .trace import LayerRecord, StepTrace, UpdateRecord

if TYPE_CHECKING:
    from .training import Trainer


@dataclass(frozen=True)
class AppliedUpdate:
    """What an update did: the gradients with regularisation ([∂J/∂W⁰, ∂J/∂b⁰, …]), the changes
    Δθ applied, the parameters after it, the batch loss after it and the optimiser state after it."""

    gradients: list[np.ndarray]
    changes: list[np.ndarray]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    loss_after: float
    state_after: State


def stage_names(n_layers: int) -> list[str]:
    """The stage names of one step for a network with ``n_layers`` weight layers."""
    return (
        [f"forward {i}" for i in range(1, n_layers + 1)]
        + ["loss"]
        + [f"backward {i}" for i in range(n_layers, 0, -1)]
        + ["update"]
    )


class MicroStep:
    """One step on the samples ``indices`` of the trainer's training set, run stage by stage.

    ``scale`` is the reduction factor of the whole batch these samples belong to; ``advance_position``
    is False for a step on hand-picked samples that must not move the trainer through its epoch.
    """

    def __init__(
        self,
        trainer: Trainer,
        indices: Sequence[int],
        scale: float,
        advance_position: bool = True,
    ) -> None:
        self.trainer = trainer
        net = trainer.network
        cfg = trainer.config
        idx = [int(i) for i in indices]
        if not idx:
            raise EngineError("a step needs at least one sample")
        n = trainer.X.shape[0]
        for i in idx:
            if not 0 <= i < n:
                raise EngineError(f"sample {i} does not exist: the training set has samples 0 to {n - 1}")
        self.indices = idx
        self.advance_position = advance_position
        self.stages = stage_names(net.n_layers)
        self.position = 0
        X = trainer.X[idx]
        T = trainer.T[idx]
        layers = [LayerRecord(0, net.sizes[0], None, a=X)]
        for i in range(1, len(net.sizes)):
            layers.append(LayerRecord(i, net.sizes[i], net.activations[i - 1]))
        updates = [UpdateRecord(i, net.weights[i].copy(), net.biases[i].copy()) for i in range(net.n_layers)]
        self.trace = StepTrace(
            sample_indices=idx,
            inputs=X,
            targets=T,
            loss=cfg.loss,
            reduction=cfg.reduction,
            scale=scale,
            optimiser=cfg.optimiser,
            optimiser_params=dict(trainer.hyper),
            layers=layers,
            updates=updates,
            state_before=copy_state(trainer.opt_state),
            rule=trainer.rule or "backprop",
        )

    @property
    def done(self) -> bool:
        return self.position >= len(self.stages)

    @property
    def next_stage(self) -> str | None:
        return None if self.done else self.stages[self.position]

    def advance(self) -> str:
        """Compute the next stage and return its name."""
        if self.done:
            raise EngineError("this step is complete")
        stage = self.stages[self.position]
        kind, _, num = stage.partition(" ")
        # NaN/∞ show in the trace (the update refuses them as divergence); BLAS threads as in the fast loop
        with np.errstate(all="ignore"), blas.limit(self.trainer.blas_threads()):
            if kind == "forward":
                self._forward(int(num))
            elif kind == "loss":
                self._loss()
            elif kind == "backward":
                self._backward(int(num))
            else:
                self._update()
        self.position += 1
        self.trace.stages_done.append(stage)
        return stage

    def finish(self) -> StepTrace:
        """Run the remaining stages and return the complete trace."""
        while not self.done:
            self.advance()
        return self.trace

    def run_until(self, stage: str) -> StepTrace:
        """Run stages up to and including ``stage`` (e.g. ``"loss"`` for a forward pass only)."""
        if stage not in self.stages:
            raise EngineError(f"no stage {stage!r}; the stages are: {', '.join(self.stages)}")
        target = self.stages.index(stage)
        while self.position <= target:
            self.advance()
        return self.trace

    # ------------------------------------------------------------------ stages
    def _forward(self, layer: int) -> None:
        net = self.trainer.network
        prev = _done(self.trace.layers[layer - 1].a)
        rec = self.trace.layers[layer]
        act = net.activation(layer)
        rec.z = z = forward_layer(net, layer - 1, prev)
        rec.a = a = act.fn(z)
        rec.fprime = act.grad(z, a)

    def _loss(self) -> None:
        tr = self.trainer
        net = tr.network
        loss = get_loss(tr.config.loss)
        loss.check_output(net.activations[-1])
        out = self.trace.layers[-1]
        o = _done(out.a)
        self.trace.loss_per_sample = loss.value(o, self.trace.targets, out.z)
        self.trace.data_loss = self.trace.scale * loss._total(o, self.trace.targets, out.z, tr.unit_rows)
        pen = penalty(net.weights, tr.config.l1, tr.config.l2)
        self.trace.penalty = float(self.trace.scale * pen)
        self.trace.loss_before = self.trace.data_loss + self.trace.penalty

    def _backward(self, layer: int) -> None:
        tr = self.trainer
        tr.check_trainable()
        net = tr.network
        rec = self.trace.layers[layer]
        z, a = _done(rec.z), _done(rec.a)
        if layer == net.n_layers and self.trace.rule == "perceptron":
            delta = perceptron_delta(a, self.trace.targets)
            rec.dE_da = delta.copy()
        elif layer == net.n_layers:
            loss = get_loss(tr.config.loss)
            delta = loss.output_delta(z, a, self.trace.targets, net.activation(layer), tr.unit_rows)
            with np.errstate(all="ignore"):  # shown only: ∂E/∂o of cross-entropy at o = 0 is infinite
                rec.dE_da = loss.grad(a, self.trace.targets)
        else:
            # the fast loop's arithmetic: ∂E/∂a = δˡ⁺¹·Wˡ, then δ = f′(z)·∂E/∂a (backward_layer)
            dE_da = np.dot(_done(self.trace.layers[layer + 1].delta), net.weights[layer])
            rec.dE_da = dE_da
            delta = net.activation(layer).backward(z, a, dE_da)
        rec.delta = delta
        up = self.trace.updates[layer - 1]
        up.grad_W, up.grad_b = layer_gradients(
            delta,
            _done(self.trace.layers[layer - 1].a),
            self.trace.scale,
            net.masks[layer - 1],
            net.use_bias[layer - 1],
        )

    def _update(self) -> None:
        tr, trace = self.trainer, self.trace
        grads: list[np.ndarray] = []
        for up in trace.updates:
            grads.append(_done(up.grad_W))
            grads.append(_done(up.grad_b))
        applied = tr.take_gradients(
            grads,
            trace.data_loss or 0.0,
            len(self.indices),
            self.advance_position,
            trace.scale,
            trace.inputs,
            trace.targets,
        )
        if applied is None:  # the batch goes on with its next samples
            return
        for i, up in enumerate(trace.updates):
            up.grad_W, up.grad_b = applied.gradients[2 * i], applied.gradients[2 * i + 1]
            up.delta_W, up.delta_b = applied.changes[2 * i], applied.changes[2 * i + 1]
            up.W_after, up.b_after = applied.weights[i], applied.biases[i]
        trace.loss_after = applied.loss_after
        trace.state_after = applied.state_after
        trace.applied = True


def _done(value: np.ndarray | None) -> np.ndarray:
    """An array an earlier stage computed (the stages run in order, so it is there)."""
    if value is None:
        raise EngineError("a stage ran before the stage that computes its inputs")
    return value
