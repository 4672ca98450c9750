"""The walkthrough's numbers are the engine's trace, and each printed line's arithmetic reproduces its result.

For random networks over every activation, loss, optimiser, batch size, both sign conventions and both
bias notations: (1) every line's value and every number inside its substituted formula equals the
trace's value of the quantity it names; (2) the printed text, parsed back, evaluates (with interval
arithmetic over each printed number's rounding) to an interval that contains the printed result.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from bpstudio.engine import Network, TrainConfig, Trainer
from bpstudio.teaching import Notation, build_walkthrough, parse_expression
from bpstudio.teaching.expr import Div, Exp, Func, Neg, Num, Pow, Prod, Renderer, Sum
from bpstudio.teaching.model import split_key
from bpstudio.teaching.numbers import rounding_unit, use_scientific

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]
OUTPUT_FOR_LOSS = {
    "half_sse": ["sigmoid", "identity", "tanh", "softmax"],
    "sse": ["softplus", "sigmoid", "softmax"],
    "mse": ["tanh", "identity", "softmax"],
    "bce": ["sigmoid"],
    "cce": ["softmax"],
}
OPTIMISERS = {
    "sgd": {"lr": 0.5},
    "momentum": {"lr": 0.3, "momentum": 0.8},
    "nesterov": {"lr": 0.2, "momentum": 0.7},
    "adagrad": {"lr": 0.1},
    "rmsprop": {"lr": 0.05, "rho": 0.8},
    "adam": {"lr": 0.05},
}


# ---------------------------------------------------------------------------- the trace, looked up by key
def trace_value(trace, key: str, sign: float) -> float:
    """The trace's value of the quantity ``key`` names, in the notation with this sign."""
    kind, parts, sample = split_key(key)
    p = None if sample is None else int(sample)
    idx = [int(x) if x != "b" else None for x in parts]
    if kind in ("z", "a", "fprime", "delta"):
        layer, j = idx
        rec = trace.layers[layer]
        value = float(getattr(rec, kind)[p, j])
        return sign * value if kind == "delta" else value
    if kind == "x":
        return float(trace.inputs[p, idx[0]])
    if kind == "t":
        return float(trace.targets[p, idx[0]])
    if kind == "E":
        return float(trace.loss_before if p is None else trace.loss_per_sample[p])
    wl, j = idx[0], idx[1]
    k = idx[2] if len(idx) > 2 else None
    up = trace.updates[wl]
    if kind == "w":
        return float(up.W_before[j, k])
    if kind == "b":
        return float(up.b_before[j])

    def pick(w_arr, b_arr):
        return float(b_arr[j] if k is None else w_arr[j, k])

    if kind == "grad":
        return sign * pick(up.grad_W, up.grad_b)
    if kind == "dw":
        return pick(up.delta_W, up.delta_b)
    if kind == "new_w":
        return pick(up.W_after, up.b_after)
    pi = 2 * wl + (1 if k is None else 0)
    arr = trace.state_after[kind][pi]
    return float(arr[j] if k is None else arr[j, k])


def nums(expr):
    if isinstance(expr, Num):
        yield expr
    for c in expr.children():
        yield from nums(c)


def check_values_are_the_trace(w, trace, sign: float) -> int:
    checked = 0
    for line in w.lines:
        assert line.value == pytest.approx(trace_value(trace, line.key, sign), rel=0, abs=0), line.key
        if line.substituted is not None:
            for n in nums(line.substituted):
                if n.ref is None:
                    continue
                want = trace_value(trace, n.ref, sign)
                assert n.value == (-want if n.negate else want), (line.key, n.ref)
                checked += 1
    return checked


# ---------------------------------------------------------------------------- interval arithmetic
def _iv_mul(a, b):
    c = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return min(c), max(c)


def radius(n: Num, digits: int) -> float:
    """A bound on |printed − true| of a printed number. The formatter rounds to a fixed number of
    decimals and keeps a shorter form only for values that are that short decimal to within 10⁻¹²;
    settings (η = 0.5, β₂ = 0.999) print in full. So: fewer decimals than the formatter's → exact;
    otherwise half a unit of the last digit printed."""
    r = 0.5 * rounding_unit(n.value, digits)
    if n.text_ is None:
        return r
    mant, _, exp = n.text_.partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    if not exp and n.value != 0 and not use_scientific(n.value):
        if 10.0**-decimals > rounding_unit(n.value, digits) * 1.5:
            return 1e-12 * max(1.0, abs(n.value))
    return min(r, 0.5 * 10.0 ** (int(exp or 0) - decimals))


