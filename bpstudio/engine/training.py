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

Both ways of stepping share one implementation of the arithmetic (:mod:`bpstudio.engine.fastpath`), so
traced steps and the fast loop give bit-identical weights. While a trainer trains a network, the
network's weight and bias arrays are views into the trainer's flat parameter vector and are updated in
place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import blas
from .activations import row_sums
from .config import TrainConfig
from .distributions import Recorder as DistributionRecorder
from .distributions import record as distribution_record
from .distributions import record_every
from .errors import DivergenceError, EngineError, TrainingRefused
from .evaluation import train_eval_stride
from .fastpath import FLOAT64, StepBuffers
from .history import History
from .losses import get_loss, reduction_scale
from .metrics import Counter, accuracy, correct_counter
from .network import Network
from .optimisers import State, copy_state, get_optimiser
from .perceptron import learning_rule
from .progress import BestWeights, PendingBatch, TrainingProgress, epoch_order
from .regularisation import penalty
from .runinfo import Progress, RunResult, Split, as_data, infer_task
from .state import Snapshot, TrainerState
from .stepper import AppliedUpdate, MicroStep
from .trace import StepTrace

__all__ = [
    "GATHER_BYTES",
    "Progress",
    "RunResult",
    "Snapshot",
    "Trainer",
    "TrainerState",
    "TrainingProgress",
    "infer_task",
]

