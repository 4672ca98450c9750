"""Walkthrough lines of the gradients ∂E/∂w and of the optimiser's update, from the trace.

Gradient: ∂E/∂wⱼₖ = s·Σₓ aₖ·δⱼ (+ s·(λ₂·w + λ₁·sign w) once the update has added the penalty), with
s the batch reduction factor. In the error-signal notation the same line is −∂E/∂wⱼₖ = s·Σₓ aₖ·Δⱼ.
Update: each optimiser's own rule, with its state before (from the trace) and after, then w ← w + Δw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.regularisation import penalty_grad
from .expr import Div, Expr, Func, Neg, Num, Pow, Prefixed, Prod, Sub, Sum, Sym, const
from .model import Line, Ref, weight_key
from .numbers import format_exact

if TYPE_CHECKING:
    from .walkthrough import Builder

RHO, EPS = Sym("ρ"), Sym("ε")
BETA1, BETA2, T = Sym("β", "1"), Sym("β", "2"), Sym("t")


def setting(value: float) -> Num:
    """A hyper-parameter, printed exactly as set (η = 0.5, β₂ = 0.999, ε = 1×10⁻⁸)."""
    return Num(float(value), text_=format_exact(value), boxed=True)


def _params(b: Builder, wl: int) -> list[tuple[int, int | None]]:
    """(j, k) of every present parameter of weight layer ``wl``, bias (k None) first, capped."""
    up = b.tr.updates[wl]
    n_out, n_in = up.W_before.shape
    mask = b.masks[wl]
    weights = int(np.count_nonzero(mask)) if mask is not None else n_out * n_in
    total = weights + (n_out if b.biased[wl] else 0)
    out: list[tuple[int, int | None]] = []
    for j in range(n_out):
        if len(out) >= b.max_weights:  # the rest are not listed: not enumerated either
            break
        if b.biased[wl]:
            out.append((j, None))
        out.extend((j, k) for k in b.connected(wl, n_in, row=j))
    if total > b.max_weights:
        note = (
            f"{b.wname(wl)} has {total:,} weights and biases: the gradient and update lines list only "
            f"the first {b.max_weights:,}."
        )
        if note not in b.notes:
            b.notes.append(note)
        out = out[: b.max_weights]
    return out


def _refs(wl: int, j: int, k: int | None) -> tuple[Ref, ...]:
    if k is None:
        return (Ref("bias", wl, j), Ref("neuron", wl + 1, j))
    return (Ref("edge", wl, j, k), Ref("neuron", wl, k), Ref("neuron", wl + 1, j))


def _reproducible(b: Builder, wl: int) -> bool:
    """Whether the trace's ∂E/∂W is this batch's s·Σₓ δᵀa (+ penalty): False for a gradient that the
    trainer accumulated over the earlier samples of a mini-batch (stepping sample by sample)."""
    tr = b.tr
    up = tr.updates[wl]
    A = tr.layers[wl].a
    D = tr.layers[wl + 1].delta
    if A is None or D is None or up.grad_W is None or up.grad_b is None:
        return False
    gw = tr.scale * (D.T @ A)
    gb = tr.scale * D.sum(axis=0)
    cfg = b.config
    if tr.applied and cfg is not None:
        pg = penalty_grad(up.W_before, cfg.l1, cfg.l2)
        if pg is not None:
            gw = gw + tr.scale * pg
    mask = b.masks[wl]
    if mask is not None:
        gw = gw * mask
    return bool(
        np.allclose(gw, up.grad_W, rtol=1e-9, atol=1e-12)
        and np.allclose(gb, up.grad_b, rtol=1e-9, atol=1e-12)
    )


def gradient_lines(b: Builder, wl: int) -> list[Line]:
    """∂E/∂w (or −∂E/∂w) of every parameter of weight layer ``wl``."""
    tr = b.tr
    up = tr.updates[wl]
    if up.grad_W is None or up.grad_b is None:
        return []
    sym = b.sym
    layer = wl + 1
    group = f"Gradients: {b.wname(wl)}"
    ok = _reproducible(b, wl)
    s = b.scale_const()
    cfg = b.config
    lines = []
    # the output-error notation writes −∂E/∂w = aₖ·f′(zⱼ)·βⱼ; for a softmax layer it writes aₖ·(−δⱼ)
    beta_f = b.beta_form(layer)
    minus_delta = b.n.beta and not beta_f and tr.rule != "perceptron"
    for j, k in _params(b, wl):
        gsym = sym.grad(wl, j, k)
        value = b.n.bias_sign * float(up.grad_b[j]) if k is None else float(up.grad_W[j, k])
        # the factors after aₖ: δⱼ; or f′(zⱼ)·βⱼ; or −δⱼ (a softmax layer in the output-error notation)
        dsyms: list[Expr] = [sym.delta(layer, j)]
        if beta_f:
            dsyms = [b.fprime_parts(layer, j, 0)[1], sym.delta(layer, j)]
        elif minus_delta:
            d0 = sym.delta(layer, j)
            dsyms = [Neg(Sym("δ", d0.sub, d0.sup))]
        lead: list[Expr] = []
        if k is not None:
            lead = [sym.a(wl, k)]
        elif b.n.bias != "b":
            lead = [sym.bias_input(wl)]
        f_one: Expr = Prod([*lead, *dsyms]) if len(lead) + len(dsyms) > 1 else dsyms[0]
        formula: Expr = Prefixed("Σₓ", f_one) if b.m > 1 else f_one
        n_terms: list[Expr] = []
        shown, elided = b.shown(b.m)  # only the samples the sum prints (a batch may hold thousands)
        for q in shown:
            dns: list[Expr] = [b.delta_num(layer, j, q)]
            if beta_f:
                dns = [b.fprime_parts(layer, j, q)[0], b.delta_num(layer, j, q)]
            elif minus_delta:
                dns = [Num(-float(tr.layers[layer].delta[q, j]))]  # type: ignore[index]
            nlead: list[Expr] = []
            if k is not None:
                nlead = [b.a_num(wl, k, q)]
            elif b.n.bias != "b":
                nlead = [Num(b.n.bias_sign)]
            n_terms.append(Prod([*nlead, *dns]) if len(nlead) + len(dns) > 1 else dns[0])
        n_terms = b.with_gap(n_terms, elided)
        subst: Expr = Sum(n_terms) if len(n_terms) > 1 else n_terms[0]
        if s is not None:
            formula = Prod([s, formula])
            subst = Prod([s, subst])
        note = ""
        if tr.applied and cfg is not None and k is not None and (cfg.l1 or cfg.l2):
            w = float(up.W_before[j, k])
            wsym = sym.w(wl, j, k)
            f_pen: list[Expr] = []
            n_pen: list[Expr] = []
            if cfg.l2:
                f_pen.append(Prod([Sym("λ", "2"), wsym]))
                n_pen.append(Prod([setting(cfg.l2), Num(w, f"w[{wl},{j},{k}]", wsym)]))
            if cfg.l1:
                f_pen.append(Prod([Sym("λ", "1"), Func("sign", [wsym])]))
                n_pen.append(Prod([setting(cfg.l1), Func("sign", [Num(w, f"w[{wl},{j},{k}]", wsym)])]))
            fp: Expr = Sum(f_pen) if len(f_pen) > 1 else f_pen[0]
            np_: Expr = Sum(n_pen) if len(n_pen) > 1 else n_pen[0]
            if s is not None:
                fp, np_ = Prod([s, fp]), Prod([s, np_])
            if b.n.error_signal:
                formula, subst = Sub(formula, fp), Sub(subst, np_)
            else:
                formula, subst = Sum([formula, fp]), Sum([subst, np_])
            note = "with the weight penalty"
        shown_formula: Expr | None = formula
        shown_subst: Expr | None = subst
        if not ok:
            shown_formula, shown_subst, elided = None, None, False
            note = "the mini-batch's total, accumulated sample by sample"
        lines.append(
            Line(
                key=weight_key("grad", wl, j, k),
                kind="grad",
                group=group,
                layer=layer,
                lhs=Neg(gsym) if b.n.error_signal else gsym,
                formula=shown_formula,
                substituted=shown_subst,
                value=b.sign * value,
                refs=_refs(wl, j, k),
                note=note,
                elided=elided,
            )
        )
    return lines


#: optimiser state that is a (decayed) sum of gradients or changes, so it changes sign with the parameter
SIGNED_STATE = ("velocity", "m")


def _state(
    state: Mapping[str, Any] | None, key: str, pi: int, j: int, k: int | None, bs: float = 1.0
) -> float | None:
    """One parameter's optimiser state ``key``; ``bs`` −1 negates a signed state (a bias on −1)."""
    if not state or key not in state:
        return None
    arr = state[key][pi]
    value = float(arr[j] if k is None else arr[j, k])
    return bs * value if key in SIGNED_STATE else value