def interval(expr, digits: int):
    """[lo, hi] containing the exact value of the printed expression for any true values of its numbers."""
    if isinstance(expr, Num):
        v = expr.value
        r = radius(expr, digits)
        return v - r, v + r
    if isinstance(expr, Sum):
        lo = hi = 0.0
        for t in expr.terms:
            a, b = interval(t, digits)
            lo, hi = lo + a, hi + b
        return lo, hi
    if isinstance(expr, Neg):
        a, b = interval(expr.arg, digits)
        return -b, -a
    if isinstance(expr, Prod):
        acc = (1.0, 1.0)
        for f in expr.factors:
            acc = _iv_mul(acc, interval(f, digits))
        return acc
    if isinstance(expr, Div):
        lo, hi = interval(expr.b, digits)
        assert lo > 0 or hi < 0, "division by an interval containing 0"
        return _iv_mul(interval(expr.a, digits), (1 / hi, 1 / lo))
    if isinstance(expr, Pow):
        base = interval(expr.base, digits)
        e = expr.exponent.evaluate()
        if e == int(e) and e >= 0:
            vals = [base[0] ** e, base[1] ** e]
            if e % 2 == 0 and base[0] < 0 < base[1]:
                return 0.0, max(vals)
            return min(vals), max(vals)
        assert base[0] > 0
        vals = [base[0] ** e, base[1] ** e]
        return min(vals), max(vals)
    if isinstance(expr, Exp):
        a, b = interval(expr.arg, digits)
        return math.exp(a), math.exp(b)
    if isinstance(expr, Func):
        args = [interval(a, digits) for a in expr.args]
        fn = {"σ": lambda x: 1 / (1 + math.exp(-x)), "tanh": math.tanh, "ln": math.log, "√": math.sqrt}
        if expr.name == "max":
            return max(args[0][0], args[1][0]), max(args[0][1], args[1][1])
        if expr.name == "step":
            return float(args[0][0] > 0), float(args[0][1] > 0)
        if expr.name == "sign":
            s = lambda x: float((x > 0) - (x < 0))  # noqa: E731
            return s(args[0][0]), s(args[0][1])
        a, b = args[0]
        if expr.name == "√":
            a = max(a, 0.0)
        return fn[expr.name](a), fn[expr.name](b)
    raise AssertionError(f"unexpected node {expr!r}")


_NOTE = re.compile(r"\s{3}\(.*\)$")


def reproduces(text: str, digits: int) -> bool:
    """The printed line's substituted arithmetic contains its printed result (within rounding)."""
    text = _NOTE.sub("", text)
    parts = text.split(" = ")
    result = parse_expression(parts[-1]).evaluate()
    lo, hi = interval(parse_expression(parts[-2]), digits)
    r = 0.5 * rounding_unit(result, digits)
    slack = 1e-12 * max(1.0, abs(result))
    return lo - slack <= result + r and result - r <= hi + slack


def check_arithmetic(w, digits: int) -> int:
    r = Renderer(digits)
    n = 0
    for line in w.lines:
        if line.substituted is None or line.elided or isinstance(line.substituted, Num):
            continue
        text = line.render(r)
        assert reproduces(text, digits), text
        n += 1
    return n


# ---------------------------------------------------------------------------- random networks
def random_case(seed: int, loss: str, out_act: str, opt: str, reduction: str):
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(1, 4))
    hidden = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
    n_out = (
        1 if loss == "bce" else int(rng.integers(2, 4)) if out_act == "softmax" else int(rng.integers(1, 3))
    )
    sizes = [n_in, *hidden, n_out]
    acts = [HIDDEN[int(rng.integers(len(HIDDEN)))] for _ in hidden] + [out_act]
    net = Network.create(sizes, acts, init="uniform", init_params={"r": 1.0}, seed=seed)
    if hidden and n_in > 1 and rng.random() < 0.5:
        net.set_connection(0, 0, 0, False)
    m = 6
    X = rng.uniform(-1, 1, size=(m, n_in)).round(2)
    if loss == "bce":
        T = rng.integers(0, 2, size=(m, 1)).astype(float)
    elif loss == "cce":
        T = np.eye(n_out)[rng.integers(0, n_out, size=m)]
    else:
        T = rng.uniform(-1, 1, size=(m, n_out)).round(2)
    l2 = 0.01 if rng.random() < 0.3 else 0.0
    l1 = 0.001 if rng.random() < 0.2 else 0.0
    cfg = TrainConfig(
        loss=loss,
        reduction=reduction,
        optimiser=opt,
        optimiser_params=OPTIMISERS[opt],
        l1=l1,
        l2=l2,
        seed=seed,
    )
    trainer = Trainer(net, cfg, X, T)
    trainer.trace_samples([0])  # a first step, so the optimiser state is not all zeros
    batch = sorted({int(i) for i in rng.choice(m, size=int(rng.integers(1, 4)), replace=False)})
    trace = trainer.trace_samples(batch)
    return trace, net, cfg


