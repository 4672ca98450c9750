"""Build the walkthrough of a training step from the engine's trace: one line per computation.

Every value printed as a line's result is read from the :class:`~bpstudio.engine.StepTrace` (z, a,
f′(z), δ, the errors, ∂E/∂w, Δw, the weights after, the optimiser state). This module only writes the
formula and puts the trace's numbers into it; it never recomputes a result. Lines appear only for the
stages the trace has reached, so a micro-step in progress shows the lines computed so far.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ..engine import Network, StepTrace, TrainConfig, get_activation
from .expr import Expr, Neg, Num, Prod, Sub, Sum, Sym, Text, const
from .forms import (
    activation_form,
    derivative_form,
    fprime_symbol,
    output_beta_form,
    output_delta_form,
    sample_loss_form,
)
from .model import Line, Ref, Walkthrough, error_key, neuron_key
from .notation import Notation, Symbols, batch_cost
from .numbers import format_number
from .updates import gradient_lines, update_lines

#: a sum with more terms than this prints its first terms, "…" and its last term
MAX_TERMS = 12
#: weight layers with more parameters than this list only this many in the gradient/update lines
MAX_WEIGHTS = 400

SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


class Builder:
    """Holds the trace, the network's masks and the notation while the lines are written."""

    def __init__(
        self,
        trace: StepTrace,
        network: Network | None,
        config: TrainConfig | None,
        notation: Notation,
        max_terms: int = MAX_TERMS,
        max_weights: int = MAX_WEIGHTS,
    ) -> None:
        self.tr = trace
        self.config = config
        self.n = notation
        self.L = len(trace.layers) - 1
        self.sym = Symbols(notation, self.L, [r.size for r in trace.layers])
        self.sign = notation.sign
        self.max_terms = max(3, max_terms)
        self.max_weights = max_weights
        self.m = trace.batch_size
        self.masks: list[np.ndarray | None] = [None] * self.L
        #: whether each weight layer adds biases (a layer without them has no bias term or lines)
        self.biased: list[bool] = [True] * self.L
        if network is not None and [w.shape for w in network.weights] == [
            u.W_before.shape for u in trace.updates
        ]:
            self.masks = list(network.masks)
            self.biased = list(network.use_bias)
        self.lines: list[Line] = []
        self.notes: list[str] = []
        #: the samples' errors are written E₁, E₂, … when a batch loss line sums them
        self.per_sample_errors = self.m > 1 or bool(trace.penalty)

    # -------------------------------------------------------------- helpers
    def done(self, stage: str) -> bool:
        return stage in self.tr.stages_done

    def present(self, wl: int, j: int, k: int) -> bool:
        m = self.masks[wl]
        return True if m is None else bool(m[j, k])

    def connected(self, wl: int, n: int, row: int | None = None, col: int | None = None) -> Sequence[int]:
        """The indices of weight layer ``wl``'s connections that are present along its ``row`` (a
        neuron's inputs) or ``col`` (a neuron's outputs); ``n`` is that line's length."""
        m = self.masks[wl]
        if m is None:
            return range(n)
        return np.flatnonzero(m[row] if row is not None else m[:, col]).tolist()

    def shown(self, n: int, lead: int = 0) -> tuple[list[int], bool]:
        """Which of a sum's ``n`` terms (after ``lead`` fixed ones) are printed, and whether some are
        left out: the first ones and the last, :attr:`max_terms` in all with the "…", so that only those
        are written (a neuron with 4,096 inputs is 4,096 terms, of which a dozen are shown)."""
        if lead + n <= self.max_terms:
            return list(range(n)), False
        return [*range(max(self.max_terms - 2 - lead, 0)), n - 1], True

    def with_gap(self, terms: list[Expr], elided: bool) -> list[Expr]:
        """``terms`` as printed: "…" before the last one when some were left out."""
        return [*terms[:-1], Text("…"), terms[-1]] if elided else terms

    def refs_for(self, indices: Sequence[int], shown: list[int]) -> Sequence[int]:
        """The connections a line points at on the canvas: all of them, or, past :attr:`max_weights`
        (a layer drawn as a block anyway), those its sum prints."""
        return indices if len(indices) <= self.max_weights else [indices[i] for i in shown]

    def fmt(self, x: float) -> str:
        return format_number(x, self.n.digits)

    def group_prefix(self, sample: int | None, multi: bool) -> str:
        return f"Sample {sample + 1}, " if (multi and sample is not None) else ""

    def layer_name(self, layer: int) -> str:
        return str(self.sym.layer(layer))

    def wname(self, wl: int) -> str:
        return "W" + f"({self.sym.weight_layer(wl)})".translate(SUP)

    def a_num(self, layer: int, k: int, p: int) -> Num:
        """The activation (or input) k of ``layer`` for sample p, as a referenced number."""
        value = float(self.tr.layers[layer].a[p, k])  # type: ignore[index]
        key = f"x[{k}]@{p}" if layer == 0 else neuron_key("a", layer, k, p)
        return Num(value, key, self.sym.a(layer, k))

    def delta_num(self, layer: int, j: int, p: int) -> Num:
        """δ (Δ = −δ) of a neuron as the notation shows it; β = −∂E/∂o in the output-error notation."""
        rec = self.tr.layers[layer]
        source = rec.dE_da if self.n.beta else rec.delta
        value = self.sign * float(source[p, j])  # type: ignore[index]
        return Num(value, neuron_key("delta", layer, j, p), self.sym.delta(layer, j))

    def beta_form(self, layer: int) -> bool:
        """Whether the output-error notation writes this layer with β and f′ (element-wise units
        trained by backpropagation; a softmax layer and the perceptron rule write the δ form)."""
        act = self.tr.layers[layer].activation or "identity"
        return self.n.beta and act != "softmax" and self.tr.rule != "perceptron"

    def fprime_parts(self, layer: int, j: int, p: int) -> tuple[Num, Expr]:
        act = self.tr.layers[layer].activation or "identity"
        fsym = fprime_symbol(act, self.sym.z(layer, j))
        value = float(self.tr.layers[layer].fprime[p, j])  # type: ignore[index]
        return Num(value, neuron_key("fprime", layer, j, p), fsym), fsym

    def scale_const(self) -> Num | None:
        s = self.tr.scale
        if s == 1.0:
            return None
        m = round(1.0 / s)
        if m >= 1 and abs(m * s - 1.0) < 1e-12:
            return const(s, f"(1/{m})")
        return Num(s)

    # -------------------------------------------------------------- forward
    def forward(self, p: int, multi: bool) -> Iterator[None]:
        """The forward lines of sample ``p`` (z, a, f′ of each neuron), pausing after each neuron."""
        tr = self.tr
        for layer in range(1, self.L + 1):
            if not self.done(f"forward {layer}"):
                return
            rec = tr.layers[layer]
            act = rec.activation or "identity"
            group = f"{self.group_prefix(p, multi)}Forward: layer {self.layer_name(layer)}"
            wl = layer - 1
            up = tr.updates[wl]
            zs = rec.z
            if zs is None:  # this layer's forward stage has not run yet
                return
            z_nums = [
                (
                    Num(float(zs[p, j]), neuron_key("z", layer, j, p), self.sym.z(layer, j)),
                    self.sym.z(layer, j),
                )
                for j in range(rec.size)
            ]
            for j in range(rec.size):
                self.lines.append(self.z_line(layer, j, p, group, up.W_before, up.b_before))
                z = float(zs[p, j])
                z_num, z_sym = z_nums[j]
                formula, subst, note = activation_form(act, z, z_num, z_sym, z_nums)
                refs: tuple[Ref, ...] = (Ref("neuron", layer, j),)
                if act == "softmax":
                    refs = tuple(Ref("neuron", layer, i) for i in range(rec.size))
                self.lines.append(
                    Line(
                        key=neuron_key("a", layer, j, p),
                        kind="a",
                        group=group,
                        layer=layer,
                        lhs=self.sym.a(layer, j),
                        formula=formula,
                        substituted=subst,
                        value=float(rec.a[p, j]),  # type: ignore[index]
                        refs=refs,
                        note=note,
                        sample=p,
                    )
                )
                if get_activation(act).trainable:
                    a_num = Num(float(rec.a[p, j]), neuron_key("a", layer, j, p), self.sym.a(layer, j))  # type: ignore[index]
                    formula, subst, note = derivative_form(act, z, z_num, z_sym, a_num, self.sym.a(layer, j))
                    self.lines.append(
                        Line(
                            key=neuron_key("fprime", layer, j, p),
                            kind="fprime",
                            group=group,
                            layer=layer,
                            lhs=fprime_symbol(act, z_sym),
                            formula=formula,
                            substituted=subst,
                            value=float(rec.fprime[p, j]),  # type: ignore[index]
                            refs=(Ref("neuron", layer, j),),
                            note=note,
                            sample=p,
                        )
                    )
                yield

    def z_line(self, layer: int, j: int, p: int, group: str, W: np.ndarray, b: np.ndarray) -> Line:
        """zⱼ⁽ˡ⁾ = wⱼ₀·x₀ + Σₖ wⱼₖ·aₖ (or bⱼ + Σₖ wⱼₖ·aₖ) with the weights before the update."""
        wl = layer - 1
        sym = self.sym
        n_prev = W.shape[1]
        f_terms: list[Expr] = []
        n_terms: list[Expr] = []
        refs = [Ref("neuron", layer, j)]
        if self.biased[wl]:
            bs = self.n.bias_sign  # W₀ = −b on an input of −1
            bias_num = Num(bs * float(b[j]), f"b[{wl},{j}]", sym.w(wl, j, None))
            if self.n.bias != "b":
                f_terms.append(Prod([sym.w(wl, j, None), sym.bias_input(wl)]))
                n_terms.append(Prod([bias_num, Num(bs)]))
            else:
                f_terms.append(sym.w(wl, j, None))
                n_terms.append(bias_num)
            refs.append(Ref("bias", wl, j))
        ks = self.connected(wl, n_prev, row=j)
        shown, elided = self.shown(len(ks), lead=len(f_terms))
        for i in shown:
            k = ks[i]
            f_terms.append(Prod([sym.w(wl, j, k), sym.a(wl, k)]))
            n_terms.append(
                Prod([Num(float(W[j, k]), f"w[{wl},{j},{k}]", sym.w(wl, j, k)), self.a_num(wl, k, p)])
            )
        for k in self.refs_for(ks, shown):
            refs.append(Ref("edge", wl, j, k))
            refs.append(Ref("neuron", wl, k))
        if not f_terms:  # no bias and every connection removed: z = 0
            f_terms, n_terms = [const(0.0, "0")], [const(0.0, "0")]
        f_terms, n_terms = self.with_gap(f_terms, elided), self.with_gap(n_terms, elided)
        return Line(
            key=neuron_key("z", layer, j, p),
            kind="z",
            group=group,
            layer=layer,
            lhs=sym.z(layer, j),
            formula=Sum(f_terms) if len(f_terms) > 1 else f_terms[0],
            substituted=Sum(n_terms) if len(n_terms) > 1 else n_terms[0],
            value=float(self.tr.layers[layer].z[p, j]),  # type: ignore[index]
            refs=tuple(refs),
            elided=elided,
            sample=p,
        )

    # -------------------------------------------------------------- loss
    def outputs(self, p: int) -> list[tuple[Num, Sym, Num, Sym]]:
        rec = self.tr.layers[self.L]
        out = []
        for j in range(rec.size):
            an = Num(float(rec.a[p, j]), neuron_key("a", self.L, j, p), self.sym.a(self.L, j))  # type: ignore[index]
            tn = Num(float(self.tr.targets[p, j]), f"t[{j}]@{p}", self.sym.target(j))
            out.append((an, self.sym.a(self.L, j), tn, self.sym.target(j)))
        return out

    def sample_loss(self, p: int, multi: bool) -> None:
        tr = self.tr
        if not self.done("loss") or tr.loss_per_sample is None:
            return
        formula, subst = sample_loss_form(tr.loss, self.outputs(p))
        self.lines.append(
            Line(
                key=error_key(p),
                kind="E",
                group=f"{self.group_prefix(p, multi)}Error",
                layer=self.L,
                lhs=self.sym.error(p if self.per_sample_errors else None),
                formula=formula,
                substituted=subst,
                value=float(tr.loss_per_sample[p]),
                refs=tuple(Ref("neuron", self.L, j) for j in range(tr.layers[self.L].size)),
                sample=p,
            )
        )

    def batch_loss(self) -> None:
        tr = self.tr
        if not self.done("loss") or tr.loss_per_sample is None or tr.loss_before is None:
            return
        if self.m == 1 and not tr.penalty:
            return
        s = self.scale_const()
        shown, elided = self.shown(self.m)  # a full batch may be thousands of samples
        f_terms: list[Expr] = [self.sym.error(q) for q in shown]
        n_terms: list[Expr] = [
            Num(float(tr.loss_per_sample[q]), error_key(q), self.sym.error(q)) for q in shown
        ]
        f_terms, n_terms = self.with_gap(f_terms, elided), self.with_gap(n_terms, elided)
        f: Expr = Sum(f_terms) if len(f_terms) > 1 else f_terms[0]
        n: Expr = Sum(n_terms) if len(n_terms) > 1 else n_terms[0]
        if s is not None:
            f = Prod([s, f])
            n = Prod([s, n])
        note = ""
        if tr.penalty:
            f = Sum([f, Sym("penalty")])
            n = Sum([n, Num(float(tr.penalty))])
            note = "penalty = s·[(λ₂/2)·Σw² + λ₁·Σ|w|] over the weights, not the biases"
        self.lines.append(
            Line(
                key=error_key(None),
                kind="E",
                group="Batch loss",
                layer=self.L,
                lhs=self.sym.error(None),
                formula=f,
                substituted=n,
                value=float(tr.loss_before),
                refs=tuple(Ref("neuron", self.L, j) for j in range(tr.layers[self.L].size)),
                note=note,
                elided=elided,
            )
        )

    # -------------------------------------------------------------- backward (δ)
    def deltas(self, p: int, multi: bool) -> Iterator[None]:
        """The δ lines of sample ``p``, output layer first, pausing after each neuron."""
        tr = self.tr
        for layer in range(self.L, 0, -1):
            if not self.done(f"backward {layer}"):
                return
            rec = tr.layers[layer]
            group = f"{self.group_prefix(p, multi)}Backward: layer {self.layer_name(layer)}"
            act = rec.activation or "identity"
            outs = self.outputs(p) if layer == self.L else []  # once per layer, not once per neuron
            for j in range(rec.size):
                refs: list[Ref] = [Ref("neuron", layer, j)]
                formula: Expr
                subst: Expr
                if layer == self.L and tr.rule == "perceptron":
                    an, asym, tn, ts = outs[j]
                    if self.n.error_signal:
                        formula, subst = Sub(ts, asym), Sub(tn, an)
                    else:
                        formula, subst = Sub(asym, ts), Sub(an, tn)
                    note = "the perceptron rule: the error itself, no f′ (a threshold unit has none)"
                    elided = False
                elif layer == self.L and self.beta_form(layer):
                    formula, subst = output_beta_form(tr.loss, j, outs)
                    note, elided = "the error at the output, before the slope", False
                elif layer == self.L:
                    fp = None if act == "softmax" else self.fprime_parts(layer, j, p)
                    formula, subst, note = output_delta_form(
                        tr.loss,
                        act,
                        j,
                        outs,
                        fp,
                        self.n.error_signal,
                        float(np.sum(tr.targets[p])),
                    )
                    elided = False
                    if act == "softmax":
                        refs = [Ref("neuron", layer, i) for i in range(rec.size)]
                elif self.beta_form(layer):
                    formula, subst, elided = self.hidden_beta(layer, j, p, refs)
                    note = ""
                else:
                    formula, subst, elided = self.hidden_delta(layer, j, p, refs)
                    note = ""
                self.lines.append(
                    Line(
                        key=neuron_key("delta", layer, j, p),
                        kind="delta",
                        group=group,
                        layer=layer,
                        lhs=self.sym.delta(layer, j),
                        formula=formula,
                        substituted=subst,
                        value=self.delta_num(layer, j, p).value,
                        refs=tuple(refs),
                        note=note,
                        elided=elided,
                        sample=p,
                    )
                )
                yield

    def hidden_beta(self, layer: int, j: int, p: int, refs: list[Ref]) -> tuple[Expr, Expr, bool]:
        """βⱼ = Σₖ wₖⱼ·f′(zₖ)·βₖ over the next layer (the weights before the update): 000's recursion."""
        W = self.tr.updates[layer].W_before
        nxt = layer + 1
        f_terms: list[Expr] = []
        n_terms: list[Expr] = []
        softmax_next = not self.beta_form(nxt)
        ks = self.connected(layer, W.shape[0], col=j)
        shown, elided = self.shown(len(ks))
        for i in shown:
            k = ks[i]
            wsym = self.sym.w(layer, k, j)
            wnum = Num(float(W[k, j]), f"w[{layer},{k},{j}]", wsym)
            if softmax_next:  # the next layer is written with −δ: β = Σₖ wₖⱼ·(−δₖ)
                dval = -float(self.tr.layers[nxt].delta[p, k])  # type: ignore[index]
                dsym = Sym("δ", self.sym.delta(nxt, k).sub, self.sym.delta(nxt, k).sup)
                f_terms.append(Prod([wsym, Neg(dsym)]))
                n_terms.append(Prod([wnum, Num(dval)]))
            else:
                fp_num, fp_sym = self.fprime_parts(nxt, k, p)
                f_terms.append(Prod([wsym, fp_sym, self.sym.delta(nxt, k)]))
                n_terms.append(Prod([wnum, fp_num, self.delta_num(nxt, k, p)]))
        for k in self.refs_for(ks, shown):
            refs.append(Ref("edge", layer, k, j))
            refs.append(Ref("neuron", nxt, k))
        if not f_terms:
            return const(0.0, "0"), const(0.0, "0"), False
        f_terms, n_terms = self.with_gap(f_terms, elided), self.with_gap(n_terms, elided)
        if len(f_terms) == 1:
            return f_terms[0], n_terms[0], elided
        return Sum(f_terms), Sum(n_terms), elided

    def hidden_delta(self, layer: int, j: int, p: int, refs: list[Ref]) -> tuple[Expr, Expr, bool]:
        """δⱼ⁽ˡ⁾ = f′(zⱼ⁽ˡ⁾)·Σₖ wₖⱼ⁽ˡ⁾·δₖ⁽ˡ⁺¹⁾ with the weights before the update."""
        W = self.tr.updates[layer].W_before
        fp_num, fp_sym = self.fprime_parts(layer, j, p)
        f_terms: list[Expr] = []
        n_terms: list[Expr] = []
        ks = self.connected(layer, W.shape[0], col=j)
        shown, elided = self.shown(len(ks))
        for i in shown:
            k = ks[i]
            wsym = self.sym.w(layer, k, j)
            f_terms.append(Prod([wsym, self.sym.delta(layer + 1, k)]))
            n_terms.append(
                Prod([Num(float(W[k, j]), f"w[{layer},{k},{j}]", wsym), self.delta_num(layer + 1, k, p)])
            )
        for k in self.refs_for(ks, shown):
            refs.append(Ref("edge", layer, k, j))
            refs.append(Ref("neuron", layer + 1, k))
        if not f_terms:
            return Prod([fp_sym, const(0.0, "0")]), Prod([fp_num, const(0.0, "0")]), False
        f_terms, n_terms = self.with_gap(f_terms, elided), self.with_gap(n_terms, elided)
        if len(f_terms) == 1:
            return (
                Prod([fp_sym, *f_terms[0].factors]),  # type: ignore[attr-defined]
                Prod([fp_num, *n_terms[0].factors]),  # type: ignore[attr-defined]
                elided,
            )
        return Prod([fp_sym, Sum(f_terms)]), Prod([fp_num, Sum(n_terms)]), elided

    # -------------------------------------------------------------- all
    def steps(self, samples: Sequence[int]) -> Iterator[None]:
        """Write the lines of ``samples`` into :attr:`lines`, pausing (``yield``) after each neuron
        and each layer's gradients and updates: a caller can spread a wide network's walkthrough
        (a layer of 4,096 neurons is some 19,000 lines) over turns of an event loop."""
        multi = len(samples) > 1
        for p in samples:
            if not 0 <= p < self.m:
                raise ValueError(f"sample {p + 1} is not in this step (it has {self.m})")
        for p in samples:
            yield from self.forward(p, multi)
            self.sample_loss(p, multi)
        self.batch_loss()
        for p in samples:
            yield from self.deltas(p, multi)
        for layer in range(self.L, 0, -1):
            if self.done(f"backward {layer}"):
                self.lines.extend(gradient_lines(self, layer - 1))
                yield
        if self.done("update"):
            if self.tr.applied:
                for wl in range(self.L):
                    self.lines.extend(update_lines(self, wl))
                    yield
            else:
                self.notes.append(
                    "This sample's gradients were added to its mini-batch's total; the weights change "
                    "after the last sample of the batch."
                )