class _Param:
    """One parameter (weight or bias) of a weight layer while its update lines are written."""

    def __init__(self, b: Builder, wl: int, j: int, k: int | None) -> None:
        tr = b.tr
        up = tr.updates[wl]
        self.b, self.wl, self.j, self.k = b, wl, j, k
        self.pi = 2 * wl + (1 if k is None else 0)
        self.es = b.n.error_signal
        #: W₀ on an input of −1 is −b: its gradient, change, values and first-moment state are negated
        self.bs = b.n.bias_sign if k is None else 1.0
        g = self.bs * float(up.grad_b[j]) if k is None else float(up.grad_W[j, k])  # type: ignore[index]
        gsym = b.sym.grad(wl, j, k)
        # the gradient as the student's notation writes it: ∂E/∂w, or (−∂E/∂w) in the error signal
        self.G: Expr = Neg(gsym) if self.es else gsym
        self.Gn = Num(-g if self.es else g, weight_key("grad", wl, j, k), self.G)
        self.refs = _refs(wl, j, k)
        self.group = f"Update: {b.wname(wl)}"

    def state_sym(self, letter: str) -> Sym:
        return self.b.sym.state(letter, self.wl, self.j, self.k)

    def state_line(self, name: str, letter: str, formula: Expr, subst: Expr) -> Line | None:
        """name ← formula = subst = the state after the update (from the trace)."""
        after = _state(self.b.tr.state_after, name, self.pi, self.j, self.k, self.bs)
        if after is None:
            return None
        return Line(
            key=weight_key(name, self.wl, self.j, self.k),
            kind=name,
            group=self.group,
            layer=self.wl + 1,
            lhs=self.state_sym(letter),
            formula=formula,
            substituted=subst,
            value=after,
            refs=self.refs,
            assign="←",
        )

    def before(self, name: str) -> Num:
        return Num(_state(self.b.tr.state_before, name, self.pi, self.j, self.k, self.bs) or 0.0)

    def after(self, name: str, letter: str) -> Num:
        key = weight_key(name, self.wl, self.j, self.k)
        value = _state(self.b.tr.state_after, name, self.pi, self.j, self.k, self.bs) or 0.0
        return Num(value, key, self.state_sym(letter))

    def combine(self, first: Expr, first_n: Expr, coef: Expr, coef_n: Expr) -> tuple[Expr, Expr]:
        """first − coef·∂E/∂w, written first + coef·(−∂E/∂w) in the error-signal notation."""
        if self.es:
            return Sum([first, Prod([coef, self.G])]), Sum([first_n, Prod([coef_n, self.Gn])])
        return Sub(first, Prod([coef, self.G])), Sub(first_n, Prod([coef_n, self.Gn]))

    def descent(self, step: Expr, step_n: Expr) -> tuple[Expr, Expr]:
        """−step·∂E/∂w, written step·(−∂E/∂w) in the error-signal notation."""
        if self.es:
            return Prod([step, self.G]), Prod([step_n, self.Gn])
        return Neg(Prod([step, self.G])), Neg(Prod([step_n, self.Gn]))


