"""Export to PyTorch (issue 16.4): a standalone script (or notebook) that builds the same network with
the same weights and trains it the way bpstudio does.

The script holds, as plain Python values: the layer sizes and activations, the weights, biases and
removed connections, the optimiser's state, the loss, the batch reduction, L1/L2, the optimiser and
its settings, the batch size and the shuffling seed, and the training data as bpstudio prepares it
(inputs already scaled with the project's input transform; embedded when small, else in an ``.npz``
file written beside the script). It trains in the project's number format (float64, or float32 for a
project whose runs are float32: ``TrainConfig.dtype``) with the same arithmetic:

* the batch loss J = s·[Σₓ Eₓ + (λ₂/2)·Σw² + λ₁·Σ|w|] (s = 1/m for the mean reduction, 1 for the sum),
  its gradient by ``torch.autograd``;
* the optimiser's update written out as bpstudio computes it (not ``torch.optim``, whose formulas
  differ in where η enters): Δθ from the gradient and the optimiser's state; removed connections
  keep a gradient and a change of 0;
* the batches: epoch k visits the samples in ``numpy.random.default_rng([seed, k]).permutation(n)``
  (``arange(n)`` without shuffling), in batches of the settings' size, as bpstudio's epochs do.

So the script's weights after N updates equal bpstudio's to float64 rounding (``torch.autograd``
adds up the chain rule in another order than bpstudio's backward pass); in float32 they follow them to
float32 precision. It continues from the
project's state: training resumes at the start of the epoch after the project's last one (a batch
begun inside an epoch is not carried over).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..engine import EngineError, Network, TrainConfig, get_optimiser
from ..engine.config import BATCH_MODES
from ..engine.evaluation import train_eval_stride
from ..engine.training import Trainer
from ..formats.io import write_bytes_atomic

#: at most this many numbers of training data are written into the script itself (more: an .npz)
MAX_EMBEDDED = 20_000
TORCH_ACTIVATIONS = {
    "identity": "z",
    "sigmoid": "torch.sigmoid(z)",
    "tanh": "torch.tanh(z)",
    "relu": "torch.relu(z)",
    "leaky_relu": "torch.where(z > 0, z, 0.01 * z)",
    "elu": "torch.where(z > 0, z, torch.expm1(torch.clamp(z, max=0.0)))",
    "softplus": "torch.logaddexp(torch.zeros_like(z), z)",
    "softmax": "torch.softmax(z, dim=1)",
}
#: Σₓ Eₓ of a batch, from the outputs o, the targets t and the output layer's net input z
TORCH_LOSSES = {
    "half_sse": "0.5 * ((o - t) ** 2).sum()",
    "sse": "((o - t) ** 2).sum()",
    "mse": "((o - t) ** 2).sum() / o.shape[1]",
    # with a sigmoid output: −[t·ln σ(z) + (1 − t)·ln(1 − σ(z))] = ln(1 + eᶻ) − t·z
    "bce": "(torch.logaddexp(torch.zeros_like(z), z) - t * z).sum()",
    # with a softmax output: −Σₖ tₖ·ln oₖ = (log Σₖ e^zₖ)·Σₖ tₖ − Σₖ tₖ·zₖ
    "cce": "(torch.logsumexp(z, dim=1) * t.sum(dim=1)).sum() - (t * z).sum()",
}
#: the update Δθ from the gradient g and the state (names as in bpstudio's optimiser state)
TORCH_UPDATES = {
    "sgd": ["d = -LR * g"],
    "momentum": ["v = MOMENTUM * state['velocity'][i] - LR * g", "state['velocity'][i] = v", "d = v"],
    "nesterov": [
        "v = MOMENTUM * state['velocity'][i] - LR * g",
        "state['velocity'][i] = v",
        "d = MOMENTUM * v - LR * g",
    ],
    "adagrad": [
        "acc = state['sum_sq'][i] + g * g",
        "state['sum_sq'][i] = acc",
        "d = (-LR * g) / (torch.sqrt(acc) + EPS)",
    ],
    "rmsprop": [
        "ms = RHO * state['mean_sq'][i] + ((1.0 - RHO) * g) * g",
        "state['mean_sq'][i] = ms",
        "d = (-LR * g) / (torch.sqrt(ms) + EPS)",
    ],
    "adam": [
        "m = BETA1 * state['m'][i] + (1.0 - BETA1) * g",
        "v = BETA2 * state['v'][i] + ((1.0 - BETA2) * g) * g",
        "state['m'][i], state['v'][i] = m, v",
        "d = ((m / (1.0 - BETA1 ** t)) * -LR) / (torch.sqrt(v / (1.0 - BETA2 ** t)) + EPS)",
    ],
}


class ExportError(EngineError):
    """The project cannot be exported as a PyTorch script (e.g. step units, which have no gradient)."""


@dataclass(frozen=True)
class Exported:
    """What :func:`make_script` made: the script, and the training data to write beside it (None when
    the data are in the script)."""

    script: str
    data: dict[str, np.ndarray] | None
    data_name: str | None


def _value(x: Any) -> str:
    """A Python literal of nested lists of float64 values that reads back bit for bit."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, list):
        return "[" + ", ".join(_value(v) for v in x) + "]"
    if isinstance(x, float):
        return repr(x) if math.isfinite(x) else f"float({str(x)!r})"
    return repr(x)


