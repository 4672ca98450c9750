"""Runs side by side (issue 15.3): variants of a project's settings trained from the same start.

A run (:class:`bpstudio.formats.RunRecord`) is the project's network and settings with a few
``changes`` (:data:`CHANGES`):

* ``optimiser``: another optimiser. Its parameters are its defaults, overridden by the project's
  parameters of the same names (so η stays the project's), then by ``lr`` if the run changes it;
* ``lr``: the learning rate η;
* ``batch_mode`` and ``batch_size``;
* ``activation``: the activation of every hidden layer (the output layer keeps its own);
* ``seed``: the start weights drawn again with the project's initialiser and this seed (without it,
  every run starts from the project's weights as they were when the run was made).

Each run trains on the project's data with its own trainer, history and optimiser state; the
project's own training is not touched. :func:`run_project` makes a run a project of its own (to open
or save it), :func:`train_run` trains one for some epochs. Qt-free: the window and tests drive it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .engine import ACTIVATIONS, EngineError, TrainConfig, get_optimiser
from .engine.edits import set_activation
from .engine.training import Trainer
from .formats import DatasetSpec, Project, RunRecord, ViewOptions
from .workspace import trainer_for, update_project

#: what a run may change, in the order they are shown
CHANGES = ("optimiser", "lr", "batch_mode", "batch_size", "activation", "seed")
#: at most this many runs side by side
MAX_RUNS = 4
#: how the changes are named for people
LABELS = {
    "optimiser": "optimiser",
    "lr": "η",
    "batch_mode": "batch",
    "batch_size": "batch size",
    "activation": "hidden activation",
    "seed": "start seed",
}


def check_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes as plain values, or EngineError naming the first one that is not allowed."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in CHANGES:
            raise EngineError(f"a run cannot change {key!r}: choose from {', '.join(CHANGES)}")
        if key == "optimiser":
            get_optimiser(str(value))  # refuses an unknown name
            out[key] = str(value)
        elif key == "lr":
            lr = float(value)
            if not (np.isfinite(lr) and lr > 0):
                raise EngineError("η must be a number > 0")
            out[key] = lr
        elif key == "batch_size":
            if int(value) != value or int(value) < 1:
                raise EngineError("the batch size must be a whole number ≥ 1")
            out[key] = int(value)
        elif key == "seed":
            if int(value) != value or int(value) < 0:
                raise EngineError("the seed must be a whole number ≥ 0")
            out[key] = int(value)
        elif key == "activation":
            ACTIVATIONS.get(str(value))  # refuses an unknown name
            out[key] = str(value)
        else:
            out[key] = str(value)
    return out


def _config(base: TrainConfig, changes: Mapping[str, Any]) -> TrainConfig:
    cfg = copy.deepcopy(base)
    if "optimiser" in changes and changes["optimiser"] != base.optimiser:
        new = get_optimiser(changes["optimiser"])
        params = dict(new.defaults)
        params.update({k: v for k, v in base.optimiser_params.items() if k in new.defaults})
        cfg.optimiser, cfg.optimiser_params = new.name, params
    if "lr" in changes:
        cfg.optimiser_params = {**cfg.optimiser_params, "lr": float(changes["lr"])}
    if "batch_mode" in changes:
        cfg.batch_mode = changes["batch_mode"]
    if "batch_size" in changes:
        cfg.batch_size = int(changes["batch_size"])
    cfg.validate()
    return cfg


def new_run(project: Project, name: str, changes: Mapping[str, Any]) -> RunRecord:
    """A run of ``project`` with ``changes``, at the start: the project's weights now (or drawn with
    the changed seed), no history."""
    name = name.strip()
    if not name or len(name) > 80:
        raise EngineError("a run needs a name of 1 to 80 characters")
    changes = check_changes(changes)
    cfg = _config(project.training, changes)
    net = project.network.copy()
    if "activation" in changes:
        for layer in range(1, net.n_layers):
            set_activation(net, layer, changes["activation"])
    if "seed" in changes:
        net.initialise(cfg.init, cfg.init_params, seed=changes["seed"])
    return RunRecord(name=name, changes=changes, network=net, training=cfg)


def run_project(project: Project, run: RunRecord) -> Project:
    """The run as a project of its own: its network, settings and training state with the project's
    dataset, input transform and view (copies: nothing is shared with either)."""
    return Project(
        network=run.network.copy(),
        training=copy.deepcopy(run.training),
        dataset=DatasetSpec(copy.deepcopy(project.dataset.to_dict())),
        name=f"{project.name} — {run.name}" if project.name else run.name,
        description=f"Run “{run.name}” ({describe(run.changes) or 'the same settings'})",
        optimiser_state=copy.deepcopy(run.optimiser_state),
        history=None if run.history is None else run.history.copy(),
        view=ViewOptions(copy.deepcopy(project.view.to_dict())),
        input_transform=copy.deepcopy(project.input_transform),
        progress=run.progress,
    )


def train_run(
    project: Project,
    run: RunRecord,
    epochs: int,
    on_epoch: Callable[[Trainer], bool] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> RunRecord:
    """The run after ``epochs`` more epochs on the project's data (a new record; ``run`` is not
    changed). ``on_epoch(trainer)`` is called after each epoch; when it returns False training stops
    there. Raises what training raises (DataError, EngineError, e.g. divergence)."""
    p = run_project(project, run)
    trainer, _data = trainer_for(p, base_dir)
    for _ in range(max(int(epochs), 0)):
        result = trainer.run(epochs=1)
        if on_epoch is not None and not on_epoch(trainer):
            break
        if result.reason in ("early_stopping", "target"):
            break
    update_project(p, trainer)
    return RunRecord(
        run.name, dict(run.changes), p.network, p.training, p.optimiser_state, p.progress, p.history
    )


def describe(changes: Mapping[str, Any]) -> str:
    """The changes for people: ``"optimiser adam, η = 0.01"``."""
    parts = []
    for key in CHANGES:
        if key in changes:
            value = changes[key]
            if key == "lr":
                parts.append(f"η = {value:g}")
            else:
                parts.append(f"{LABELS[key]} {value}")
    return ", ".join(parts)


def last_loss(run: RunRecord, split: str = "train") -> float | None:
    """The run's loss on ``split`` after its last epoch, or None."""
    h = run.history
    if h is None or not h.loss[split]:
        return None
    return h.loss[split][-1]