def _optimiser_lines(
    p: _Param, opt: str, hp: dict[str, float], t_after: int
) -> tuple[list[Line], Expr | None, Expr | None]:
    """(state lines, Δw formula, Δw substituted) of the optimiser ``opt`` for one parameter."""
    G, Gn = p.G, p.Gn
    ETA, ALPHA = p.b.sym.eta, p.b.sym.momentum  # the course's letters
    lr = setting(hp.get("lr", 0.0))
    one = const(1.0, "1")
    two = const(2.0)
    extra: list[Line | None] = []
    d_formula: Expr
    d_subst: Expr
    if opt == "sgd":
        f, n = p.descent(ETA, lr)
        return [], f, n
    if opt in ("momentum", "nesterov"):
        v = p.state_sym("v")
        alpha = setting(hp.get("momentum", 0.0))
        f, n = p.combine(Prod([ALPHA, v]), Prod([alpha, p.before("velocity")]), ETA, lr)
        extra.append(p.state_line("velocity", "v", f, n))
        if opt == "momentum":
            d_formula, d_subst = v, p.after("velocity", "v")
        else:
            d_formula, d_subst = p.combine(Prod([ALPHA, v]), Prod([alpha, p.after("velocity", "v")]), ETA, lr)
        return [ln for ln in extra if ln is not None], d_formula, d_subst
    if opt in ("adagrad", "rmsprop"):
        name, letter = ("sum_sq", "G") if opt == "adagrad" else ("mean_sq", "s")
        acc = p.state_sym(letter)
        if opt == "adagrad":
            f = Sum([acc, Pow(G, two)])
            n = Sum([p.before(name), Pow(Gn, two)])
        else:
            rho = setting(hp.get("rho", 0.0))
            f = Sum([Prod([RHO, acc]), Prod([Sub(one, RHO), Pow(G, two)])])
            n = Sum([Prod([rho, p.before(name)]), Prod([Sub(one, rho), Pow(Gn, two)])])
        extra.append(p.state_line(name, letter, f, n))
        step_f = Div(ETA, Sum([Func("√", [acc]), EPS]))
        step_n = Div(lr, Sum([Func("√", [p.after(name, letter)]), setting(hp.get("eps", 0.0))]))
        d_formula, d_subst = p.descent(step_f, step_n)
        return [ln for ln in extra if ln is not None], d_formula, d_subst
    if opt == "adam":
        m_s, v_s = p.state_sym("m"), p.state_sym("v")
        b1, b2 = setting(hp.get("beta1", 0.0)), setting(hp.get("beta2", 0.0))
        if p.es:  # m ← β₁·m + (1 − β₁)·∂E/∂w = β₁·m − (1 − β₁)·(−∂E/∂w)
            f = Sub(Prod([BETA1, m_s]), Prod([Sub(one, BETA1), G]))
            n = Sub(Prod([b1, p.before("m")]), Prod([Sub(one, b1), Gn]))
        else:
            f = Sum([Prod([BETA1, m_s]), Prod([Sub(one, BETA1), G])])
            n = Sum([Prod([b1, p.before("m")]), Prod([Sub(one, b1), Gn])])
        extra.append(p.state_line("m", "m", f, n))
        f = Sum([Prod([BETA2, v_s]), Prod([Sub(one, BETA2), Pow(G, two)])])
        n = Sum([Prod([b2, p.before("v")]), Prod([Sub(one, b2), Pow(Gn, two)])])
        extra.append(p.state_line("v", "v", f, n))
        tn = Num(float(t_after))
        m_hat_f = Div(m_s, Sub(one, Pow(BETA1, T)))
        v_hat_f = Div(v_s, Sub(one, Pow(BETA2, T)))
        m_hat_n = Div(p.after("m", "m"), Sub(one, Pow(b1, tn)))
        v_hat_n = Div(p.after("v", "v"), Sub(one, Pow(b2, tn)))
        d_formula = Neg(Prod([Div(ETA, Sum([Func("√", [v_hat_f]), EPS])), m_hat_f]))
        d_subst = Neg(Prod([Div(lr, Sum([Func("√", [v_hat_n]), setting(hp.get("eps", 0.0))])), m_hat_n]))
        return [ln for ln in extra if ln is not None], d_formula, d_subst
    return [], None, None