def header_lines(
    trace: StepTrace, notation: Notation, samples: Sequence[int], config: TrainConfig | None
) -> list[str]:
    """Plain-text facts for the top of a walkthrough: samples, inputs, targets, loss, optimiser."""
    d = notation.digits
    out = []
    for p in samples:
        x = ", ".join(format_number(float(v), d) for v in trace.inputs[p])
        t = ", ".join(format_number(float(v), d) for v in trace.targets[p])
        which = f"Sample {p + 1} of {trace.batch_size} (training sample {trace.sample_indices[p] + 1})"
        out.append(f"{which}: x = ({x}), t = ({t})")
    from ..engine import get_loss, get_optimiser

    loss = get_loss(trace.loss)
    red = "mean" if trace.reduction == "mean" else "sum"
    out.append(
        f"Loss: {loss.label}, {notation.letters_text(loss.formula)}; batch reduction: {red} over "
        f"{trace.batch_size} sample(s)"
    )
    scaled = batch_cost(trace.loss, trace.reduction, notation)
    if scaled:
        out.append(f"Cost over the batch: {scaled}")
    opt = get_optimiser(trace.optimiser)
    params = ", ".join(f"{k} = {format_number(v, d)}" for k, v in trace.optimiser_params.items())
    out.append(f"Optimiser: {opt.label} ({notation.letters_text(opt.formula)}); {params}")
    if config is not None and (config.l1 or config.l2):
        out.append(f"Regularisation: λ₁ = {format_number(config.l1, d)}, λ₂ = {format_number(config.l2, d)}")
    if trace.rule == "perceptron":
        n = notation
        tl, ol, dl = n.target, n.act, n.signal_letter
        signal = f"{dl} = {tl} − {ol}" if n.error_signal else f"{dl} = {ol} − {tl}"
        out.append(
            "Learning rule: the perceptron rule for a layer of threshold units, "
            f"w ← w + {n.lr}·({tl} − {ol})·x ({signal}: the error itself stands in for the missing f′)"
        )
    out.append(f"Notation: {notation.describe()}")
    return out


