"""What the δ/Δw table shows, read out of a StepTrace (Qt-free; the Qt models only format these arrays).

Two tables:

* neurons: one row per neuron of every layer, columns z, a, f′(z), δ (or Δ = −δ in the error-signal
  notation), ∂E/∂b (or −∂E/∂b) and Δb, for one sample of the batch or the mean over the batch;
* weights: one row per connection and per bias, columns w before, ∂E/∂w (or −∂E/∂w), Δw, w after.

Numbers not computed yet (a micro-step in progress, or no step at all) are NaN and shown blank. The
notation's signs and labels come from the :class:`~bpstudio.teaching.presenter.TracePresenter` the
tables are read from, the same one the canvas, inspector and walkthrough use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..engine import get_loss, get_optimiser
from .presenter import TracePresenter


@dataclass
class TableData:
    """Rows of one table: integer keys (layer, index, frm) and a float matrix of values (NaN = blank).

    Neurons: ``layer`` is the neuron layer (0 = input), ``index`` the neuron, ``frm`` −1.
    Weights: ``layer`` is the weight layer, ``index`` the target neuron, ``frm`` the source neuron or
    −1 for the bias.
    """

    kind: str
    columns: list[str]
    tooltips: list[str]
    layer: np.ndarray
    index: np.ndarray
    frm: np.ndarray
    values: np.ndarray
    #: the text shown above the table (what the numbers are, in which notation)
    caption: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return int(self.layer.shape[0])


def _nan(n: int) -> np.ndarray:
    return np.full(n, np.nan)


def _pick(arr: np.ndarray | None, sample: int | None, n: int) -> np.ndarray:
    """One sample's row (or the batch mean) of an (m, n) trace array; NaN when not computed."""
    if arr is None:
        return _nan(n)
    if sample is None:
        return np.asarray(arr, dtype=np.float64).mean(axis=0)
    return np.asarray(arr[sample], dtype=np.float64)


def _vec(arr: np.ndarray | None, n: int) -> np.ndarray:
    return _nan(n) if arr is None else np.asarray(arr, dtype=np.float64).reshape(-1)


def neuron_columns(p: TracePresenter) -> tuple[list[str], list[str]]:
    """Column titles and tooltips of the neuron table."""
    d = p.label("delta")
    grad_b = p.label("grad_b")
    if not p.notation.error_signal:
        delta_tip = (
            "δ = ∂Eₓ/∂z of this neuron. Output layer: δ = f′(z)·∂Eₓ/∂o (o − t for cross-entropy with "
            "sigmoid/softmax); hidden layer: δⱼ = f′(zⱼ)·Σᵢ wᵢⱼ·δᵢ"
        )
    elif p.notation.beta:
        delta_tip = (
            "β = −∂Eₓ/∂o of this neuron: the error at its output, before the slope. Output layer: β = t − o "
            "for ½Σ(t − o)²; hidden layer: βⱼ = Σᵢ wᵢⱼ·f′(zᵢ)·βᵢ; then −∂E/∂wⱼₖ = s·Σₓ oₖ·f′(zⱼ)·βⱼ"
        )
    else:
        delta_tip = (
            "Δ = −∂Eₓ/∂z of this neuron (the error signal). Output layer: Δ = (t − o)·f′(z) for ½Σ(t − o)²; "
            "hidden layer: Δⱼ = f′(zⱼ)·Σᵢ wᵢⱼ·Δᵢ"
        )
    n = p.notation
    z, a = n.net, n.act
    delta_tip = n.letters_text(delta_tip)
    if n.signal != "auto":
        delta_tip = delta_tip.replace("δ", d).replace("Δ", d)
    cols = [z, a, f"f′({z})", d, grad_b, p.label("change_b")]
    tips = [
        f"net input {z} = Σₖ wⱼₖ·{a}ₖ + bⱼ",
        f"activation {a} = f({z}) (the input xₖ in the input layer)",
        f"slope of the activation at {z}",
        delta_tip,
        f"{grad_b} = {'−' if n.bias_sign < 0 else ''}s·Σₓ {d} over the batch (s = 1/m for the mean "
        "reduction, 1 for the sum)" + (": the bias is W₀ on x₀ = −1, W₀ = −b" if n.bias_sign < 0 else ""),
        f"the change the optimiser applied: {p.label('change_b')[1:]} ← {p.label('change_b')[1:]} + "
        f"{p.label('change_b')}",
    ]
    return cols, tips


def weight_columns(p: TracePresenter) -> tuple[list[str], list[str]]:
    """Column titles and tooltips of the weight table."""
    grad_w = p.label("grad_w")
    d = p.label("delta_j")
    optimiser = p.trace.optimiser if p.trace is not None else None
    opt = get_optimiser(optimiser).formula if optimiser else "Δw = −η·∂E/∂w for gradient descent"
    opt = p.notation.letters_text(opt)
    cols = ["w before", grad_w, "Δw", "w after"]
    tips = [
        "the weight before the update",
        f"{grad_w} = s·Σₓ {d}·aₖ over the batch (+ the L1/L2 penalty's gradient); for a bias aₖ = 1",
        f"the change applied by the optimiser: {opt}",
        "w after = w before + Δw",
    ]
    return cols, tips