def _state_literal(state: dict[str, Any] | None, names: tuple[str, ...]) -> str:
    if not state:
        return "None"
    parts = [f"    't': {int(state.get('t', 0))},"]
    for key in names:
        arrays = state.get(key)
        if arrays is not None:
            parts.append(
                f"    {key!r}: [{', '.join('np.array(' + _value(np.asarray(a)) + ')' for a in arrays)}],"
            )
    return "{\n" + "\n".join(parts) + "\n}"


def make_script(
    net: Network,
    config: TrainConfig,
    X: np.ndarray,
    T: np.ndarray,
    *,
    name: str = "bpstudio network",
    opt_state: dict[str, Any] | None = None,
    epochs_done: int = 0,
    data_name: str = "train_data.npz",
    script_name: str = "train.py",
) -> Exported:
    """The PyTorch script of ``net`` trained with ``config`` on the prepared training data (X, T) from
    epoch ``epochs_done + 1`` on (see the module docstring)."""
    for layer, act in enumerate(net.activations, start=1):
        if act not in TORCH_ACTIVATIONS:
            raise ExportError(f"layer {layer}: {act} units have no gradient; PyTorch cannot train them")
    if config.loss not in TORCH_LOSSES:
        raise ExportError(f"the loss {config.loss!r} has no PyTorch form here")
    if config.loss == "bce" and net.activations[-1] != "sigmoid":
        raise ExportError("binary cross-entropy is exported with a sigmoid output layer only")
    if config.loss == "cce" and net.activations[-1] != "softmax":
        raise ExportError("categorical cross-entropy is exported with a softmax output layer only")
    if config.batch_mode not in BATCH_MODES:
        raise ExportError(f"unknown batch mode {config.batch_mode!r}")
    opt = get_optimiser(config.optimiser)
    hyper = opt.hyper(config.optimiser_params)
    n = int(X.shape[0])
    batch = config.effective_batch_size(n)
    eval_every = train_eval_stride(n, config.train_eval)
    seed = config.seed if config.shuffle else None
    embedded = X.size + T.size <= MAX_EMBEDDED
    masks = [None if m is None else np.asarray(m, dtype=float) for m in net.masks]
    # layers without biases: ∂E/∂b and Δb are 0, so their biases stay 0 (as bpstudio trains them)
    all_biased = all(net.use_bias)
    use_bias_line = (
        "" if all_biased else f"USE_BIAS = {[bool(u) for u in net.use_bias]!r}  # False: no biases\n"
    )
    pad = " " * 20
    no_bias = f"{pad}if i % 2 == 1 and not USE_BIAS[i // 2]:\n{pad}    {{0}} = torch.zeros_like({{0}})\n"
    no_bias_g = "" if all_biased else no_bias.format("g")
    no_bias_d = "" if all_biased else no_bias.format("d")

    constants = "\n".join(f"{k.upper()} = {_value(float(v))}" for k, v in sorted(hyper.items()))
    update = "\n".join("                    " + line for line in TORCH_UPDATES[opt.name])
    data_block = (
        f"X = np.array({_value(X)}, dtype=np.float64)\nT = np.array({_value(T)}, dtype=np.float64)"
        if embedded
        else (
            f"_data = np.load(Path(__file__).with_name({data_name!r}))  # written beside this script\n"
            "X, T = _data['X'], _data['T']"
        )
    )
    state_lit = _state_literal(opt_state, opt.state_keys)
    hidden_note = ", ".join(net.activations)
    dtype = config.dtype  # "float64" or "float32": the arithmetic of the project's runs
    agreement = (
        "equal bpstudio's to float64 rounding"
        if dtype == "float64"
        else ("follow bpstudio's float32 runs to float32 precision")
    )
    script = f'''"""{name}: a bpstudio project as a PyTorch script (exported by bpstudio {__version__}).

Run it with PyTorch and NumPy installed (pip install torch numpy):

    python {script_name} [--epochs N]

It builds the {"-".join(map(str, net.sizes))} network ({hidden_note}) with the project's weights and trains
it as bpstudio does, in {dtype}: loss {config.loss} ({config.reduction} over the batch), L1 {config.l1!r},
L2 {config.l2!r}, optimiser {opt.name} ({opt.formula}), {batch} sample(s) per update, epoch k in the
order numpy.random.default_rng([seed, k]).permutation(n) (seed {seed!r}). Its weights after each update
{agreement}. Training goes on from epoch {epochs_done + 1}.
"""

# %% imports and settings
import argparse
from pathlib import Path

import numpy as np
import torch

DTYPE = torch.{dtype}  # the number format of the project's runs
torch.set_default_dtype(DTYPE)

SIZES = {net.sizes!r}
ACTIVATIONS = {net.activations!r}
LOSS = {config.loss!r}
REDUCTION = {config.reduction!r}  # "mean": s = 1/m for a batch of m samples; "sum": s = 1
L1 = {_value(float(config.l1))}
L2 = {_value(float(config.l2))}
OPTIMISER = {opt.name!r}
{constants}
BATCH = {batch}  # samples per update
SEED = {seed!r}  # None: every epoch in the data's own order
EPOCHS = {int(config.epochs)}
EPOCHS_DONE = {int(epochs_done)}
# the loss printed after each epoch is over samples 0, EVAL_EVERY, 2·EVAL_EVERY, …: every sample, or
# for a training set of more than 4,096 the fixed subsample bpstudio's plot records (train_eval)
EVAL_EVERY = {eval_every}

# %% the network as bpstudio has it: W[l] is n_(l+1) × n_l (row j: the weights into neuron j)
WEIGHTS = [{", ".join("np.array(" + _value(w) + ")" for w in net.weights)}]
BIASES = [{", ".join("np.array(" + _value(b) + ")" for b in net.biases)}]
MASKS = [{", ".join("None" if m is None else "np.array(" + _value(m) + ")" for m in masks)}]  # 0: removed
{use_bias_line}STATE = {state_lit}

# %% the training data as bpstudio prepares them (inputs scaled with the project's transform)
{data_block}


# %% the forward pass, the loss and the batch order
def activation(name, z):
    return {{
{chr(10).join(f"        {k!r}: lambda z: {v}," for k, v in TORCH_ACTIVATIONS.items() if k in net.activations)}
    }}[name](z)


def forward(params, x):
    """(z of the output layer, the outputs): z = a·Wᵀ + b, a = f(z), layer by layer."""
    a = x
    for l in range(len(SIZES) - 1):
        z = a @ params[2 * l].T + params[2 * l + 1]
        a = activation(ACTIVATIONS[l], z)
    return z, a


def loss_sum(o, t, z):
    """Σₓ Eₓ over the batch ({config.loss})."""
    return {TORCH_LOSSES[config.loss]}


def penalty(params):
    """(λ₂/2)·Σ w² + λ₁·Σ |w| over the weights (not the biases)."""
    total = torch.zeros(())
    for w in params[0::2]:
        if L2:
            total = total + 0.5 * L2 * (w * w).sum()
        if L1:
            total = total + L1 * w.abs().sum()
    return total


def epoch_order(n, epoch):
    """The sample order of epoch number ``epoch`` (1-based), as bpstudio draws it."""
    if SEED is None:
        return np.arange(n)
    return np.random.default_rng([int(SEED), int(epoch)]).permutation(n)


# %% training
def train(epochs):
    params = []
    for w, b in zip(WEIGHTS, BIASES):
        params.append(torch.tensor(w, dtype=DTYPE, requires_grad=True))
        params.append(torch.tensor(b, dtype=DTYPE, requires_grad=True))
    masks = [None if m is None else torch.tensor(m, dtype=DTYPE) for m in MASKS]
    state = {{"t": 0}}
    for key in {list(opt.state_keys)!r}:
        state[key] = [torch.zeros_like(p) for p in params]
    if STATE is not None:
        state["t"] = STATE["t"]
        for key in {list(opt.state_keys)!r}:
            state[key] = [torch.tensor(a, dtype=DTYPE) for a in STATE[key]]
    x_all, t_all = torch.tensor(X, dtype=DTYPE), torch.tensor(T, dtype=DTYPE)
    n = x_all.shape[0]
    for epoch in range(EPOCHS_DONE + 1, EPOCHS_DONE + epochs + 1):
        order = torch.tensor(epoch_order(n, epoch))
        for start in range(0, n, BATCH):
            idx = order[start : start + BATCH]
            xb, tb = x_all[idx], t_all[idx]
            s = 1.0 / len(idx) if REDUCTION == "mean" else 1.0
            z, o = forward(params, xb)
            batch_loss = s * loss_sum(o, tb, z) + s * penalty(params)
            grads = torch.autograd.grad(batch_loss, params)
            state["t"] += 1
            t = state["t"]
            with torch.no_grad():
                for i, (p, g) in enumerate(zip(params, grads)):
                    mask = masks[i // 2] if i % 2 == 0 else None
                    if mask is not None:
                        g = g * mask
{no_bias_g}{update}
                    if mask is not None:
                        d = d * mask
{no_bias_d}                    p += d
        with torch.no_grad():
            z, o = forward(params, x_all[::EVAL_EVERY])
            m = z.shape[0]
            on = f" (on {{m:,}} of {{n:,}} samples)" if m < n else ""
            print(f"epoch {{epoch}}: loss {{(loss_sum(o, t_all[::EVAL_EVERY], z) / m).item():.6g}}{{on}}")
    return params


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the exported bpstudio network with PyTorch")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs to train (default {{EPOCHS}})")
    trained = train(parser.parse_args().epochs)
    for l in range(len(SIZES) - 1):
        print(f"W{{l + 1}} =", trained[2 * l].detach().numpy().tolist())
        print(f"b{{l + 1}} =", trained[2 * l + 1].detach().numpy().tolist())
'''
    data = None if embedded else {"X": np.asarray(X, dtype=np.float64), "T": np.asarray(T, dtype=np.float64)}
    return Exported(script, data, None if embedded else data_name)