def _cases():
    out = []
    i = 0
    opts = itertools.cycle(OPTIMISERS)
    for loss, acts in OUTPUT_FOR_LOSS.items():
        for out_act in acts:
            for reduction in ("mean", "sum"):
                out.append((1000 + i, loss, out_act, next(opts), reduction))
                i += 1
    return out


@pytest.mark.parametrize(("seed", "loss", "out_act", "opt", "reduction"), _cases())
def test_walkthrough_is_the_trace_and_reproduces(seed, loss, out_act, opt, reduction):
    trace, net, cfg = random_case(seed, loss, out_act, opt, reduction)
    for convention, bias in itertools.product(("gradient", "error_signal"), ("w0", "b")):
        notation = Notation(convention=convention, bias=bias, digits=4)
        w = build_walkthrough(trace, net, cfg, notation, samples=list(range(trace.batch_size)))
        kinds = {split_key(ln.key)[0] for ln in w.lines}
        assert {"z", "a", "delta", "grad", "dw", "new_w", "E"} <= kinds
        assert check_values_are_the_trace(w, trace, notation.sign) > 0
        assert check_arithmetic(w, 4) > 0


def test_every_hidden_activation_and_optimiser_is_covered():
    cases = _cases()
    assert {c[3] for c in cases} == set(OPTIMISERS)
    seen = set()
    for seed, loss, out_act, opt, red in cases:
        trace, _, _ = random_case(seed, loss, out_act, opt, red)
        seen.update(rec.activation for rec in trace.layers[1:])
    assert set(HIDDEN) <= seen, set(HIDDEN) - seen


def test_the_reproduction_check_can_fail():
    trace, net, cfg = random_case(7, "half_sse", "sigmoid", "sgd", "mean")
    w = build_walkthrough(trace, net, cfg, Notation())
    line = next(ln for ln in w.lines if ln.kind == "z")
    assert reproduces(line.render(Renderer(4)), 4)
    line.value += 0.01
    assert not reproduces(line.render(Renderer(4)), 4)


def test_other_digit_settings_reproduce():
    trace, net, cfg = random_case(11, "mse", "tanh", "adam", "mean")
    for digits in (2, 3, 6):
        w = build_walkthrough(trace, net, cfg, Notation(digits=digits))
        assert check_arithmetic(w, digits) > 10


def test_stages_appear_as_the_micro_step_advances(xor_data):
    X, T = xor_data
    net = Network.create([2, 2, 1], "sigmoid", seed=3)
    trainer = Trainer(net, TrainConfig(optimiser_params={"lr": 0.5}), X, T)
    micro = trainer.begin_step([1])
    counts = []
    kinds_after = []
    while not micro.done:
        micro.advance()
        w = build_walkthrough(micro.trace, net, trainer.config, Notation())
        counts.append(len(w))
        kinds_after.append({ln.kind for ln in w.lines})
    assert counts == sorted(counts) and counts[0] > 0
    assert kinds_after[0] == {"z", "a", "fprime"}
    assert "E" in kinds_after[2] and "delta" not in kinds_after[2]
    assert {"delta", "grad"} <= kinds_after[3] and "dw" not in kinds_after[3]
    assert {"dw", "new_w"} <= kinds_after[-1]