def neuron_table(p: TracePresenter, sample: int | None = 0) -> TableData:
    """Neuron rows for ``sample`` (an index into the trace's batch) or the batch mean (None)."""
    trace = p.trace
    sizes = p.network.sizes
    layer = np.repeat(np.arange(len(sizes)), sizes)
    index = np.concatenate([np.arange(n) for n in sizes])
    cols, tips = neuron_columns(p)
    n = layer.shape[0]
    values = np.full((n, len(cols)), np.nan)
    if trace is not None:
        m = trace.batch_size
        if sample is not None and not 0 <= sample < m:
            sample = 0
        start = 0
        for li, rec in enumerate(trace.layers):
            size = rec.size
            rows = slice(start, start + size)
            values[rows, 0] = _pick(rec.z, sample, size)
            values[rows, 1] = _pick(rec.a, sample, size)
            values[rows, 2] = _pick(rec.fprime, sample, size)
            values[rows, 3] = _pick(p.delta(li), sample, size)
            if li > 0 and p.network.use_bias[li - 1]:  # a layer without biases: no ∂E/∂b, Δb
                up = p.update(li - 1)
                values[rows, 4] = _vec(p.grad_b(li - 1), size)
                values[rows, 5] = _vec(None if up is None else p.bias_values(up.delta_b), size)
            start += size
    return TableData("neurons", ["Layer", "Neuron", *cols], ["", "", *tips], layer, index, _minus1(n), values)


def _minus1(n: int) -> np.ndarray:
    return np.full(n, -1, dtype=np.int64)


def weight_table(p: TracePresenter) -> TableData:
    """One row per present connection, then the biases, weight layer by weight layer."""
    network = p.network
    cols, tips = weight_columns(p)
    layers, idx, frm, blocks = [], [], [], []
    for l in range(network.n_layers):
        n_out, n_in = network.weights[l].shape
        mask = network.masks[l]
        jj, kk = np.nonzero(mask) if mask is not None else np.indices((n_out, n_in)).reshape(2, -1)
        jj = jj.astype(np.int64)
        kk = kk.astype(np.int64)
        up = p.update(l)
        arrays_w: list[np.ndarray | None] = [network.weights[l], None, None, None]
        arrays_b: list[np.ndarray | None] = [p.bias_values(network.biases[l]), None, None, None]
        if up is not None:
            arrays_w = [up.W_before, p.grad_W(l), up.delta_W, up.W_after]
            arrays_b = [
                p.bias_values(up.b_before),
                p.grad_b(l),
                p.bias_values(up.delta_b),
                p.bias_values(up.b_after),
            ]
        n_b = n_out if network.use_bias[l] else 0  # a layer without biases has no bias rows
        block = np.full((jj.size + n_b, 4), np.nan)
        for c, (aw, ab) in enumerate(zip(arrays_w, arrays_b)):
            if aw is not None:
                block[: jj.size, c] = np.asarray(aw)[jj, kk]
            if ab is not None and n_b:
                block[jj.size :, c] = np.asarray(ab).reshape(-1)
        layers.append(np.full(jj.size + n_b, l, dtype=np.int64))
        idx.append(np.concatenate([jj, np.arange(n_b, dtype=np.int64)]))
        frm.append(np.concatenate([kk, _minus1(n_b)]))
        blocks.append(block)
    return TableData(
        "weights",
        ["From", "To", "Weight", *cols],
        ["source neuron (bias: the constant input 1)", "target neuron", "", *tips],
        np.concatenate(layers),
        np.concatenate(idx),
        np.concatenate(frm),
        np.vstack(blocks),
    )


def caption(p: TracePresenter) -> str:
    """What the numbers are: samples, loss, reduction and notation."""
    trace = p.trace
    if trace is None:
        return (
            f"No step yet: take a step (or a micro-step) to see every z, a, f′(z), {p.label('delta')} and Δw."
        )
    loss = get_loss(trace.loss)
    n = trace.batch_size
    # samples are numbered from 1 on screen (the CLI's --samples counts from 0)
    samples = ", ".join(str(i + 1) for i in trace.sample_indices[:8]) + ("…" if n > 8 else "")
    red = f"s = 1/m = 1/{n}" if trace.reduction == "mean" else "s = 1"
    done = p.names.stage(trace.stages_done[-1]) if trace.stages_done else "nothing computed yet"
    if p.is_preview:
        return (
            f"Forward pass of sample {samples} with the current weights (no step yet: take a step to see "
            f"{p.label('delta')}, {p.label('grad_w')} and Δw)"
        )
    parts = [
        f"Sample{'s' if n > 1 else ''} {samples}",
        f"{loss.label}: {loss.formula}, E = s·Σₓ Eₓ ({red})",
        f"last stage: {done}",
    ]
    if trace.loss_before is not None:
        parts.append(f"E = {trace.loss_before:.6g}")
    if trace.loss_after is not None:
        parts.append(f"after the update E = {trace.loss_after:.6g}")
    return " · ".join(parts)