def notebook(script: str) -> str:
    """The script as a Jupyter notebook (nbformat 4): the docstring as a Markdown cell, then one code
    cell per ``# %%`` section (the last one, the command-line entry point, becomes a call of ``train``)."""
    body = script
    doc = ""
    if body.startswith('"""'):
        end = body.index('"""', 3)
        doc, body = body[3:end].strip(), body[end + 3 :]
    body = body.replace("Path(__file__).with_name(", "Path(")  # a notebook runs in its own folder
    sections = body.split("# %% ")[1:]
    cells: list[dict[str, Any]] = [{"cell_type": "markdown", "metadata": {}, "source": _lines(doc)}]
    for section in sections:
        title, _, code = section.partition("\n")
        code = code.strip("\n")
        if 'if __name__ == "__main__":' in code:
            code = code[: code.index('if __name__ == "__main__":')].rstrip() + "\n\nparams = train(EPOCHS)"
        cells.append({"cell_type": "markdown", "metadata": {}, "source": _lines(f"### {title.strip()}")})
        cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": _lines(code),
            }
        )
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def write_export(out: Path, trainer: Trainer, name: str, with_notebook: bool) -> list[Path]:
    """Write the script of ``trainer``'s network, settings, data and state to ``out`` (a ``.py``),
    its training data beside it when they are too large for the script (``OUT-data.npz``) and, with
    ``with_notebook``, the notebook (``OUT.ipynb``); returns the files written."""
    exported = make_script(
        trainer.network,
        trainer.config,
        trainer.X,
        trainer.T,
        name=name,
        opt_state=trainer.opt_state if trainer.step_count else None,
        epochs_done=trainer.epoch,
        data_name=f"{out.stem}-data.npz",
        script_name=out.name,
    )
    write_bytes_atomic(out, exported.script.encode("utf-8"))
    written = [out]
    if exported.data is not None and exported.data_name is not None:
        buf = io.BytesIO()
        np.savez(buf, X=exported.data["X"], T=exported.data["T"])
        write_bytes_atomic(out.with_name(exported.data_name), buf.getvalue())
        written.append(out.with_name(exported.data_name))
    if with_notebook:
        write_bytes_atomic(out.with_suffix(".ipynb"), notebook(exported.script).encode("utf-8"))
        written.append(out.with_suffix(".ipynb"))
    return written