#: training sets larger than this are gathered batch by batch (in the CPU cache) instead of being
#: copied in shuffled order once per epoch
GATHER_BYTES = 8 * 1024 * 1024


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
        self.X, self.T = as_data(X, T, network.n_inputs, network.n_outputs, "training data")
        if self.X.shape[0] == 0:
            raise EngineError("training data: no samples")
        self.val = (
            None
            if val is None or len(val[0]) == 0
            else as_data(*val, network.n_inputs, network.n_outputs, "validation data")
        )
        self.test = (
            None
            if test is None or len(test[0]) == 0
            else as_data(*test, network.n_inputs, network.n_outputs, "test data")
        )
        self.task = task or infer_task(self.T)
        self._binary_levels = tuple(np.unique(self.T)[[0, -1]]) if self.task == "binary" else (0.0, 1.0)
        self.config = config
        self.hyper = get_optimiser(config.optimiser).hyper(config.optimiser_params)
        self.history = History()
        #: everything training changes besides the parameters and the history (see :mod:`.state`)
        self.state = TrainerState.start(
            get_optimiser(config.optimiser).init_state(network.parameters()),
            self.X.shape[0],
            self._seed_for_order(),
        )
        #: every target row sums to exactly 1 (one-hot): lets categorical cross-entropy skip that sum
        self.unit_rows = bool(np.all(row_sums(self.T) == 1.0))
        self._bufs: StepBuffers | None = None
        #: float32 runs (``config.dtype``): a mirror of the network in float32 (see :mod:`.fastpath`)
        self._bufs32: StepBuffers | None = None
        #: the buffers of the fast loop while it runs (its end-of-epoch work evaluates with them)
        self._run_ws: StepBuffers | None = None
        #: float32 copies of the data splits, made on the first float32 run (id of X → X, T and copies;
        #: the originals are kept so that an id cannot be mistaken for another array's)
        self._data32: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        #: (buffers, masks, recorder) of the per-epoch distribution records (rebuilt when they change)
        self._recorder: tuple[StepBuffers, list[int], DistributionRecorder] | None = None
        self._gather = self.X.nbytes > GATHER_BYTES
        self._Xbuf: np.ndarray | None = None
        self._Tbuf: np.ndarray | None = None
        self._shuffled_ok = False
        self._eval_cache: dict[int, tuple[Any, ...]] = {}
        #: (stride j, X[::j], T[::j], their rows all sum to 1): the per-epoch training evaluation's rows
        self._train_sub: tuple[int, np.ndarray, np.ndarray, bool] | None = None
        self._record_every_cache: tuple[tuple[Any, ...], int] | None = None

    def clone(self) -> Trainer:
        """A trainer that shares only the read-only data (X, T, splits) with this one: its own network,
        state and history (copies), so that it can train in another thread. Both draw the same sample
        order for every epoch (it follows from the seed and the epoch number, see :mod:`.progress`)."""
        clone = object.__new__(Trainer)
        clone.__dict__.update(self.__dict__)
        clone._bufs = None
        clone._bufs32 = None
        clone._run_ws = None
        clone._data32 = dict(self._data32)  # the float32 copies are read-only: shared, not the dict
        clone._recorder = None
        clone._Xbuf = clone._Tbuf = None
        clone._shuffled_ok = False
        clone._eval_cache = {}
        clone.network = self.network.copy()
        clone.history = self.history.copy()
        clone.state = self.state.copy()
        return clone

    # ------------------------------------------------------------------ the state, read-only views
    @property
    def epoch(self) -> int:
        """Epochs completed."""
        return self.state.epoch

    @property
    def step_count(self) -> int:
        """Updates applied."""
        return self.state.step_count

    @property
    def opt_state(self) -> State:
        return self.state.opt_state

    @property
    def stop_reason(self) -> str | None:
        return self.state.stop_reason

    @property
    def order(self) -> np.ndarray:
        """The current epoch's sample order."""
        return self.state.order

    # ------------------------------------------------------------------ settings
    def set_config(self, config: TrainConfig) -> None:
        """Use new settings from the next step on; a change of optimiser starts its state afresh.

        A new seed or shuffle setting orders the current epoch at once if none of it has been trained
        yet, else from the next epoch on.
        """
        config.validate()
        hyper = get_optimiser(config.optimiser).hyper(config.optimiser_params)
        if config.optimiser != self.config.optimiser:
            self.state.opt_state = get_optimiser(config.optimiser).init_state(self.network.parameters())
        self.config = config
        self.hyper = hyper
        st = self.state
        if st.cursor == 0 and st.batch is None and st.order_seed != self._seed_for_order():
            self._new_epoch_order()

    def reset_optimiser_state(self) -> None:
        self.state.opt_state = get_optimiser(self.config.optimiser).init_state(self.network.parameters())

    @property
    def rule(self) -> str | None:
        """How the network learns: ``backprop``, ``perceptron`` (one layer of step or sign units) or None."""
        return learning_rule(self.network)

    def check_trainable(self) -> None:
        """Raise TrainingRefused if neither backpropagation nor the perceptron rule can train this
        network with these settings."""
        net = self.network
        rule = self.rule
        if rule is None:
            for i, name in enumerate(net.activations, start=1):
                if not net.activation(i).trainable:
                    raise TrainingRefused(
                        f"layer {i} uses the {name} activation, whose derivative is 0 wherever it is "
                        "defined, so backpropagation cannot train through it; choose sigmoid or tanh to "
                        "train (a single layer of step or sign units trains with the perceptron rule; "
                        "threshold units can still be used for forward passes)"
                    )
        if rule == "perceptron":
            if self.config.loss not in ("half_sse", "sse", "mse"):
                raise TrainingRefused(
                    "the perceptron rule's error is measured as a squared error: choose half_sse, sse "
                    f"or mse, not {self.config.loss}"
                )
            return
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
        return self.state.cursor

    def blas_threads(self) -> int | None:
        """BLAS threads for this network and batch size (1 or the library's choice); see :mod:`.blas`."""
        return blas.threads_for(self.network.sizes, self.batch_size)

    def _seed_for_order(self) -> int | None:
        return self.config.seed if self.config.shuffle else None

    def _new_epoch_order(self) -> None:
        """The order of epoch ``self.epoch + 1``, from the settings' seed (see :func:`.epoch_order`)."""
        st = self.state
        st.order_seed = self._seed_for_order()
        st.order = epoch_order(self.n_train, st.epoch + 1, st.order_seed)
        st.cursor = 0
        self._shuffled_ok = False

    def _in_dtype(self, X: np.ndarray, T: np.ndarray, dtype: np.dtype) -> Split:
        """(X, T) in the fast loop's number format: themselves for float64, else a copy made once."""
        if dtype == X.dtype and dtype == T.dtype:
            return X, T
        hit = self._data32.get(id(X))
        if hit is None or hit[0] is not X or hit[1] is not T:  # (an id may be reused by a new array)
            if len(self._data32) > 8:
                self._data32.clear()
            hit = self._data32[id(X)] = (X, T, X.astype(dtype), T.astype(dtype))
        return hit[2], hit[3]

    def _shuffled(self, dtype: np.dtype = FLOAT64) -> Split:
        """The training set in this epoch's order (copied into arrays reused from epoch to epoch), in
        the fast loop's number format."""
        X, T = self._in_dtype(self.X, self.T, dtype)
        if self.state.order_seed is None:
            return X, T
        if (
            self._Xbuf is None
            or self._Tbuf is None
            or self._Xbuf.shape != X.shape
            or self._Tbuf.shape != T.shape
            or self._Xbuf.dtype != dtype
        ):
            self._Xbuf = np.empty_like(X)
            self._Tbuf = np.empty_like(T)
            self._shuffled_ok = False
        if not self._shuffled_ok:
            # mode="clip" (never needed: the order is a permutation) lets take() write straight into out
            np.take(X, self.order, axis=0, out=self._Xbuf, mode="clip")
            np.take(T, self.order, axis=0, out=self._Tbuf, mode="clip")
            self._shuffled_ok = True
        return self._Xbuf, self._Tbuf

    def _batch_bounds(self) -> tuple[int, int]:
        st = self.state
        if st.batch is not None:
            return st.batch.start, st.batch.end
        return st.cursor, min(st.cursor + self.batch_size, self.n_train)

    def next_batch_indices(self) -> list[int]:
        """Training-set indices of the samples the next :meth:`step_batch` uses."""
        _, end = self._batch_bounds()
        return [int(i) for i in self.order[self.state.cursor : end]]

    def next_sample_index(self) -> int:
        return int(self.order[self.state.cursor])

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

    def take_gradients(
        self,
        grads: list[np.ndarray],
        data_loss: float,
        m: int,
        advance: bool,
        scale: float,
        inputs: np.ndarray,
        targets: np.ndarray,
    ) -> AppliedUpdate | None:
        """A micro-step's update stage hands over the gradients of its ``m`` samples: accumulate them
        into the batch begun (when ``advance``, moving through the epoch), and apply the update when the
        batch is complete. Returns what the update did, or None while the batch is incomplete."""
        if not advance:
            return self._apply_traced(grads, data_loss, scale, inputs, targets)
        st = self.state
        b = st.batch
        if b is None:
            b = PendingBatch(st.cursor, min(st.cursor + self.batch_size, self.n_train), data_loss, grads)
        else:
            b = PendingBatch(b.start, b.end, b.loss + data_loss, [p + g for p, g in zip(b.gradients, grads)])
        if st.cursor + m < b.end:
            st.batch = b
            st.cursor += m
            return None
        applied = self._apply_traced(b.gradients, b.loss, scale, inputs, targets)  # may refuse: no change
        st.batch = None
        st.cursor += m
        if st.cursor >= self.n_train:
            self._end_epoch()
        return applied

    def _apply_traced(
        self,
        grads: list[np.ndarray],
        data_loss: float,
        scale: float,
        inputs: np.ndarray,
        targets: np.ndarray,
    ) -> AppliedUpdate:
        grads, deltas = self._apply(grads, data_loss, scale)
        net = self.network
        zs, acts = net.forward(inputs)
        loss = get_loss(self.config.loss)
        after = scale * loss.total(acts[-1], targets, zs[-1], self.unit_rows)
        return AppliedUpdate(
            gradients=grads,
            changes=deltas,
            weights=[w.copy() for w in net.weights],
            biases=[b.copy() for b in net.biases],
            loss_after=after + scale * penalty(net.weights, self.config.l1, self.config.l2),
            state_after=copy_state(self.opt_state),
        )

    # ------------------------------------------------------------------ the update
    def _buffers(self) -> StepBuffers:
        """The float64 working arrays for the current network, bound to it and to the optimiser state."""
        ws = self._bufs
        if ws is None or not ws.fits(self.network):
            if ws is not None and ws.net is not None:
                ws._release(ws.net)
            ws = self._bufs = StepBuffers(self.network)
        ws.bind(self)
        return ws

    def _loop_buffers(self) -> StepBuffers:
        """The fast loop's working arrays: the float64 ones, or for ``dtype`` float32 a float32 mirror
        with the network's parameters and the optimiser state copied in."""
        if self.config.dtype == "float64":
            return self._buffers()
        ws = self._bufs32
        if ws is None or not ws.fits(self.network) or ws.dtype != np.dtype(self.config.dtype):
            ws = self._bufs32 = StepBuffers(self.network, np.dtype(self.config.dtype))
        ws.bind(self)
        return ws

    def _apply(
        self, grads: list[np.ndarray], data_loss: float, scale: float
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Apply the batch gradients ``grads`` ([∂E/∂W⁰, ∂E/∂b⁰, ...], already scaled by s); returns
        copies of (the gradients including regularisation, the changes Δθ applied)."""
        ws = self._buffers()
        for dst, src in zip(ws.g, grads):
            np.copyto(dst, src)
        with np.errstate(all="ignore"):
            self._commit(ws, data_loss, scale)
        return [g.copy() for g in ws.g], [d.copy() for d in ws.d]

    def _commit(self, ws: StepBuffers, data_loss: float, scale: float) -> None:
        loss_before = ws.apply(self, data_loss, scale)
        if loss_before is None:
            raise self._divergence(ws.refused_loss)
        self.state.step_count += 1
        self.history.step_loss.append(float(loss_before))
        self.history.grad_norms.append(ws.grad_norms())
        self.history.bound()

    def _divergence(self, loss: float) -> DivergenceError:
        """The error for an update the step buffers refused because it made ``loss`` or a weight NaN/∞."""
        lr = self.hyper.get("lr")
        what = "the loss" if not np.isfinite(loss) else "the weights"
        return DivergenceError(
            f"training diverged at epoch {self.epoch + 1}, update {self.step_count + 1}: {what} "
            f"became NaN or infinite. The weights were kept at their last finite values. "
            f"Try a smaller learning rate (η = {lr:g} now)"
            + (", less momentum" if "momentum" in self.hyper else "")
            + ", scaled inputs, or a different initialisation."
        )

    # ------------------------------------------------------------------ fast loop
    def _train_segment(self, goal: int, deadline: float | None, per_epoch: bool, target: float | None) -> str:
        """Train with the fast loop until ``goal`` epochs are done (``"epochs"``), early stopping or the
        target loss stops it, an epoch ends and ``per_epoch`` asks to hear of it (``"epoch"``), or the
        clock passes ``deadline`` between two steps of an epoch (``"deadline"``).

        In float32 (a mirror, see :mod:`.fastpath`) the network and the optimiser state are brought up
        to date before the end-of-epoch work reads them and whenever the segment ends, also by an error.
        """
        ws = self._loop_buffers()
        if not ws.mirror:
            return self._train_epochs(ws, goal, deadline, per_epoch, target)
        self._run_ws = ws
        try:
            return self._train_epochs(ws, goal, deadline, per_epoch, target)
        finally:
            self._run_ws = None
            if ws.dirty:
                ws.sync_out(self)

    def _train_epochs(
        self, ws: StepBuffers, goal: int, deadline: float | None, per_epoch: bool, target: float | None
    ) -> str:
        """:meth:`_train_segment` with its buffers ``ws``."""
        step = ws.compile_step(self)
        mirror = ws.mirror
        st = self.state
        n = self.n_train
        B = self.config.effective_batch_size(n)
        reduction_scale(self.config.reduction, 1)  # refuses an unknown reduction
        perf = time.perf_counter
        gather = self._gather
        history = self.history
        live, max_live = history.step_loss, history.max_live_steps  # memory stays bounded
        dtype = ws.dtype
        if gather:
            xbuf = np.empty((B, self.X.shape[1]), dtype)
            tbuf = np.empty((B, self.T.shape[1]), dtype)
        while True:
            order = st.order
            if gather:
                X, T = self._in_dtype(self.X, self.T, dtype)
            else:
                X, T = self._shuffled(dtype)
            start = st.cursor
            while start < n:
                end = min(start + B, n)
                if gather:
                    idx = order[start:end]
                    m = end - start
                    xb = np.take(X, idx, axis=0, out=xbuf[:m], mode="clip")
                    ok = step(xb, np.take(T, idx, axis=0, out=tbuf[:m], mode="clip"))
                else:
                    ok = step(X[start:end], T[start:end])
                if not ok:
                    raise self._divergence(ws.refused_loss)
                ws.dirty = mirror
                st.step_count += 1
                st.cursor = start = end
                if len(live) > max_live:
                    history.compact_steps()
                if deadline is not None and end < n and perf() >= deadline:
                    return "deadline"
            if mirror and self.config.early_stopping:  # it keeps (and may restore) the weights
                ws.sync_out(self)
            self._end_epoch()
            if st.stop_reason == "early_stopping":
                return "early_stopping"
            loss = self.history.loss["train"][-1]
            if target is not None and loss is not None and loss <= target:
                return "target"
            if st.epoch >= goal:
                return "epochs"
            if per_epoch:
                return "epoch"

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
        if self.state.batch is not None and epochs > 0:
            self.step_batch()
        last = time.perf_counter()
        reason = "epochs"
        self.state.stop_reason = None
        while self.epoch < goal:
            # NaN/∞ are caught as divergence, not warned about
            with np.errstate(all="ignore"), blas.limit(self.blas_threads()):
                deadline = None if callback is None else last + interval
                why = self._train_segment(goal, deadline, callback is not None, target)
            if callback is not None:
                last = time.perf_counter()
                if not callback(self._progress(goal)):
                    if why == "deadline":
                        return RunResult("cancelled", self.epoch - epochs0, self.step_count - steps0)
                    reason = "cancelled"
                    break
            if why in ("early_stopping", "target"):
                reason = why
                if why == "target":
                    self.state.stop_reason = "target"
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
        st = self.state
        st.epoch += 1
        h = self.history
        h.epochs.append(st.epoch)
        if h.dists.every < self._record_every:  # recording costs at most ~5 % (record_every)
            h.dists.every = self._record_every
        h.dists.add(st.epoch, self._distribution_record)
        rows = self._train_eval_rows()
        loss, acc = self._evaluate(*rows)
        h.note_train_basis(st.epoch, rows[0].shape[0], self.n_train)
        h.loss["train"].append(loss)
        h.accuracy["train"].append(acc)
        for name, split in (("val", self.val), ("test", self.test)):
            if split is None:
                h.loss[name].append(None)
                h.accuracy[name].append(None)
            else:
                loss, acc = self._evaluate(*split)
                h.loss[name].append(loss)
                h.accuracy[name].append(acc)
        h.bound()
        if self.config.early_stopping and self.val is not None:
            val_loss = h.loss["val"][-1]
            assert val_loss is not None  # evaluated just above
            best = st.best
            if best is None or val_loss < best.loss - self.config.min_delta:
                st.best = BestWeights(
                    float(val_loss),
                    0,
                    [w.copy() for w in self.network.weights],
                    [b.copy() for b in self.network.biases],
                )
            else:
                best.wait += 1
                if best.wait >= self.config.patience:
                    self.network.weights = [w.copy() for w in best.weights]
                    self.network.biases = [b.copy() for b in best.biases]
                    st.stop_reason = "early_stopping"
        self._new_epoch_order()

    @property
    def train_eval_size(self) -> int:
        """How many training samples the loss and accuracy recorded after each epoch are measured on:
        all of them, or for a large set a fixed subsample (``config.train_eval``, :mod:`.evaluation`)."""
        return self._train_eval_rows()[0].shape[0]

    def _train_eval_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, T) of the per-epoch training evaluation: the split, or its rows 0, j, 2j, … (views, the
        same objects from epoch to epoch so that what is cached for them stays valid)."""
        j = train_eval_stride(self.n_train, self.config.train_eval)
        if j == 1:
            return self.X, self.T
        sub = self._train_sub
        if sub is None or sub[0] != j:
            T = self.T[::j]
            sub = self._train_sub = (j, self.X[::j], T, bool(np.all(row_sums(T) == 1.0)))
        return sub[1], sub[2]

    @property
    def _record_every(self) -> int:
        """The least :attr:`DistributionLog.every` for this network and data (cached per shape)."""
        net = self.network
        key = (tuple(net.sizes), self.n_train, self.batch_size)
        cached = self._record_every_cache
        if cached is None or cached[0] != key:
            n_weights = sum(int(w.size) for w in net.weights)
            cached = (key, record_every(n_weights, self.n_train, self.batch_size))
            self._record_every_cache = cached
        return cached[1]

    def _distribution_record(self) -> np.ndarray:
        """The quantiles of the weights and of the last update's |∂E/∂w| and |Δw| per weight layer
        (:mod:`bpstudio.engine.distributions`); an epoch ends right after an update, whose gradients
        and changes the step buffers still hold."""
        net = self.network
        ws = self._run_ws or self._bufs
        if ws is None or ws.net is not net or not ws.fits(net):
            return distribution_record(net.weights, None, None, net.masks)
        masks = net.masks
        cached = self._recorder
        if cached is None or cached[0] is not ws or cached[1] != [id(m) for m in masks]:
            # (a changed mask is a new array: Network.set_connection copies it; the recorder keeps
            # the arrays it was built for alive, so their ids stay theirs)
            recorder = DistributionRecorder(ws.shapes, masks, ws.dtype)
            cached = self._recorder = (ws, [id(m) for m in masks], recorder)
        return cached[2](ws.PGD)

    def _counter(self, T: np.ndarray) -> Counter | None:
        """A function counting the correct outputs of a block of rows of T (None for regression)."""
        key = id(T)
        hit = self._eval_cache.get(key)
        if hit is not None and hit[0] is T:
            return hit[1]
        count = correct_counter(self.task, T, self._binary_levels)
        if len(self._eval_cache) > 8:
            self._eval_cache.clear()
        self._eval_cache[key] = (T, count)
        return count

    def evaluate(self, X: np.ndarray, T: np.ndarray) -> tuple[float, float | None]:
        """(mean per-sample error, accuracy or None for regression) of the current network on X, T."""
        X, T = as_data(X, T, self.network.n_inputs, self.network.n_outputs, "evaluation data")
        with np.errstate(all="ignore"), blas.limit(self.blas_threads()):
            return self._evaluate(X, T)

    def _evaluate(self, X: np.ndarray, T: np.ndarray) -> tuple[float, float | None]:
        """:meth:`evaluate` inside the training loops (which have set the NumPy and BLAS state)."""
        n = X.shape[0]
        if n == 0:
            return float("nan"), None
        ws = self._run_ws or self._buffers()  # a float32 run evaluates in float32
        sub = self._train_sub
        if T is self.T:
            unit = self.unit_rows
        elif sub is not None and T is sub[2]:
            unit = sub[3]
        else:
            unit = bool(np.all(row_sums(T) == 1.0))
        count = self._counter(T)
        X, T = self._in_dtype(X, T, ws.dtype)
        total, correct = ws.evaluate(X, T, self.config.loss, unit, count)
        return total / n, (None if correct is None else correct / n)

    def accuracy(self, o: np.ndarray, T: np.ndarray) -> float | None:
        """Fraction classified correctly: argmax for one-hot targets, nearest target level for binary."""
        return accuracy(self.task, o, T, self._binary_levels)

    # ------------------------------------------------------------------ undo
    def snapshot(self) -> Snapshot:
        """Everything the next steps change; :meth:`restore` puts it back exactly."""
        net = self.network
        return Snapshot(
            weights=[w.copy() for w in net.weights],
            biases=[b.copy() for b in net.biases],
            state=self.state.copy(),
            history=self.history.mark(),
        )

    def restore(self, snap: Snapshot, config: TrainConfig | None = None) -> None:
        """Put back what :meth:`snapshot` copied; ``config``: the settings the snapshot was taken under
        (another trainer's, e.g. a background run's), adopted with it."""
        if config is not None and config is not self.config:
            config.validate()
            self.config = config
            self.hyper = get_optimiser(config.optimiser).hyper(config.optimiser_params)
        net = self.network
        if [w.shape for w in snap.weights] != [w.shape for w in net.weights]:
            raise EngineError("the network has changed shape since this snapshot")
        net.weights = [w.copy() for w in snap.weights]
        net.biases = [b.copy() for b in snap.biases]
        self.state = snap.state.copy()
        self._shuffled_ok = False
        self.history.rewind(snap.history)

    # ------------------------------------------------------------------ saving and resuming
    def progress(self) -> TrainingProgress:
        """Where training stands inside its epochs, for the project file (copies; see :mod:`.progress`)."""
        return self.state.progress()

    def resume(
        self,
        progress: TrainingProgress | None,
        opt_state: State | None = None,
        history: History | None = None,
    ) -> str | None:
        """Continue from a saved project: its ``history`` (a copy is kept; the epoch and update counts
        follow from it), its optimiser state ``opt_state`` (used when it fits the network and optimiser)
        and ``progress`` (recorded by :meth:`progress`): that epoch's order, the position in it, a begun
        batch, early stopping's memory.

        A history recorded for a network of another number of weight layers is ignored (training
        starts afresh). Returns None, or why ``progress`` does not fit (recorded at another epoch, a
        position beyond the data, arrays of other shapes). Without a fitting progress, training
        continues from the start of epoch ``epoch + 1`` in the settings' order, with no batch begun and
        no early-stopping memory.
        """
        net = self.network
        epoch = self.epoch
        steps = self.step_count
        if history is not None and not history.fits(net.n_layers):
            history = None  # recorded for another network (per-layer series of another length)
        if history is not None:
            self.history = history.copy()
            epoch = history.epochs[-1] if history.epochs else 0  # the last may be all that is kept
            steps = history.step_count  # true updates, also when the file thinned them
        opt = self.state.opt_state
        if opt_state is not None and _state_fits(opt_state, opt, [p.shape for p in net.parameters()]):
            opt = copy_state(opt_state)
        why = None
        if progress is not None:
            if progress.epoch != epoch:
                why = f"it was recorded after epoch {progress.epoch}, the history has {epoch} epochs"
            else:
                why = progress.problem(self.n_train, [p.shape for p in net.parameters()], net.n_layers)
        if progress is None or why is not None:
            progress = TrainingProgress(epoch, 0, self._seed_for_order())
        self.state = TrainerState(
            opt_state=opt,
            order=epoch_order(self.n_train, epoch + 1, progress.shuffle_seed),
            order_seed=progress.shuffle_seed,
            epoch=epoch,
            step_count=steps,
            cursor=progress.position,
            batch=None if progress.batch is None else progress.batch.copy(),
            best=None if progress.early_stopping is None else progress.early_stopping.copy(),
        )
        self._shuffled_ok = False
        return why

    def reset(self, seed: int | None = None) -> None:
        """Redraw the weights with the settings' initialiser and start training afresh."""
        cfg = self.config
        self.network.initialise(cfg.init, cfg.init_params, seed=cfg.seed if seed is None else seed)
        self.history.clear()
        self.state = TrainerState.start(
            get_optimiser(cfg.optimiser).init_state(self.network.parameters()),
            self.n_train,
            self._seed_for_order(),
        )
        self._shuffled_ok = False


def _state_fits(state: State, fresh: State, shapes: list[tuple[int, ...]]) -> bool:
    """True if a saved optimiser state has the keys of ``fresh`` and arrays of the parameters' shapes."""
    lists = {k for k, v in state.items() if isinstance(v, list)}
    if lists != {k for k, v in fresh.items() if isinstance(v, list)}:
        return False
    return all([np.shape(a) for a in state[k]] == shapes for k in lists)
