"""Shape rules: what a JSON Schema cannot say about a project or weights document.

These run on a document that already matches its schema (so every type is right) and raise
FormatError naming the field, e.g. ``network.weights[1]: expected 3×4, got 3×5``:

- the network: one activation, weight matrix, bias vector and mask per layer after the input, each of
  the size the layer sizes give; softmax only on the output layer; a removed connection's weight is 0;
- the training settings: each optimiser and initialiser parameter exists for the chosen one and is in
  range (``training.optimiser_params.lr: must be > 0``);
- the optimiser state: exactly the state arrays the chosen optimiser keeps, one per parameter, each of
  that parameter's shape; running means of squares are ≥ 0;
- the progress: a begun batch holds the position (start < position < end) and one gradient array per
  parameter, each of that parameter's shape; early stopping's best weights are shaped like the network's;
- the history: ⌈step_count/step_every⌉ step losses, one gradient-norm entry per step loss with one norm
  per layer, increasing epoch numbers, one loss and accuracy entry per epoch for every split;
- the dataset: for inline data, rectangular tables whose widths match the input and output layers.
  Everything else about datasets is checked by ``bpstudio.data`` when the data are loaded;
- the input transform: fitted for as many inputs as the input layer has, with one shift and one
  scale per input unless the scaling is ``none`` (then neither).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engine import EngineError, TrainConfig, get_initialiser, get_optimiser
from ..engine.distributions import KINDS, QUANTILES
from ..engine.errors import excerpt
from .errors import FormatError, index, join

#: optimiser state arrays that hold running sums or means of g², so can never be negative
NONNEGATIVE_STATE = ("sum_sq", "mean_sq", "v")

#: optimiser parameter → (test, message) beyond being a finite number
_OPTIMISER_PARAM_RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "lr": (lambda v: v > 0, "must be > 0"),
    "eps": (lambda v: v > 0, "must be > 0"),
    "momentum": (lambda v: 0 <= v < 1, "must be in [0, 1)"),
    "beta1": (lambda v: 0 <= v < 1, "must be in [0, 1)"),
    "beta2": (lambda v: 0 <= v < 1, "must be in [0, 1)"),
    "rho": (lambda v: 0 <= v < 1, "must be in [0, 1)"),
}


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def check_matrix(m: list[list[Any]], rows: int, cols: int, path: str) -> None:
    """``m`` must be ``rows``×``cols``: ``path: expected 3×4, got 3×5`` (or the first ragged row)."""
    widths = {len(r) for r in m}
    if len(widths) > 1:
        for i, r in enumerate(m):
            if len(r) != cols:
                raise FormatError(f"expected {cols} numbers in every row, got {len(r)}", index(path, i))
    got_cols = widths.pop() if widths else 0
    if len(m) != rows or got_cols != cols:
        got = f"{len(m)}×{got_cols}" if m else "an empty list"
        raise FormatError(f"expected {rows}×{cols}, got {got}", path)


def check_vector(v: list[Any], n: int, path: str) -> None:
    if len(v) != n:
        raise FormatError(f"expected {n} numbers, got {len(v)}", path)


def _check_count(seq: list[Any], n: int, path: str, per: str) -> None:
    if len(seq) != n:
        raise FormatError(f"expected {n} {'entry' if n == 1 else 'entries'} ({per}), got {len(seq)}", path)


# ---------------------------------------------------------------------------------------------- network
def check_network(net: dict[str, Any], path: str = "network") -> None:
    sizes = net["sizes"]
    n = len(sizes) - 1
    per = "one per layer after the input"
    for key in ("activations", "weights", "biases", "masks"):
        _check_count(net[key], n, join(path, key), per)
    use_bias = net.get("use_bias")
    if use_bias is not None:
        _check_count(use_bias, n, join(path, "use_bias"), per)
        for i, used in enumerate(use_bias):
            if not used and any(b != 0 for b in net["biases"][i]):
                raise FormatError(
                    f"a layer without biases ({index(join(path, 'use_bias'), i)} is false) has biases 0",
                    index(join(path, "biases"), i),
                )
    for i, name in enumerate(net["activations"]):
        if name == "softmax" and i != n - 1:
            raise FormatError("softmax is only for the output layer", index(join(path, "activations"), i))
    for i in range(n):
        rows, cols = int(sizes[i + 1]), int(sizes[i])
        check_matrix(net["weights"][i], rows, cols, index(join(path, "weights"), i))
        check_vector(net["biases"][i], rows, index(join(path, "biases"), i))
        mask = net["masks"][i]
        if mask is None:
            continue
        mpath = index(join(path, "masks"), i)
        check_matrix(mask, rows, cols, mpath)
        for j, (mrow, wrow) in enumerate(zip(mask, net["weights"][i])):
            for k, (present, w) in enumerate(zip(mrow, wrow)):
                if not present and w != 0:
                    where = f"{index(join(path, 'weights'), i)}[{j}][{k}]"
                    raise FormatError(
                        f"is {w!r} but the connection is removed ({mpath}[{j}][{k}] is false); "
                        "a removed connection's weight must be 0",
                        where,
                    )


def parameter_shapes(net: dict[str, Any]) -> list[tuple[int, ...]]:
    """Shapes of [W⁰, b⁰, W¹, b¹, ...], the order optimisers keep their state in."""
    sizes = [int(s) for s in net["sizes"]]
    out: list[tuple[int, ...]] = []
    for i in range(len(sizes) - 1):
        out.append((sizes[i + 1], sizes[i]))
        out.append((sizes[i + 1],))
    return out


# ---------------------------------------------------------------------------------------------- training
def check_training(tr: dict[str, Any], path: str = "training") -> None:
    opt = get_optimiser(tr["optimiser"])
    ppath = join(path, "optimiser_params")
    for key, value in tr["optimiser_params"].items():
        if key not in opt.defaults:
            raise FormatError(
                f"{opt.name} has no parameter {key!r}; its parameters are: {', '.join(opt.defaults)}",
                join(ppath, key),
            )
        rule = _OPTIMISER_PARAM_RULES.get(key)
        if rule is not None and not rule[0](value):
            raise FormatError(rule[1], join(ppath, key))
    ini = get_initialiser(tr["init"])
    ipath = join(path, "init_params")
    for key in tr["init_params"]:
        if key not in ini.defaults:
            params = ", ".join(ini.defaults) or "none"
            raise FormatError(
                f"{ini.name} has no parameter {key!r}; its parameters are: {params}", join(ipath, key)
            )
    try:  # the engine's own checks, in case they know more than the rules above
        training_config(tr).validate()
    except (EngineError, TypeError) as exc:
        raise FormatError(str(exc), path) from None


def training_config(tr: dict[str, Any]) -> TrainConfig:
    """The TrainConfig of a schema-valid ``training`` object (whole numbers as int)."""
    values = dict(tr)
    for key in ("batch_size", "epochs", "seed", "patience"):
        values[key] = int(values[key])
    for key in ("l1", "l2", "min_delta"):
        values[key] = float(values[key])
    if values["target_loss"] is not None:
        values["target_loss"] = float(values["target_loss"])
    values["optimiser_params"] = dict(values["optimiser_params"])
    values["init_params"] = dict(values["init_params"])
    return TrainConfig(**values)


# ---------------------------------------------------------------------------------------------- state
def _array_shape(a: Any) -> tuple[int, ...] | None:
    """The shape of a vector or rectangular matrix of numbers, else None (ragged)."""
    if not a or not isinstance(a[0], list):
        return (len(a),) if all(not isinstance(x, list) for x in a) else None
    widths = {len(r) if isinstance(r, list) else -1 for r in a}
    return (len(a), widths.pop()) if len(widths) == 1 and -1 not in widths else None


def check_optimiser_state(
    state: dict[str, Any], net: dict[str, Any], optimiser: str, path: str = "optimiser_state"
) -> None:
    opt = get_optimiser(optimiser)
    keys = [k for k in state if k != "t"]
    for key in keys:
        if key not in opt.state_keys:
            kept = ", ".join(repr(k) for k in opt.state_keys) or "nothing but t"
            raise FormatError(
                f"{opt.name} (training.optimiser) keeps no {key!r} arrays; its state is: {kept}",
                join(path, key),
            )
    for key in opt.state_keys:
        if key not in state:
            raise FormatError(f"missing ({opt.name} keeps {key!r} arrays)", join(path, key))
    shapes = parameter_shapes(net)
    names = [f"{'W' if len(s) == 2 else 'b'}{i // 2}" for i, s in enumerate(shapes)]
    for key in opt.state_keys:
        arrays = state[key]
        kpath = join(path, key)
        if len(arrays) != len(shapes):
            raise FormatError(
                f"expected {len(shapes)} arrays (one per parameter: {', '.join(names)}), got {len(arrays)}",
                kpath,
            )
        for i, (a, shape) in enumerate(zip(arrays, shapes)):
            apath = index(kpath, i)
            got = _array_shape(a)
            if got != shape:
                what = "weights" if len(shape) == 2 else "biases"
                shown = "a ragged table" if got is None else "an empty list" if got == (0,) else _dims(got)
                raise FormatError(
                    f"expected {_dims(shape)} (the shape of network.{what}[{i // 2}]), got {shown}", apath
                )
            if key in NONNEGATIVE_STATE:
                flat = [x for r in a for x in r] if len(shape) == 2 else a
                if any(x < 0 for x in flat):
                    raise FormatError("must be ≥ 0 everywhere (a running sum or mean of squares)", apath)


def _check_arrays(arrays: list[Any], shapes: list[tuple[int, ...]], names: list[str], path: str) -> None:
    """One array per entry of ``shapes`` (``names`` say which network array each is shaped like)."""
    if len(arrays) != len(shapes):
        raise FormatError(
            f"expected {len(shapes)} arrays (one per {', '.join(names)}), got {len(arrays)}", path
        )
    for i, (a, shape) in enumerate(zip(arrays, shapes)):
        got = _array_shape(a)
        if got != shape:
            shown = "a ragged table" if got is None else "an empty list" if got == (0,) else _dims(got)
            raise FormatError(
                f"expected {_dims(shape)} (the shape of network.{names[i]}), got {shown}", index(path, i)
            )


# ---------------------------------------------------------------------------------------------- progress
def check_progress(p: dict[str, Any], net: dict[str, Any], path: str = "progress") -> None:
    """A begun batch: start < position < end, one gradient per parameter (W⁰, b⁰, W¹, …) of its shape;
    early stopping's weights and biases shaped like the network's. (Whether the position fits the data
    and the history is decided when the project is prepared for training: one that does not is ignored.)"""
    batch = p["batch"]
    if batch is not None:
        bpath = join(path, "batch")
        start, end, pos = int(batch["start"]), int(batch["end"]), int(p["position"])
        if not start < pos:
            raise FormatError(
                f"must be less than progress.position = {pos} (samples start … position − 1 are done)",
                join(bpath, "start"),
            )
        if not pos < end:
            raise FormatError(
                f"must be more than progress.position = {pos} (a batch that is complete has been applied)",
                join(bpath, "end"),
            )
        shapes = parameter_shapes(net)
        names = [f"{'weights' if len(s) == 2 else 'biases'}[{i // 2}]" for i, s in enumerate(shapes)]
        _check_arrays(batch["gradients"], shapes, names, join(bpath, "gradients"))
    best = p["early_stopping"]
    if best is not None:
        shapes = parameter_shapes(net)
        n = len(shapes) // 2
        epath = join(path, "early_stopping")
        _check_arrays(
            best["weights"], shapes[0::2], [f"weights[{i}]" for i in range(n)], join(epath, "weights")
        )
        _check_arrays(best["biases"], shapes[1::2], [f"biases[{i}]" for i in range(n)], join(epath, "biases"))


# ---------------------------------------------------------------------------------------------- history
def check_history(h: dict[str, Any], net: dict[str, Any], path: str = "history") -> None:
    n_layers = len(net["sizes"]) - 1
    count, every = h["step_count"], h["step_every"]
    points = -(-count // every)  # ⌈step_count / step_every⌉
    per = "one per update" if every == 1 else f"one per {every} updates (step_every)"
    _check_count(h["step_loss"], points, join(path, "step_loss"), f"{per} of history.step_count = {count}")
    steps = len(h["step_loss"])
    _check_count(h["grad_norms"], steps, join(path, "grad_norms"), "one per step in history.step_loss")
    for i, g in enumerate(h["grad_norms"]):
        _check_count(g, n_layers, index(join(path, "grad_norms"), i), "one norm per weight layer")
    epochs = h["epochs"]
    for i in range(1, len(epochs)):
        if epochs[i] <= epochs[i - 1]:
            raise FormatError(
                f"epoch numbers must increase ({epochs[i]!r} after {epochs[i - 1]!r})",
                index(join(path, "epochs"), i),
            )
    for part in ("loss", "accuracy"):
        for split, values in h[part].items():
            _check_count(
                values, len(epochs), join(join(path, part), split), "one per epoch in history.epochs"
            )
    if h["distributions"] is not None:
        check_distributions(h["distributions"], n_layers, join(path, "distributions"))
    basis = h.get("train_basis", [])
    bpath = join(path, "train_basis")
    for i, (epoch, k, n) in enumerate(basis):
        if k > n:
            raise FormatError(
                f"{k!r} of {n!r} samples: a subsample cannot be larger than the split", index(bpath, i)
            )
        if i and epoch <= basis[i - 1][0]:
            raise FormatError(
                f"the first epochs of the entries must increase ({epoch!r} after {basis[i - 1][0]!r})",
                index(bpath, i),
            )


def check_distributions(d: dict[str, Any], n_layers: int, path: str) -> None:
    """The distribution records: the quantiles bpstudio records, recorded epochs that increase and are
    multiples of ``every``, and per kind one entry per recorded epoch of one row per weight layer with
    one value per quantile."""
    if list(d["quantiles"]) != list(QUANTILES):
        raise FormatError(
            "must be the 21 fractions 0, 0.05, 0.1, …, 1 (the quantiles bpstudio records)",
            join(path, "quantiles"),
        )
    epochs, every = d["epochs"], d["every"]
    for i, e in enumerate(epochs):
        if i and e <= epochs[i - 1]:
            raise FormatError(
                f"epoch numbers must increase ({e!r} after {epochs[i - 1]!r})", index(join(path, "epochs"), i)
            )
        if e % every:
            raise FormatError(f"{e!r} is not a multiple of every = {every}", index(join(path, "epochs"), i))
    for kind in KINDS:
        entries = d[kind]
        _check_count(entries, len(epochs), join(path, kind), "one per recorded epoch")
        for i, layers in enumerate(entries):
            where = index(join(path, kind), i)
            _check_count(layers, n_layers, where, "one per weight layer")
            for l, row in enumerate(layers):
                _check_count(row, len(QUANTILES), index(where, l), "one per quantile")


# ---------------------------------------------------------------------------------------------- dataset
def check_dataset(ds: dict[str, Any], net: dict[str, Any], path: str = "dataset") -> None:
    inline = ds.get("inline")
    if inline is None:
        return
    ipath = join(path, "inline")
    sizes = net["sizes"]
    inputs, targets = inline["inputs"], inline["targets"]
    for key, table, width, layer in (
        ("inputs", inputs, int(sizes[0]), "input"),
        ("targets", targets, int(sizes[-1]), "output"),
    ):
        tpath = join(ipath, key)
        for i, row in enumerate(table):
            if len(row) != width:
                raise FormatError(
                    f"expected {width} numbers (one per {layer} neuron), got {len(row)}", index(tpath, i)
                )
    if len(targets) != len(inputs):
        raise FormatError(
            f"expected {len(inputs)} rows (one per row of inputs), got {len(targets)}", join(ipath, "targets")
        )
    for key, width, what in (
        ("input_names", int(sizes[0]), "input"),
        ("target_names", int(sizes[-1]), "target"),
    ):
        names = inline.get(key)
        if isinstance(names, list) and len(names) != width:
            raise FormatError(
                f"expected {width} names (one per {what} column), got {len(names)}", join(ipath, key)
            )


# ---------------------------------------------------------------------------------------------- transform
def check_input_transform(t: dict[str, Any], net: dict[str, Any], path: str = "input_transform") -> None:
    """x′ = (x − shift)/scale for every input: n_inputs = n₀, and n₀ shifts and scales unless "none"."""
    n = int(net["sizes"][0])
    if int(t["n_inputs"]) != n:
        raise FormatError(
            f"expected {n} (the size of the input layer, network.sizes[0]), got {int(t['n_inputs'])}",
            join(path, "n_inputs"),
        )
    scaling = t["scaling"]
    for key in ("shift", "scale"):
        kpath = join(path, key)
        if scaling == "none":
            if key in t:
                raise FormatError('must be left out: the scaling is "none"', kpath)
        elif key not in t:
            raise FormatError(f"missing (the {scaling} scaling has one {key} per input)", kpath)
        else:
            check_vector(t[key], n, kpath)


# ---------------------------------------------------------------------------------------------- documents
def check_project(doc: dict[str, Any]) -> None:
    """All shape rules of a schema-valid project document."""
    net = doc["network"]
    check_network(net)
    check_training(doc["training"])
    check_dataset(doc["dataset"], net)
    if doc["optimiser_state"] is not None:
        check_optimiser_state(doc["optimiser_state"], net, doc["training"]["optimiser"])
    if doc["progress"] is not None:
        check_progress(doc["progress"], net)
    if doc["history"] is not None:
        check_history(doc["history"], net)
    if doc["input_transform"] is not None:
        check_input_transform(doc["input_transform"], net)
    names: set[str] = set()
    for i, run in enumerate(doc["runs"]):
        check_run(run, net, index("runs", i))
        if run["name"] in names:
            raise FormatError(f"two runs are named {excerpt(run['name'])}", join(index("runs", i), "name"))
        names.add(run["name"])


#: the longest name of a run (characters)
MAX_RUN_NAME = 80


def check_run(run: dict[str, Any], base: dict[str, Any], path: str) -> None:
    """A run of a comparison: a network of the project's layer sizes (it is trained on the same data)
    and the rules of a project's training, optimiser state, progress and history."""
    if not 1 <= len(run["name"]) <= MAX_RUN_NAME:
        raise FormatError(f"a run's name has 1 to {MAX_RUN_NAME} characters", join(path, "name"))
    net = run["network"]
    check_network(net, join(path, "network"))
    if list(net["sizes"]) != list(base["sizes"]):
        raise FormatError(
            f"layer sizes {list(net['sizes'])} differ from the project's {list(base['sizes'])}",
            join(join(path, "network"), "sizes"),
        )
    check_training(run["training"], join(path, "training"))
    if run["optimiser_state"] is not None:
        check_optimiser_state(
            run["optimiser_state"], net, run["training"]["optimiser"], join(path, "optimiser_state")
        )
    if run["progress"] is not None:
        check_progress(run["progress"], net, join(path, "progress"))
    if run["history"] is not None:
        check_history(run["history"], net, join(path, "history"))


def check_weights(doc: dict[str, Any]) -> None:
    """All shape rules of a schema-valid weights document."""
    check_network(doc["network"])
    if doc["input_transform"] is not None:
        check_input_transform(doc["input_transform"], doc["network"])