def test_accumulated_minibatch_gradient_is_shown_without_false_arithmetic(xor_data):
    X, T = xor_data
    net = Network.create([2, 2, 1], "sigmoid", seed=4)
    cfg = TrainConfig(batch_mode="minibatch", batch_size=2, shuffle=False, optimiser_params={"lr": 0.5})
    trainer = Trainer(net, cfg, X, T)
    first = trainer.step_sample()
    w1 = build_walkthrough(first, net, cfg, Notation())
    assert not any(ln.kind == "dw" for ln in w1.lines)
    assert any("mini-batch" in n for n in w1.notes)
    assert check_arithmetic(w1, 4) > 0  # this sample's own contribution, (1/2)·a·δ, is reproducible
    second = trainer.step_sample()
    w2 = build_walkthrough(second, net, cfg, Notation())
    grads = [ln for ln in w2.lines if ln.kind == "grad"]
    assert grads and all(ln.substituted is None and "accumulated" in ln.note for ln in grads)
    check_values_are_the_trace(w2, second, 1.0)


def test_step_network_forward_only_and_masked_connections_left_out():
    net = Network(
        [2, 2, 1],
        ["step", "step"],
        [np.array([[0.2, 0.2], [-0.2, -0.2]]), np.array([[0.2, 0.2]])],
        [np.array([-0.3, 0.2]), np.array([-0.1])],
    )
    net.set_connection(0, 1, 0, False)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([[1.0], [0.0], [0.0], [1.0]])
    trainer = Trainer(net, TrainConfig(), X, T)
    trace = trainer.begin_step([0, 1, 2, 3]).run_until("loss")
    w = build_walkthrough(trace, net, trainer.config, Notation(), samples=[0, 1, 2, 3])
    assert {ln.kind for ln in w.lines} == {"z", "a", "E"}  # no f′ for step units, no backward
    z2 = w.line("z[1,1]@3")
    assert "w₂₁" not in z2.text() and "w₂₂" in z2.text()
    assert {(r.kind, r.layer, r.index, r.frm) for r in z2.refs} >= {("edge", 0, 1, 1), ("bias", 0, 1, -1)}
    assert ("edge", 0, 1, 0) not in {(r.kind, r.layer, r.index, r.frm) for r in z2.refs}
    check_values_are_the_trace(w, trace, 1.0)
    assert check_arithmetic(w, 4) == 12 + 12 + 4 + 1  # z, a, each Eₓ and the batch E


def test_wide_layers_are_elided_and_capped():
    net = Network.create([30, 2, 1], "sigmoid", seed=1)
    X = np.random.default_rng(0).uniform(size=(2, 30))
    trainer = Trainer(net, TrainConfig(), X, np.array([[0.0], [1.0]]))
    trace = trainer.trace_samples([0])
    w = build_walkthrough(trace, net, trainer.config, Notation(), max_terms=8, max_weights=20)
    z = w.line("z[1,0]@0")
    assert z.elided and "…" in z.text()
    assert len([ln for ln in w.lines if ln.kind == "grad" and ln.key.startswith("grad[0,")]) == 20
    assert any("only the first 20" in n for n in w.notes)


def test_the_issue_example_reads_like_the_notes():
    """z₁⁽²⁾ = w₁₀·1 + w₁₁·x₁ + w₁₂·x₂ = (−0.3)(1) + (0.2)(1) + (0.2)(0) = −0.1 (seeds/004)."""
    net = Network(
        [2, 2, 1],
        ["sigmoid", "sigmoid"],
        [np.array([[0.2, 0.2], [-0.2, -0.2]]), np.array([[0.2, 0.2]])],
        [np.array([-0.3, 0.2]), np.array([-0.1])],
    )
    trainer = Trainer(net, TrainConfig(), np.array([[1.0, 0.0]]), np.array([[0.0]]))
    trace = trainer.trace_samples([0])
    w = build_walkthrough(trace, net, trainer.config, Notation())
    assert w.line("z[1,0]@0").text() == (
        "z₁⁽²⁾ = w₁₀⁽¹⁾·x₀ + w₁₁⁽¹⁾·x₁ + w₁₂⁽¹⁾·x₂ = (−0.3)(1) + (0.2)(1) + (0.2)(0) = −0.1"
    )
    assert w.line("a[1,0]@0").text() == "a₁⁽²⁾ = σ(z₁⁽²⁾) = 1/(1 + e^(0.1)) = 0.4750"
    assert w.line("delta[2,0]@0").text().startswith("δ₁⁽³⁾ = (a₁⁽³⁾ − t₁)·σ′(z₁⁽³⁾) = (")
    b = build_walkthrough(trace, net, trainer.config, Notation(bias="b", convention="error_signal"))
    assert b.line("z[1,0]@0").text().startswith("z₁⁽²⁾ = b₁⁽²⁾ + w₁₁⁽¹⁾·x₁")
    assert b.line("delta[2,0]@0").text().startswith("Δ₁⁽³⁾ = (t₁ − a₁⁽³⁾)·σ′(z₁⁽³⁾)")
    assert b.line("grad[1,0,0]").text().startswith("−∂E/∂w₁₁⁽²⁾ = a₁⁽²⁾·Δ₁⁽³⁾")
    assert b.line("dw[1,0,0]").text().startswith("Δw₁₁⁽²⁾ = η·(−∂E/∂w₁₁⁽²⁾) = (0.1)(")