def build_walkthrough(
    trace: StepTrace,
    network: Network | None = None,
    config: TrainConfig | None = None,
    notation: Notation | None = None,
    samples: Sequence[int] | None = None,
    title: str = "",
    max_terms: int = MAX_TERMS,
    max_weights: int = MAX_WEIGHTS,
) -> Walkthrough:
    """The walkthrough of ``trace`` for the given sample positions (default: the first sample).

    ``network`` supplies the connection masks (removed connections are left out of the sums);
    ``config`` the regularisation strengths. Gradient and update lines cover the whole batch.
    """
    *_pauses, w = walkthrough_steps(trace, network, config, notation, samples, title, max_terms, max_weights)
    assert w is not None  # (the steps end with the walkthrough)
    return w


def walkthrough_steps(
    trace: StepTrace,
    network: Network | None = None,
    config: TrainConfig | None = None,
    notation: Notation | None = None,
    samples: Sequence[int] | None = None,
    title: str = "",
    max_terms: int = MAX_TERMS,
    max_weights: int = MAX_WEIGHTS,
) -> Iterator[Walkthrough | None]:
    """:func:`build_walkthrough` a piece at a time: ``None`` after each neuron's lines (and each
    layer's gradients and updates), then the walkthrough itself, last."""
    notation = notation or Notation()
    samples = [0] if samples is None else [int(p) for p in samples]
    b = Builder(trace, network, config, notation, max_terms, max_weights)
    for _ in b.steps(samples):
        yield None
    yield Walkthrough(
        lines=b.lines,
        notation=notation,
        title=title,
        header=header_lines(trace, notation, samples, config),
        notes=b.notes,
        samples=samples,
    )
