"""The arithmetic of a training step, shared by the traced step and the fast loop, laid out for speed.

A :class:`StepBuffers` belongs to one trainer. It keeps

* every weight and bias of the network as a view into **one flat parameter vector** P (the network's
  ``weights[l]``/``biases[l]`` *are* those views while the trainer is bound to it), with flat vectors of
  the same length for the gradient G, the change Δ, the candidate parameters P + Δ and scratch space;
* the optimiser state as flat vectors too (``trainer.state.opt_state`` holds views into them);
* per batch size, preallocated arrays for every layer's z, a, δ and ∂E/∂a.

So an update (optimiser, masks, divergence check, commit) is a fixed handful of NumPy calls whatever the
number of layers, and a training step allocates nothing. Both ways of stepping use it: the fast loop
runs :meth:`StepBuffers.compile_step`'s step (forward, loss, backward into G, then the update); the traced
step (:class:`~bpstudio.engine.stepper.MicroStep`) computes the same gradients with the same activation
and loss functions stage by stage, copies them into G and calls :meth:`StepBuffers.apply`, the same
update. Every number therefore comes out bit-identical either way (the tests check it).

Binding: if anything replaces the network's arrays or the optimiser-state dict (undo, loading a project,
another trainer on the same network), :meth:`StepBuffers.bind` copies the values in and points the
network and the state back at the views; a network the trainer lets go of gets its own copies back.
It runs before every traced update and whenever the fast loop starts or resumes after a callback.

float32 (``TrainConfig.dtype``, opt-in): buffers of another dtype are a *mirror*. The network keeps its
own float64 arrays; :meth:`StepBuffers.bind` copies the parameters and optimiser state in (rounded to
float32) and :meth:`StepBuffers.sync_out` copies them back (exactly: every float32 is a float64). The
fast loop then computes in float32 end to end (data, activations, losses, products, updates,
evaluation). Traced steps always use the float64 buffers, so in float32 mode stepping and running are
no longer bit-identical; a run's numbers agree with float64 to float32's precision.

Why this is fast (compared with the straightforward loop this replaced, which reached about a third of
PyTorch on a 784-100-10 network): no temporaries or copies per step (z, a, δ, gradients, Δ and the new
parameters all live in reused arrays; the old loop allocated and filled a new array for each), no
per-step look-ups (registries, properties, settings are read once per segment), NumPy's cheapest call
forms (``np.dot`` with its output array passed by position, about 0.4 µs a product less than
``np.matmul`` with ``out=``, for the same BLAS call, and used by the traced step as well;
``take(..., mode="clip")``, which does not buffer; row sums as a product with a column of ones
instead of a reduction along short rows, which costs ~20 ns per row; for one sample, biases as
rows of the same shape as z, so that z + b needs no broadcast, and each layer's δ written straight
into ∂E/∂b, which for one sample is Σₓ δ; ufuncs with ``out`` by position and constants as 0-d
arrays of the data's type, see :data:`.activations.ONE`; for plain SGD on a large network, the bound
on the change from the gradient norms the history records, see :data:`NORMS_FIRST`), BLAS on one
thread for products
too small to gain from more (see :mod:`.blas`), and a shared softmax/cross-entropy kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .activations import ACTIVATIONS, ones_row, softmax_parts
from .losses import CategoricalCrossEntropy, get_loss
from .optimisers import get_optimiser
from .perceptron import perceptron_delta
from .regularisation import add_penalty_grad, penalty

if TYPE_CHECKING:
    from .network import Network
    from .training import Trainer

#: the exact arithmetic (the default dtype of every buffer)
FLOAT64 = np.dtype(np.float64)
#: rows per block when a whole split is evaluated (keeps every layer's block in the CPU cache)
EVAL_BLOCK = 1024
#: ΣΔᵢ² at most this (by number format) bounds every |Δᵢ| by 1e150 (float64) or 1e15 (float32): far
#: below half the spacing of the numbers near the largest finite one (2⁹⁷⁰, 2¹⁰³), so a finite P plus
#: such a Δ rounds to a finite number, and an update can be applied in place without a check
SAFE_CHANGE = {"float64": 1e300, "float32": 1e30}
#: from this many parameters on, plain SGD without regularisation takes ‖G‖² from the gradient norms
#: the history records anyway (one pass over the parameters fewer: about 3 % of a 784-100-10 step);
#: below it, the extra calls for the biases' part would cost more than the pass
NORMS_FIRST = 4096


def _views(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    out, pos = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[pos : pos + size].reshape(shape))
        pos += size
    return out


class _Frame:
    """Per-layer arrays for a batch of ``m`` samples: z, a (= f(z)), δ and ∂E/∂a for layers 1 … L."""

    def __init__(self, sizes: list[int], m: int, dtype: np.dtype = FLOAT64) -> None:
        self.m = m
        self.z = [np.empty((m, n), dtype) for n in sizes[1:]]
        self.a = [np.empty((m, n), dtype) for n in sizes[1:]]
        self.d = [np.empty((m, n), dtype) for n in sizes[1:]]
        self.g = [np.empty((m, n), dtype) for n in sizes[1:]]


class StepBuffers:
    """Flat parameter/gradient/state vectors and per-batch arrays for one network shape and optimiser."""

    def __init__(self, net: Network, dtype: type | np.dtype = np.float64) -> None:
        #: the arithmetic (float64, or float32 for a mirror: see the module docstring)
        self.dtype = np.dtype(dtype)
        #: True when the network keeps its own float64 arrays and these buffers a working copy of them
        self.mirror = self.dtype != np.float64
        self.sizes = list(net.sizes)
        self.activation_names = list(net.activations)
        self.acts = [ACTIVATIONS.get(name) for name in net.activations]
        self.forwards = [act.forward for act in self.acts]
        self.n_layers = L = len(self.sizes) - 1
        shapes: list[tuple[int, ...]] = []
        for i in range(L):
            shapes.append((self.sizes[i + 1], self.sizes[i]))
            shapes.append((self.sizes[i + 1],))
        self.shapes = shapes
        n = sum(int(np.prod(s)) for s in shapes)
        #: the parameters P, gradients G and changes D as the rows of one array (the per-epoch
        #: distribution records gather from all three at once)
        self.PGD = np.zeros((3, n), self.dtype)
        self.P, self.G, self.D = self.PGD
        self.Q = np.zeros(n, self.dtype)
        self.work = np.zeros(n, self.dtype)
        self.p = _views(self.P, shapes)
        self.g = _views(self.G, shapes)
        self.d = _views(self.D, shapes)
        self.wk = _views(self.work, shapes)
        self.W = self.p[0::2]
        self.b = self.p[1::2]
        self.WT = [w.T for w in self.W]
        self.gW = self.g[0::2]
        self.gb = self.g[1::2]
        self.optimiser_name = ""
        self.S: dict[str, np.ndarray] = {}
        self.S_new: dict[str, np.ndarray] = {}
        self.s_views: dict[str, list[np.ndarray]] = {}
        self.state: dict[str, Any] | None = None
        #: the batch loss of the last update refused as divergent (see :meth:`apply`)
        self.refused_loss = math.nan
        self.net: Network | None = None
        self.frames: dict[int, _Frame] = {}
        #: mirror: updates applied here that the network has not been given yet (:meth:`sync_out`)
        self.dirty = False

    # ------------------------------------------------------------------ identity
    def fits(self, net: Network) -> bool:
        """True if these buffers was built for this network's layer sizes and activations."""
        return net.sizes == self.sizes and net.activations == self.activation_names

    def _set_optimiser(self, name: str) -> None:
        self.optimiser_name = name
        self.optimiser = get_optimiser(name)
        n, dt = self.P.size, self.dtype
        self.S = {k: np.zeros(n, dt) for k in self.optimiser.state_keys}
        self.S_new = {k: np.zeros(n, dt) for k in self.optimiser.state_keys}
        self.s_views = {k: _views(v, self.shapes) for k, v in self.S.items()}
        # a mirror keeps one state dict for good (compiled steps hold it); t is copied in and out
        self.state = {"t": 0, **{k: list(v) for k, v in self.s_views.items()}} if self.mirror else None

    def _release(self, net: Network) -> None:
        """Give a network that is no longer trained here its own copies of the arrays."""
        if self.mirror:  # its arrays were never views into these buffers
            return
        for i in range(min(self.n_layers, len(net.weights))):
            if net.weights[i] is self.p[2 * i]:
                net.weights[i] = self.p[2 * i].copy()
            if net.biases[i] is self.p[2 * i + 1]:
                net.biases[i] = self.p[2 * i + 1].copy()

    def bind(self, trainer: Trainer) -> None:
        """Make the network's arrays and the trainer's optimiser state the views into the flat vectors."""
        if trainer.config.optimiser != self.optimiser_name:
            self._set_optimiser(trainer.config.optimiser)
        if self.mirror:
            self._copy_in(trainer)
            return
        net = trainer.network
        if self.net is not net:
            if self.net is not None:
                self._release(self.net)
            self.net = net
        ws, bs = net.weights, net.biases
        p = self.p
        for i in range(self.n_layers):
            if ws[i] is not p[2 * i]:
                np.copyto(p[2 * i], ws[i])
                ws[i] = p[2 * i]
            if bs[i] is not p[2 * i + 1]:
                np.copyto(p[2 * i + 1], bs[i])
                bs[i] = p[2 * i + 1]
        st = trainer.state.opt_state
        if st is not self.state:
            new: dict[str, Any] = {"t": self._copy_state_in(st)}
            new.update((key, list(views)) for key, views in self.s_views.items())
            trainer.state.opt_state = new
            self.state = new

    def _copy_state_in(self, st: Any) -> int:
        """Copy a trainer's optimiser state ``st`` into the state views (zeros for arrays it lacks or
        of other shapes, rounded for a mirror); returns its update count t."""
        for key, views in self.s_views.items():
            old = st.get(key) if isinstance(st, dict) else None
            ok = isinstance(old, list) and len(old) == len(views)
            ok = ok and all(np.shape(a) == v.shape for a, v in zip(old, views))  # type: ignore[arg-type]
            for j, v in enumerate(views):
                if ok:
                    np.copyto(v, old[j], casting="same_kind")  # type: ignore[index]
                else:
                    v.fill(0.0)
        return int(st.get("t", 0)) if isinstance(st, dict) else 0

    def _copy_in(self, trainer: Trainer) -> None:
        """Mirror: the network's parameters and the optimiser state, rounded into these buffers."""
        net = trainer.network
        self.net = net
        p = self.p
        for i in range(self.n_layers):
            np.copyto(p[2 * i], net.weights[i], casting="same_kind")
            np.copyto(p[2 * i + 1], net.biases[i], casting="same_kind")
        state = self.state
        assert state is not None
        state["t"] = self._copy_state_in(trainer.state.opt_state)

    def sync_out(self, trainer: Trainer) -> None:
        """Mirror: copy the parameters into the network's own float64 arrays (in place) and the
        optimiser state into a new float64 state of the trainer. Every float32 is a float64, so a
        later :meth:`bind` gets back exactly what it had."""
        net = trainer.network
        p = self.p
        for i in range(self.n_layers):
            np.copyto(net.weights[i], p[2 * i])
            np.copyto(net.biases[i], p[2 * i + 1])
        state = self.state
        assert state is not None
        new: dict[str, Any] = {"t": int(state["t"])}
        for key, views in self.s_views.items():
            new[key] = [v.astype(np.float64) for v in views]
        trainer.state.opt_state = new
        self.dirty = False

    def frame(self, m: int) -> _Frame:
        fr = self.frames.get(m)
        if fr is None:
            if len(self.frames) > 8:
                self.frames.clear()
            fr = self.frames[m] = _Frame(self.sizes, m, self.dtype)
        return fr

    # ------------------------------------------------------------------ one step
    def compile_step(self, trainer: Trainer) -> Callable[[np.ndarray, np.ndarray], bool]:
        """The fast loop's training step for the trainer's current settings: ``step(X, T)`` does the
        forward pass, the loss, the backward pass and the update on the batch (X, T), appends the loss
        and gradient norms to the history and returns True; or, when the update would make the loss or a
        parameter NaN or infinite, changes nothing and returns False (:attr:`refused_loss` says which
        loss). The caller counts the updates and reports divergence.

        The same arithmetic as the traced stages, with the same functions: z = a·Wᵀ + b, a = f(z),
        δᴸ from the loss, δˡ = f′(zˡ)·(δˡ⁺¹·Wˡ), ∂E/∂Wˡ = s·δˡ⁺¹ᵀ·aˡ, ∂E/∂bˡ = s·Σₓ δˡ⁺¹, then
        :meth:`apply`. Everything it needs is looked up once here, so a step costs NumPy calls only.
        Valid until the settings, the network's masks or the binding change (the trainer recompiles).
        """
        cfg = trainer.config
        L = self.n_layers
        acts = self.acts
        out_act = acts[-1]
        forward = [a.forward for a in acts]
        # backward[i] = f′ of layer i − 1 (the input layer has none: entry 0 is never called)
        backward = [out_act.backward_into] + [a.backward_into for a in acts[:-1]]
        loss = get_loss(cfg.loss)
        fused = loss.name == "cce" and out_act.name == "softmax"
        perceptron = trainer.rule == "perceptron"  # δ = o − t (bpstudio.engine.perceptron)
        total_from_parts = CategoricalCrossEntropy.total_from_parts
        loss_total, delta_into = loss._total, loss.delta_into
        unit = trainer.unit_rows
        mean = cfg.reduction == "mean"
        WT, W, b, gW, gb, G = self.WT, self.W, self.b, self.gW, self.gb, self.G
        # biases as rows (1, n): for one sample, z + b is then an add of equal shapes, which NumPy does
        # without setting up a broadcast (0.5 µs less a layer); the same sums
        b_row = [v.reshape(1, -1) for v in b]
        masks = [(i, m) for i, m in enumerate(trainer.network.masks) if m is not None]
        biased = list(trainer.network.use_bias)  # a layer without biases keeps ∂E/∂b = 0
        # how ∂E/∂bˡ comes from δ: SUM (Σₓ δ), ZERO (a layer without biases) or, for one sample, DIRECT:
        # δ is then written straight into ∂E/∂b (as a row), which is Σₓ δ of one row to the bit
        SUM, ZERO_B, DIRECT = 0, 1, 2
        bias_from = [SUM if u else ZERO_B for u in biased]
        bias_from_one = [DIRECT if u else ZERO_B for u in biased]
        gb_row = [v.reshape(1, -1) for v in gb]
        ds_one = [
            gb_row[i] if u else np.empty((1, n), self.dtype)
            for i, (u, n) in enumerate(zip(biased, self.sizes[1:]))
        ]
        scales: dict[int, tuple[float, Any]] = {}  # m → (s, s as a 0-d array of the buffers' type)
        frames, make_frame = self.frames, self.frame
        apply, history = self.compile_apply(trainer), trainer.history
        step_losses, grad_norms = history.step_loss, history.grad_norms
        matmul, add, multiply, divide, vdot, copyto = (
            np.dot,
            np.add,
            np.multiply,
            np.divide,
            np.vdot,
            np.copyto,
        )
        sqrt = math.sqrt
        last = L - 1
        dtype = self.dtype
        # plain SGD without regularisation on a large network: the norms first (see NORMS_FIRST)
        norms_first = self.optimiser_name == "sgd" and not (cfg.l1 or cfg.l2) and self.P.size >= NORMS_FIRST

        def step(X: np.ndarray, T: np.ndarray) -> bool:
            m = X.shape[0]
            fr = frames.get(m) or make_frame(m)
            zs, as_, gs = fr.z, fr.a, fr.g
            if m == 1:
                bias, ds, from_delta = b_row, ds_one, bias_from_one
            else:
                bias, ds, from_delta = b, fr.d, bias_from
            a = X
            for i in range(last):
                z = zs[i]
                matmul(a, WT[i], z)
                add(z, bias[i], z)
                a = forward[i](z, as_[i])
            z = zs[last]
            matmul(a, WT[last], z)
            add(z, bias[last], z)
            a = as_[last]
            if fused:  # softmax and its cross-entropy share m and S (the traced step recomputes them)
                zmax, ssum = softmax_parts(z, a)
                divide(a, ssum, a)
                total = total_from_parts(zmax, ssum, T, z, unit)
            else:
                a = forward[last](z, a)
                total = loss_total(a, T, z, unit)
            if perceptron:
                delta = perceptron_delta(a, T, ds[last])
            else:
                delta = delta_into(z, a, T, out_act, ds[last], unit)
            for i in range(last, 0, -1):
                matmul(delta.T, as_[i - 1], gW[i])
                how = from_delta[i]
                if how == SUM:  # Σₓ δ as 1ᵀ·δ, as activations.column_sums
                    matmul(ones_row(m, dtype), delta, gb_row[i])
                elif how == ZERO_B:
                    gb[i].fill(0.0)
                elif delta is not ds[i]:  # δ came back in another array (an identity layer's)
                    copyto(ds[i], delta)
                g = matmul(delta, W[i], gs[i - 1])
                delta = backward[i](zs[i - 1], as_[i - 1], g, ds[i - 1])
            matmul(delta.T, X, gW[0])
            how = from_delta[0]
            if how == SUM:
                matmul(ones_row(m, dtype), delta, gb_row[0])
            elif how == ZERO_B:
                gb[0].fill(0.0)
            elif delta is not ds[0]:
                copyto(ds[0], delta)
            if mean and m != 1:
                scale, s_arr = scales.get(m) or scales.setdefault(m, (1.0 / m, np.array(1.0 / m, dtype)))
                multiply(G, s_arr, G)
            else:
                scale = 1.0
            for i, mask in masks:
                multiply(gW[i], mask, gW[i])
            squares, g_sq = None, None
            if norms_first:  # apply changes no gradient then: the norms are those of the update
                squares = [vdot(g, g) for g in gW]
                g_sq = sum(squares) + sum(vdot(v, v) for v in gb)
            loss_before = apply(scale * total, scale, g_sq)
            if loss_before is None:
                return False
            step_losses.append(loss_before)
            if squares is None:  # after apply: with regularisation, G holds the penalty's part too
                squares = [vdot(g, g) for g in gW]
            grad_norms.append([sqrt(x) for x in squares])
            return True

        return step

    def apply(self, trainer: Trainer, data_loss: float, scale: float) -> float | None:
        """Regularise G, let the optimiser turn it into Δ, and commit P ← P + Δ if everything stays finite.

        Returns the batch loss before the update, J = data loss + s·penalty. On NaN or infinity nothing
        changes (parameters, optimiser state) and it returns None, keeping J in :attr:`refused_loss`.
        """
        return self.compile_apply(trainer)(data_loss, scale)

    def compile_apply(self, trainer: Trainer) -> Callable[..., float | None]:
        """:meth:`apply` with the settings looked up once (the fast loop's form of it): ``apply(data_loss,
        scale, g_sq=None)``, ``g_sq`` the caller's ‖G‖² when it has it (plain SGD: no pass over Δ)."""
        cfg = trainer.config
        l1, l2 = cfg.l1, cfg.l2
        W, gW, wk, d = self.W, self.gW, self.wk, self.d
        masks = [(i, m) for i, m in enumerate(trainer.network.masks) if m is not None]
        # biases of layers without them: no change, whatever state the optimiser kept from before
        unbiased = [2 * i + 1 for i, u in enumerate(trainer.network.use_bias) if not u]
        state = self.state
        assert state is not None
        opt_step, hyper = self.optimiser.step, trainer.hyper
        G, S, S_new, D, P, Q, work = self.G, self.S, self.S_new, self.D, self.P, self.Q, self.work
        new_state = list(S_new.items())
        multiply, add, copyto, reduce, isfinite = np.multiply, np.add, np.copyto, np.add.reduce, math.isfinite

        sgd = self.optimiser_name == "sgd"  # its whole step is D = −η·G: skip the call (same arithmetic)
        # P + D is finite when P is and every |Dᵢ| ≤ √bound (see SAFE_CHANGE): then P is updated in
        # place, without the copy Q and its check (the same sums, so the same bits)
        p_finite = bool(np.isfinite(P).all())
        bound = SAFE_CHANGE[self.dtype.name]
        vdot = np.vdot
        # −η as a 0-d array of the buffers' type (a faster operand than a Python number, the same
        # product), made again whenever the settings' η changes
        neg_lr: list[Any] = [None, None]
        dtype = self.dtype

        def apply(data_loss: float, scale: float, g_sq: float | None = None) -> float | None:
            change_sq = None
            if l1 or l2:
                for i, w in enumerate(W):
                    add_penalty_grad(gW[i], w, l1, l2, scale, wk[2 * i])
                for i, mask in masks:
                    multiply(gW[i], mask, out=gW[i])
                loss_before = data_loss + scale * penalty(W, l1, l2)
            else:
                loss_before = data_loss
            t = state["t"] + 1
            if sgd:
                lr = hyper["lr"]
                if lr != neg_lr[0]:
                    neg_lr[:] = [lr, np.array(-lr, dtype)]
                multiply(G, neg_lr[1], D)
                if g_sq is not None and not (l1 or l2):
                    # ΣΔᵢ² ≤ η²·‖G‖²·(1 + 2⁻⁵²)², the caller's ‖G‖² rounded by less than a factor 2:
                    # a bound without a pass over Δ (NaN or ∞ fail the test below, as they should)
                    change_sq = 4.0 * lr * lr * g_sq
            else:
                opt_step(G, S, hyper, t, D, S_new, work)
            for i, mask in masks:
                multiply(d[2 * i], mask, d[2 * i])
            for i in unbiased:
                d[i].fill(0.0)
            if change_sq is None:
                change_sq = vdot(D, D)
            if p_finite and isfinite(loss_before) and change_sq <= bound:
                add(P, D, P)
            else:
                add(P, D, Q)
                if not isfinite(loss_before + reduce(Q)):
                    self.refused_loss = loss_before
                    return None
                copyto(P, Q)
            for key, arr in new_state:
                copyto(S[key], arr)
            state["t"] = t
            return loss_before

        return apply

    def grad_norms(self) -> list[float]:
        """‖∂E/∂Wˡ‖ (Frobenius) per weight layer, of the gradient just applied."""
        return [math.sqrt(float(np.vdot(g, g))) for g in self.gW]

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self,
        X: np.ndarray,
        T: np.ndarray,
        loss_name: str,
        unit_rows: bool,
        counter: Callable[[np.ndarray, slice], int] | None,
    ) -> tuple[float, int | None]:
        """(Σₓ Eₓ, number correct or None) of the bound network on (X, T), block by block through
        reused arrays. ``counter(o, rows)`` counts the correct outputs of a block (None: regression)."""
        n = X.shape[0]
        loss = get_loss(loss_name)
        fused = loss.name == "cce" and self.acts[-1].name == "softmax"
        block = min(n, EVAL_BLOCK)
        fr = self.frame(block)
        forward, WT, b = self.forwards, self.WT, self.b
        last = self.n_layers - 1
        total = 0.0
        correct = 0
        dot, add = np.dot, np.add
        for start in range(0, n, block):
            end = min(start + block, n)
            m = end - start
            if m == block:  # a whole block (for a small set, the only one): the frame's own arrays
                zs, as_ = fr.z, fr.a
                a, Tb = (X, T) if m == n else (X[start:end], T[start:end])
            else:
                zs, as_ = [z[:m] for z in fr.z], [a[:m] for a in fr.a]
                a, Tb = X[start:end], T[start:end]
            for i in range(last):
                z = zs[i]
                dot(a, WT[i], z)
                add(z, b[i], z)
                a = forward[i](z, as_[i])
            z, a_out = zs[last], as_[last]
            dot(a, WT[last], z)
            add(z, b[last], z)
            if fused:
                zmax, ssum = softmax_parts(z, a_out)
                a = np.divide(a_out, ssum, out=a_out)
                total += CategoricalCrossEntropy.total_from_parts(zmax, ssum, Tb, z, unit_rows)
            else:
                a = forward[last](z, a_out)
                total += loss._total(a, Tb, z, unit_rows)
            if counter is not None:
                correct += counter(a, slice(start, end))
        return total, (correct if counter is not None else None)