def update_lines(b: Builder, wl: int) -> list[Line]:
    """The optimiser's rule for every parameter of weight layer ``wl``, then w ← w + Δw."""
    tr = b.tr
    up = tr.updates[wl]
    if up.delta_W is None or up.W_after is None or up.grad_W is None:
        return []
    sym = b.sym
    t_after = int((tr.state_after or {}).get("t", 0))
    lines: list[Line] = []
    for j, k in _params(b, wl):
        p = _Param(b, wl, j, k)
        extra, d_formula, d_subst = _optimiser_lines(p, tr.optimiser, tr.optimiser_params, t_after)
        lines.extend(extra)
        dw = p.bs * float(up.delta_b[j]) if k is None else float(up.delta_W[j, k])  # type: ignore[index]
        dsym = sym.change(wl, j, k)
        lines.append(
            Line(
                key=weight_key("dw", wl, j, k),
                kind="dw",
                group=p.group,
                layer=wl + 1,
                lhs=dsym,
                formula=d_formula,
                substituted=d_subst,
                value=dw,
                refs=p.refs,
                note=f"t = {t_after}" if tr.optimiser == "adam" else "",
            )
        )
        w_before = p.bs * float(up.b_before[j]) if k is None else float(up.W_before[j, k])
        w_after = p.bs * float(up.b_after[j]) if k is None else float(up.W_after[j, k])  # type: ignore[index]
        wsym = sym.w(wl, j, k)
        given = f"b[{wl},{j}]" if k is None else f"w[{wl},{j},{k}]"
        lines.append(
            Line(
                key=weight_key("new_w", wl, j, k),
                kind="new_w",
                group=p.group,
                layer=wl + 1,
                lhs=wsym,
                formula=Sum([wsym, dsym]),
                substituted=Sum([Num(w_before, given, wsym), Num(dw, weight_key("dw", wl, j, k), dsym)]),
                value=w_after,
                refs=p.refs,
                assign="←",
            )
        )
    return lines