def test_an_exponent_inside_an_exponent_is_raised_in_rich_text():
    """Qt's rich text does not raise a <sup> inside another: e^(−5×10⁻⁵) must not read "e to the
    −5×10−5". Inside an exponent, a number's power of ten and a symbol's layer are Unicode superscripts;
    the walkthrough of a neuron with a tiny net input shows it so."""
    from bpstudio.teaching.expr import HtmlRenderer, Sym

    r = HtmlRenderer(4)
    assert Exp(Neg(Num(5e-5))).render(r) == "e<sup>−5×10⁻⁵</sup>"
    assert Exp(Neg(Num(3e200))).render(r) == "e<sup>−3×10²⁰⁰</sup>"
    assert Exp(Neg(Sym("z", "1", "(2)"))).render(r) == "e<sup>−z<sub>1</sub>⁽²⁾</sup>"
    assert Pow(Num(2.0), Num(1e-5)).render(r) == "(2)<sup>1×10⁻⁵</sup>"
    assert Exp(Num(0.5)).render(r) == "e<sup>0.5</sup>"  # nothing nested: unchanged
    net = Network.create([1, 1], ["sigmoid"], seed=0)
    net.weights[0][:] = 2e-5
    net.biases[0][:] = 0.0
    cfg = TrainConfig()
    trainer = Trainer(net.copy(), cfg, np.array([[1.0]]), np.array([[1.0]]))
    wt = build_walkthrough(trainer.step_batch(), net, cfg, Notation())
    shown = [line.html() for line in wt.lines]
    assert any("e<sup>−2×10⁻⁵</sup>" in h for h in shown), shown
    assert not any(re.search(r"<sup>[^<]*<sup>", h) for h in shown)


def test_a_walkthrough_can_be_written_a_neuron_at_a_time():
    """walkthrough_steps: a pause after every neuron's lines (a window writes a wide layer over turns
    of its event loop), then the walkthrough, the same as build_walkthrough's."""
    from bpstudio.teaching.walkthrough import walkthrough_steps

    trace, net, cfg = random_case(5, "cce", "softmax", "adam", "mean")
    samples = list(range(trace.batch_size))
    whole = build_walkthrough(trace, net, cfg, Notation(), samples=samples)
    pieces = list(walkthrough_steps(trace, net, cfg, Notation(), samples=samples))
    *pauses, last = pieces
    assert all(p is None for p in pauses) and last is not None
    assert len(pauses) >= 2 * sum(net.sizes[1:]) * len(samples)  # forward and δ of each neuron
    assert last.to_text() == whole.to_text()
    assert [ln.key for ln in last.lines] == [ln.key for ln in whole.lines]
    with pytest.raises(ValueError, match="sample 9 is not in this step"):
        list(walkthrough_steps(trace, net, cfg, Notation(), samples=[8]))


def test_the_batch_loss_of_a_large_batch_prints_a_dozen_of_its_terms():
    """A full batch of 50,000 samples wrote E = s·(E₁ + E₂ + … all 50,000): a line of megabytes that
    held the window while it was laid out. Its sum is now cut as the other long sums are."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(300, 2))
    T = (X[:, :1] * X[:, 1:] > 0).astype(float)
    net = Network.create([2, 2, 1], "sigmoid", seed=3)
    trainer = Trainer(net, TrainConfig(batch_mode="full"), X, T)
    trace = trainer.step_batch()
    assert trace.batch_size == 300
    w = build_walkthrough(trace, net, trainer.config, Notation(), samples=[0, 299])
    e = w.line("E")
    assert e.elided and "…" in e.text() and len(e.text()) < 400
    assert e.value == trace.loss_before
    assert "E₃₀₀" in e.text()  # the last term is printed, after the "…"
    small = build_walkthrough(Trainer(net, TrainConfig(batch_mode="full"), X[:4], T[:4]).step_batch(), net)
    assert not small.line("E").elided and "…" not in small.line("E").text()
