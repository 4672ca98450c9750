"""The trainer: batches, epochs, the optimiser, divergence, history, early stopping and undo.

A :class:`Trainer` owns a network, its settings and the training data (plus optional validation and
test splits). Its steps, from finest to coarsest:

* :meth:`Trainer.begin_step` — a :class:`~bpstudio.engine.stepper.MicroStep` for the next batch, to be
  advanced one layer at a time;
* :meth:`Trainer.step_sample` — forward and backward on the next sample; in mini-batch or full-batch
  mode its gradient is accumulated and the update is applied when the batch is complete;
* :meth:`Trainer.step_batch` — one update on the next batch (returns its :class:`StepTrace`);
* :meth:`Trainer.step_epoch` and :meth:`Trainer.run` — the fast loop, with progress and cancellation.

Each update computes the gradient g of the batch loss J = s·[Σₓ Eₓ + penalty] and applies θ ← θ + Δθ
where Δθ comes from the optimiser. An update that would make the loss or any parameter NaN or infinite
is refused with :class:`DivergenceError` and nothing changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .config import TrainConfig
from .errors import DivergenceError, EngineError, TrainingRefused
from .history import History
from .losses import get_loss, reduction_scale
from .network import Network, backward_layer, layer_gradients
from .optimisers import State, copy_state, get_optimiser
from .regularisation import penalty, penalty_grad
from .stepper import MicroStep
from .trace import StepTrace

Split = tuple[np.ndarray, np.ndarray]


def infer_task(T: np.ndarray) -> str:
    """``multiclass`` for one-hot targets, ``binary`` for one column of two values, else ``regression``."""
    if T.size == 0:
        return "regression"
    if T.shape[1] > 1:
        if np.all((T == 0) | (T == 1)) and np.all(T.sum(axis=1) == 1):
            return "multiclass"
        return "regression"
    return "binary" if np.unique(T).size == 2 else "regression"


@dataclass
class Progress:
    """What a progress callback is told."""

    epoch: int
    step: int
    epochs_target: int
    step_loss: float | None
    epoch_loss: float | None


@dataclass
class RunResult:
    """Why :meth:`Trainer.run` returned: ``epochs``, ``target``, ``early_stopping`` or ``cancelled``."""

    reason: str
    epochs: int
    steps: int


@dataclass
class Snapshot:
    """Everything a training step changes, so that it can be undone exactly."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    opt_state: State
    rng_state: dict
    order: np.ndarray
    epoch: int
    step_count: int
    cursor: int
    pending: list[np.ndarray] | None
    pending_count: int
    pending_loss: float
    batch_end: int
    n_history_steps: int
    n_history_epochs: int
    best: tuple | None
    wait: int
    stop_reason: str | None


def _as_data(X, T, n_in: int, n_out: int, what: str) -> Split:
    X = np.ascontiguousarray(X, dtype=np.float64)
    T = np.ascontiguousarray(T, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if T.ndim == 1:
        T = T.reshape(-1, 1)
    if X.shape[0] != T.shape[0]:
        raise EngineError(f"{what}: {X.shape[0]} input rows but {T.shape[0]} target rows")
    if X.shape[1] != n_in:
        raise EngineError(f"{what}: inputs have {X.shape[1]} columns but the input layer has {n_in} neurons")
    if T.shape[1] != n_out:
        raise EngineError(
            f"{what}: targets have {T.shape[1]} columns but the output layer has {n_out} neurons"
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(T))):
        raise EngineError(f"{what}: contains NaN or infinity")
    return X, T


