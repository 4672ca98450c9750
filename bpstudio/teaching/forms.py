"""The formula of each activation, derivative and loss, symbolic and with the trace's numbers put in.

Each function returns ``(formula, substituted, note)``: expression trees (or None) and a short note
for piecewise functions (which branch applies). The value itself always comes from the trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from .expr import Apply, Div, Exp, Expr, Func, Neg, Num, Pow, Prod, Sub, Sum, Sym, const

Form = tuple[Expr | None, Expr | None, str]

ONE = "1"

#: the function symbol an activation is written with (its derivative adds ′)
FUNCTION_SYMBOL = {"sigmoid": "σ", "tanh": "tanh"}


def fprime_symbol(activation: str, z: Sym) -> Expr:
    """σ′(z₁⁽²⁾), tanh′(z), f′(z) or, for softmax, ∂aⱼ/∂zⱼ."""
    if activation == "softmax":
        return Div(Sym("a", z.sub, z.sup, "∂"), Sym("z", z.sub, z.sup, "∂"))
    return Apply(Sym(FUNCTION_SYMBOL.get(activation, "f") + "′"), z)


def _one() -> Num:
    return const(1.0, ONE)


def activation_form(
    activation: str, z: float, z_num: Num, z_sym: Sym, layer_z: Sequence[tuple[Num, Sym]] = ()
) -> Form:
    """a = f(z). ``layer_z`` is every (number, symbol) of the layer, for softmax."""
    if activation == "identity":
        return z_sym, z_num, ""
    if activation == "sigmoid":
        neg = Num(-z, z_num.ref, z_sym, negate=True)
        return Func("σ", [z_sym]), Div(_one(), Sum([_one(), Exp(neg)])), ""
    if activation == "tanh":
        return Func("tanh", [z_sym]), Func("tanh", [z_num]), ""
    if activation == "relu":
        return Func("max", [const(0.0, "0"), z_sym]), Func("max", [const(0.0, "0"), z_num]), ""
    if activation == "leaky_relu":
        if z > 0:
            return z_sym, z_num, "z > 0"
        return Prod([const(0.01, "0.01"), z_sym]), Prod([const(0.01, "0.01"), z_num]), "z ≤ 0"
    if activation == "elu":
        if z > 0:
            return z_sym, z_num, "z > 0"
        return Sub(Exp(z_sym), _one()), Sub(Exp(z_num), _one()), "z ≤ 0"
    if activation == "softplus":
        return Func("ln", [Sum([_one(), Exp(z_sym)])]), Func("ln", [Sum([_one(), Exp(z_num)])]), ""
    if activation == "softmax":
        formula = Div(Exp(z_sym), Sum([Exp(s) for _, s in layer_z]))
        subst = Div(Exp(z_num), Sum([Exp(n) for n, _ in layer_z]))
        return formula, subst, ""
    if activation == "step":
        return Func("step", [z_sym]), Func("step", [z_num]), "1 if z > 0, else 0"
    if activation == "sign":
        return Func("sign", [z_sym]), Func("sign", [z_num]), "+1 if z > 0, else −1"
    raise ValueError(f"no formula for the activation {activation!r}")


def derivative_form(activation: str, z: float, z_num: Num, z_sym: Sym, a_num: Num, a_sym: Sym) -> Form:
    """f′(z) in terms of a or z."""
    if activation == "identity":
        return None, None, "f(z) = z"
    if activation in ("sigmoid", "softmax"):
        return (
            Prod([a_sym, Sub(_one(), a_sym)]),
            Prod([a_num, Sub(_one(), a_num)]),
            "",
        )
    if activation == "tanh":
        two = const(2.0)
        return Sub(_one(), Pow(a_sym, two)), Sub(_one(), Pow(a_num, two)), ""
    if activation == "relu":
        return Func("step", [z_sym]), Func("step", [z_num]), "1 if z > 0, else 0"
    if activation == "leaky_relu":
        return None, None, "z > 0" if z > 0 else "z ≤ 0: slope 0.01"
    if activation == "elu":
        if z > 0:
            return None, None, "z > 0"
        return Exp(z_sym), Exp(z_num), "z ≤ 0"
    if activation == "softplus":
        neg = Num(-z, z_num.ref, z_sym, negate=True)
        return Func("σ", [z_sym]), Div(_one(), Sum([_one(), Exp(neg)])), "f′ of softplus is σ"
    raise ValueError(f"no derivative formula for the activation {activation!r}")


def loss_factor(loss: str, n_out: int) -> Num | None:
    """The constant c in ∂Eₓ/∂aₖ = c·(aₖ − tₖ) of a squared-error loss (None when c = 1)."""
    if loss == "sse":
        return const(2.0, "2")
    if loss == "mse":
        if n_out == 1:
            return const(2.0, "2")
        return const(2.0 / n_out, f"(2/{n_out})")
    return None


def _with_factor(factor: Num | None, expr: Expr) -> Expr:
    if factor is None:
        return expr
    if isinstance(expr, Prod):
        return Prod([factor, *expr.factors])
    return Prod([factor, expr])


def sample_loss_form(loss: str, outs: Sequence[tuple[Num, Sym, Num, Sym]]) -> tuple[Expr, Expr]:
    """Eₓ of one sample from (a number, a symbol, t number, t symbol) of every output neuron."""
    k = len(outs)
    if loss in ("half_sse", "sse", "mse"):
        sq_sym: list[Expr] = [Pow(Sub(ts, asym), const(2.0)) for _, asym, _, ts in outs]
        sq_num: list[Expr] = [Pow(Sub(tn, an), const(2.0)) for an, _, tn, _ in outs]
        fs: Expr = sq_sym[0] if k == 1 else Sum(sq_sym)
        fn: Expr = sq_num[0] if k == 1 else Sum(sq_num)
        if loss == "half_sse":
            half = const(0.5, "½")
            return Prod([half, fs]), Prod([half, fn])
        if loss == "mse" and k > 1:
            c = const(1.0 / k, f"(1/{k})")
            return Prod([c, fs]), Prod([c, fn])
        return fs, fn
    if loss == "bce":
        ts_terms: list[Expr] = []
        tn_terms: list[Expr] = []
        for an, asym, tn, ts in outs:
            ts_terms.append(Prod([ts, Func("ln", [asym])]))
            ts_terms.append(Prod([Sub(_one(), ts), Func("ln", [Sub(_one(), asym)])]))
            tn_terms.append(Prod([tn, Func("ln", [an])]))
            tn_terms.append(Prod([Sub(_one(), tn), Func("ln", [Sub(_one(), an)])]))
        return Neg(Sum(ts_terms)), Neg(Sum(tn_terms))
    if loss == "cce":
        s_terms: list[Expr] = [Prod([ts, Func("ln", [asym])]) for _, asym, _, ts in outs]
        n_terms: list[Expr] = [Prod([tn, Func("ln", [an])]) for an, _, tn, _ in outs]
        if k == 1:
            return Neg(s_terms[0]), Neg(n_terms[0])
        return Neg(Sum(s_terms)), Neg(Sum(n_terms))
    raise ValueError(f"no formula for the loss {loss!r}")


def output_delta_form(
    loss: str,
    activation: str,
    j: int,
    outs: Sequence[tuple[Num, Sym, Num, Sym]],
    fprime: tuple[Num, Expr] | None,
    error_signal: bool,
    target_sum: float,
) -> tuple[Expr, Expr, str]:
    """δⱼ (or Δⱼ = −δⱼ) of output neuron j, from the outputs, targets and f′(zⱼ)."""
    an, asym, tn, ts = outs[j]

    def diff(a_n: Expr, t_n: Expr) -> Sub:
        return Sub(t_n, a_n) if error_signal else Sub(a_n, t_n)

    if (loss == "bce" and activation == "sigmoid") or (loss == "cce" and activation == "softmax"):
        if loss == "cce" and abs(target_sum - 1.0) > 1e-12:
            tsum = Num(target_sum)
            f = Sub(Prod([asym, Sym("Σₖtₖ")]), ts)
            n = Sub(Prod([an, tsum]), tn)
            if error_signal:
                return Neg(f), Neg(n), "the targets do not sum to 1"
            return f, n, "the targets do not sum to 1"
        return diff(asym, ts), diff(an, tn), "the f′(z) factor cancels"
    factor = loss_factor(loss, len(outs))
    if activation == "softmax":

        def g(a_e: Expr, t_e: Expr) -> Expr:
            return _with_factor(factor, diff(a_e, t_e))

        f_sum = Sum([Prod([a_s, g(a_s, t_s)]) for _, a_s, _, t_s in outs])
        n_sum = Sum([Prod([a_n, g(a_n, t_n)]) for a_n, _, t_n, _ in outs])
        formula: Expr = Prod([asym, Sub(g(asym, ts), f_sum)])
        subst: Expr = Prod([an, Sub(g(an, tn), n_sum)])
        return formula, subst, "softmax: every output depends on every z"
    assert fprime is not None
    fp_num, fp_sym = fprime
    formula = _with_factor(factor, Prod([diff(asym, ts), fp_sym]))
    subst = _with_factor(factor, Prod([diff(an, tn), fp_num]))
    return formula, subst, ""


def output_beta_form(loss: str, j: int, outs: Sequence[tuple[Num, Sym, Num, Sym]]) -> tuple[Expr, Expr]:
    """βⱼ = −∂Eₓ/∂oⱼ of output neuron j (the error at its output, before the slope): tⱼ − oⱼ for ½Σ."""
    an, asym, tn, ts = outs[j]
    if loss in ("half_sse", "sse", "mse"):
        factor = loss_factor(loss, len(outs))
        return _with_factor(factor, Sub(ts, asym)), _with_factor(factor, Sub(tn, an))
    if loss == "bce":
        return (
            Div(Sub(ts, asym), Prod([asym, Sub(_one(), asym)])),
            Div(Sub(tn, an), Prod([an, Sub(_one(), an)])),
        )
    if loss == "cce":
        return Div(ts, asym), Div(tn, an)
    raise ValueError(f"no formula for the loss {loss!r}")