class Trainer:
    """Trains ``network`` in place on (X, T) with ``config``."""

    def __init__(
        self,
        network: Network,
        config: TrainConfig,
        X: np.ndarray,
        T: np.ndarray,
        val: Split | None = None,
        test: Split | None = None,
        task: str | None = None,
    ) -> None:
        config.validate()
        self.network = network
        self.X, self.T = _as_data(X, T, network.n_inputs, network.n_outputs, "training data")
        if self.X.shape[0] == 0:
            raise EngineError("training data: no samples")
        self.val = (
            None
            if val is None or len(val[0]) == 0
            else _as_data(*val, network.n_inputs, network.n_outputs, "validation data")
        )
        self.test = (
            None
            if test is None or len(test[0]) == 0
            else _as_data(*test, network.n_inputs, network.n_outputs, "test data")
        )
        self.task = task or infer_task(self.T)
        self._binary_levels = tuple(np.unique(self.T)[[0, -1]]) if self.task == "binary" else (0.0, 1.0)
        self.config = config
        self.hyper = get_optimiser(config.optimiser).hyper(config.optimiser_params)
        self.opt_state: State = get_optimiser(config.optimiser).init_state(network.parameters())
        self.history = History()
        self.epoch = 0
        self.step_count = 0
        self.stop_reason: str | None = None
        self.rng = np.random.default_rng(config.seed)
        self._pending: list[np.ndarray] | None = None
        self._pending_count = 0
        self._pending_loss = 0.0
        self._batch_end = 0
        self._best: tuple | None = None
        self._wait = 0
        self._new_epoch_order()

    # ------------------------------------------------------------------ settings
    def set_config(self, config: TrainConfig) -> None:
        """Use new settings from the next step on; a change of optimiser starts its state afresh."""
        config.validate()
        hyper = get_optimiser(config.optimiser).hyper(config.optimiser_params)
        if config.optimiser != self.config.optimiser:
            self.opt_state = get_optimiser(config.optimiser).init_state(self.network.parameters())
        self.config = config
        self.hyper = hyper

    def reset_optimiser_state(self) -> None:
        self.opt_state = get_optimiser(self.config.optimiser).init_state(self.network.parameters())

    def check_trainable(self) -> None:
        """Raise TrainingRefused if backpropagation cannot train this network with these settings."""
        net = self.network
        for i, name in enumerate(net.activations, start=1):
            if not net.activation(i).trainable:
                raise TrainingRefused(
                    f"layer {i} uses the {name} activation, whose derivative is 0 wherever it is "
                    "defined, so backpropagation cannot train through it; choose sigmoid or tanh to "
                    "train (step units can still be used for forward passes)"
                )
        try:
            get_loss(self.config.loss).check_output(net.activations[-1])
        except EngineError as exc:
            raise TrainingRefused(str(exc)) from None

    # ------------------------------------------------------------------ position
    @property
    def n_train(self) -> int:
        return self.X.shape[0]

    @property
    def batch_size(self) -> int:
        return self.config.effective_batch_size(self.n_train)

    @property
    def cursor(self) -> int:
        """How many samples of the current epoch have been processed."""
        return self._cursor

    def _new_epoch_order(self) -> None:
        n = self.n_train
        self.order = self.rng.permutation(n) if self.config.shuffle else np.arange(n)
        self._cursor = 0
        self._Xs: np.ndarray | None = None
        self._Ts: np.ndarray | None = None

    def _shuffled(self) -> Split:
        if self._Xs is None:
            self._Xs = np.ascontiguousarray(self.X[self.order])
            self._Ts = np.ascontiguousarray(self.T[self.order])
        return self._Xs, self._Ts  # type: ignore[return-value]

    def _batch_bounds(self) -> tuple[int, int]:
        if self._pending is not None:
            return self._batch_end - self._pending_count, self._batch_end
        start = self._cursor
        return start, min(start + self.batch_size, self.n_train)

    def next_batch_indices(self) -> list[int]:
        """Training-set indices of the samples the next :meth:`step_batch` uses."""
        _, end = self._batch_bounds()
        return [int(i) for i in self.order[self._cursor : end]]

    def next_sample_index(self) -> int:
        return int(self.order[self._cursor])

    # ------------------------------------------------------------------ traced steps
    def begin_step(self, indices: Sequence[int] | None = None) -> MicroStep:
        """A micro-step on the next batch (or on hand-picked ``indices``, which do not move the epoch)."""
        if indices is not None:
            scale = reduction_scale(self.config.reduction, len(indices))
            return MicroStep(self, indices, scale, advance_position=False)
        start, end = self._batch_bounds()
        return MicroStep(self, self.next_batch_indices(), reduction_scale(self.config.reduction, end - start))

    def step_batch(self) -> StepTrace:
        """One update on the next batch (the rest of it, if :meth:`step_sample` began it)."""
        self.check_trainable()
        return self.begin_step().finish()

    def step_sample(self) -> StepTrace:
        """Forward and backward on the next sample; the update is applied once its batch is complete."""
        self.check_trainable()
        start, end = self._batch_bounds()
        idx = [self.next_sample_index()]
        return MicroStep(self, idx, reduction_scale(self.config.reduction, end - start)).finish()

    def trace_samples(self, indices: Sequence[int]) -> StepTrace:
        """One forward/backward/update on hand-picked samples as one batch (``bpstudio trace``)."""
        self.check_trainable()
        return self.begin_step(indices).finish()

    def receive_gradients(self, micro: MicroStep, grads: list[np.ndarray]) -> None:
        """Called by a micro-step's update stage: accumulate, and apply when the batch is complete."""
        tr = micro.trace
        m = len(micro.indices)
        if not micro.advance_position:
            self._commit_trace(micro, grads, tr.data_loss or 0.0)
            return
        if self._pending is None:
            self._batch_end = min(self._cursor + self.batch_size, self.n_train)
            self._pending = grads
            self._pending_count = m
            self._pending_loss = tr.data_loss or 0.0
        else:
            self._pending = [p + g for p, g in zip(self._pending, grads)]
            self._pending_count += m
            self._pending_loss += tr.data_loss or 0.0
        self._cursor += m
        if self._cursor >= self._batch_end:
            grads_total, loss_total = self._pending, self._pending_loss
            self._pending = None
            self._pending_count = 0
            self._commit_trace(micro, grads_total, loss_total)
            if self._cursor >= self.n_train:
                self._end_epoch()

    def _commit_trace(self, micro: MicroStep, grads: list[np.ndarray], data_loss: float) -> None:
        tr = micro.trace
        grads, deltas = self._apply(grads, data_loss, tr.scale)
        net = self.network
        for i, up in enumerate(tr.updates):
            up.grad_W, up.grad_b = grads[2 * i], grads[2 * i + 1]
            up.delta_W, up.delta_b = deltas[2 * i], deltas[2 * i + 1]
            up.W_after, up.b_after = net.weights[i].copy(), net.biases[i].copy()
        zs, acts = net.forward(tr.inputs)
        loss = get_loss(self.config.loss)
        after = float(tr.scale * np.sum(loss.value(acts[-1], tr.targets, zs[-1])))
        tr.loss_after = after + tr.scale * penalty(net.weights, self.config.l1, self.config.l2)
        tr.state_after = copy_state(self.opt_state)
        tr.applied = True

    # ------------------------------------------------------------------ the update
    def _apply(
        self, grads: list[np.ndarray], data_loss: float, scale: float
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        net = self.network
        cfg = self.config
        if cfg.l1 or cfg.l2:
            grads = list(grads)
            for i, w in enumerate(net.weights):
                pg = penalty_grad(w, cfg.l1, cfg.l2)
                if pg is not None:
                    g = grads[2 * i] + scale * pg
                    if net.masks[i] is not None:
                        g *= net.masks[i]
                    grads[2 * i] = g
            loss_before = data_loss + scale * penalty(net.weights, cfg.l1, cfg.l2)
        else:
            loss_before = data_loss
        deltas, new_state = get_optimiser(cfg.optimiser).update(grads, self.opt_state, self.hyper)
        params = net.parameters()
        new_params = []
        total = loss_before
        deltas = list(deltas)
        for i, (p, d) in enumerate(zip(params, deltas)):
            if i % 2 == 0 and net.masks[i // 2] is not None:
                d = d * net.masks[i // 2]
                deltas[i] = d
            q = p + d
            total += float(q.sum())
            new_params.append(q)
        if not np.isfinite(total):
            self._diverged(loss_before)
        for i in range(net.n_layers):
            net.weights[i] = new_params[2 * i]
            net.biases[i] = new_params[2 * i + 1]
        self.opt_state = new_state
        self.step_count += 1
        self.history.step_loss.append(float(loss_before))
        self.history.grad_norms.append([float(np.sqrt(np.vdot(g, g))) for g in grads[0::2]])
        return grads, deltas

    def _diverged(self, loss: float) -> None:
        lr = self.hyper.get("lr")
        what = "the loss" if not np.isfinite(loss) else "the weights"
        raise DivergenceError(
            f"training diverged at epoch {self.epoch + 1}, update {self.step_count + 1}: {what} "
            f"became NaN or infinite. The weights were kept at their last finite values. "
            f"Try a smaller learning rate (η = {lr:g} now)"
            + (", less momentum" if "momentum" in self.hyper else "")
            + ", scaled inputs, or a different initialisation."
        )

    # ------------------------------------------------------------------ fast loop
    def _fast_step(self, Xb: np.ndarray, Tb: np.ndarray) -> None:
        net = self.network
        cfg = self.config
        m = Xb.shape[0]
        scale = 1.0 / m if cfg.reduction == "mean" else 1.0
        L = net.n_layers
        zs: list = [None]
        acts = [Xb]
        a = Xb
        for i in range(L):
            z = a @ net.weights[i].T + net.biases[i]
            a = net.activation(i + 1).fn(z)
            zs.append(z)
            acts.append(a)
        loss = get_loss(cfg.loss)
        data_loss = float(scale * np.sum(loss.value(a, Tb, z)))
        delta = loss.output_delta(z, a, Tb, net.activation(L))
        grads: list = [None] * (2 * L)
        for i in range(L - 1, -1, -1):
            grads[2 * i], grads[2 * i + 1] = layer_gradients(delta, acts[i], scale, net.masks[i])
            if i > 0:
                delta = backward_layer(net, i, delta, zs[i], acts[i])
        self._apply(grads, data_loss, scale)

    def step_epoch(self) -> None:
        """Run the rest of the current epoch with the fast loop (no traces)."""
        self.run(epochs=1)

    def run(
        self,
        epochs: int | None = None,
        callback: Callable[[Progress], bool] | None = None,
        target_loss: float | None = None,
        interval: float = 0.05,
    ) -> RunResult:
        """Train for ``epochs`` more epochs (default: the settings'), stopping early at ``target_loss``
        (default: the settings'), on early stopping, or when ``callback`` returns False. The callback is
        called at the end of every epoch and at most every ``interval`` seconds in between."""
        self.check_trainable()
        epochs = self.config.epochs if epochs is None else int(epochs)
        target = self.config.target_loss if target_loss is None else target_loss
        goal = self.epoch + epochs
        steps0 = self.step_count
        epochs0 = self.epoch
        if self._pending is not None and epochs > 0:
            self.step_batch()
        last = time.perf_counter()
        reason = "epochs"
        self.stop_reason = None
        while self.epoch < goal:
            Xs, Ts = self._shuffled()
            n = self.n_train
            epoch_now = self.epoch
            while self.epoch == epoch_now:
                start = self._cursor
                end = min(start + self.batch_size, n)
                self._fast_step(Xs[start:end], Ts[start:end])
                self._cursor = end
                if end >= n:
                    self._end_epoch()
                    break
                if callback is not None and time.perf_counter() - last >= interval:
                    last = time.perf_counter()
                    if not callback(self._progress(goal)):
                        return RunResult("cancelled", self.epoch - epochs0, self.step_count - steps0)
            if callback is not None:
                last = time.perf_counter()
                if not callback(self._progress(goal)):
                    reason = "cancelled"
                    break
            if self.stop_reason == "early_stopping":
                reason = "early_stopping"
                break
            train_loss = self.history.loss["train"][-1] if self.history.loss["train"] else None
            if target is not None and train_loss is not None and train_loss <= target:
                reason = "target"
                self.stop_reason = "target"
                break
        return RunResult(reason, self.epoch - epochs0, self.step_count - steps0)

    def _progress(self, goal: int) -> Progress:
        h = self.history
        return Progress(
            epoch=self.epoch,
            step=self.step_count,
            epochs_target=goal,
            step_loss=h.step_loss[-1] if h.step_loss else None,
            epoch_loss=h.loss["train"][-1] if h.loss["train"] else None,
        )

    # ------------------------------------------------------------------ epochs and evaluation
    def _end_epoch(self) -> None:
        self.epoch += 1
        h = self.history
        h.epochs.append(self.epoch)
        for name, split in (("train", (self.X, self.T)), ("val", self.val), ("test", self.test)):
            if split is None:
                h.loss[name].append(None)
                h.accuracy[name].append(None)
            else:
                loss, acc = self.evaluate(*split)
                h.loss[name].append(loss)
                h.accuracy[name].append(acc)
        if self.config.early_stopping and self.val is not None:
            val_loss = h.loss["val"][-1]
            if self._best is None or val_loss < self._best[0] - self.config.min_delta:
                self._best = (
                    val_loss,
                    [w.copy() for w in self.network.weights],
                    [b.copy() for b in self.network.biases],
                )
                self._wait = 0
            else:
                self._wait += 1
                if self._wait >= self.config.patience:
                    self.network.weights = [w.copy() for w in self._best[1]]
                    self.network.biases = [b.copy() for b in self._best[2]]
                    self.stop_reason = "early_stopping"
        self._new_epoch_order()

    def evaluate(self, X: np.ndarray, T: np.ndarray) -> tuple[float, float | None]:
        """(mean per-sample error, accuracy or None for regression) of the current network on X, T."""
        zs, acts = self.network.forward(X)
        o = acts[-1]
        loss = float(np.mean(get_loss(self.config.loss).value(o, T, zs[-1])))
        return loss, self.accuracy(o, T)

    def accuracy(self, o: np.ndarray, T: np.ndarray) -> float | None:
        """Fraction classified correctly: argmax for one-hot targets, nearest target level for binary."""
        if self.task == "multiclass":
            return float(np.mean(np.argmax(o, axis=1) == np.argmax(T, axis=1)))
        if self.task == "binary":
            lo, hi = self._binary_levels
            mid = 0.5 * (lo + hi)
            return float(np.mean((o[:, 0] > mid) == (T[:, 0] > mid)))
        return None

    # ------------------------------------------------------------------ undo
    def snapshot(self) -> Snapshot:
        """Everything the next steps change; :meth:`restore` puts it back exactly."""
        net = self.network
        return Snapshot(
            weights=[w.copy() for w in net.weights],
            biases=[b.copy() for b in net.biases],
            opt_state=copy_state(self.opt_state),
            rng_state=self.rng.bit_generator.state,
            order=self.order.copy(),
            epoch=self.epoch,
            step_count=self.step_count,
            cursor=self._cursor,
            pending=None if self._pending is None else [g.copy() for g in self._pending],
            pending_count=self._pending_count,
            pending_loss=self._pending_loss,
            batch_end=self._batch_end,
            n_history_steps=len(self.history.step_loss),
            n_history_epochs=len(self.history.epochs),
            best=self._best,
            wait=self._wait,
            stop_reason=self.stop_reason,
        )

    def restore(self, snap: Snapshot) -> None:
        net = self.network
        if [w.shape for w in snap.weights] != [w.shape for w in net.weights]:
            raise EngineError("the network has changed shape since this snapshot")
        net.weights = [w.copy() for w in snap.weights]
        net.biases = [b.copy() for b in snap.biases]
        self.opt_state = copy_state(snap.opt_state)
        self.rng.bit_generator.state = snap.rng_state
        self.order = snap.order.copy()
        self._Xs = self._Ts = None
        self.epoch = snap.epoch
        self.step_count = snap.step_count
        self._cursor = snap.cursor
        self._pending = None if snap.pending is None else [g.copy() for g in snap.pending]
        self._pending_count = snap.pending_count
        self._pending_loss = snap.pending_loss
        self._batch_end = snap.batch_end
        self.history.truncate(snap.n_history_steps, snap.n_history_epochs)
        self._best = snap.best
        self._wait = snap.wait
        self.stop_reason = snap.stop_reason

    def reset(self, seed: int | None = None) -> None:
        """Redraw the weights with the settings' initialiser and start training afresh."""
        cfg = self.config
        self.network.initialise(cfg.init, cfg.init_params, seed=cfg.seed if seed is None else seed)
        self.reset_optimiser_state()
        self.history.clear()
        self.epoch = 0
        self.step_count = 0
        self.stop_reason = None
        self.rng = np.random.default_rng(cfg.seed)
        self._pending = None
        self._pending_count = 0
        self._best = None
        self._wait = 0
        self._new_epoch_order()
