"""Qt-free glue between a project file, its dataset and the engine's Trainer (used by the CLI and the GUI)."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from . import resource_path
from .data import DataError, Dataset, PreparedData, check_fits, prepare
from .data.preprocess import check_preprocessing
from .engine import Trainer
from .engine.optimisers import copy_state
from .formats import Project, load_project

EXAMPLES_DIR = "examples"
DEFAULT_EXAMPLE = "xor"


def _usable_transform(project: Project) -> dict[str, Any] | None:
    """The project's stored input transform, dropped (set to None) when it no longer fits the input layer."""
    stored = project.input_transform
    if stored is not None and stored.get("n_inputs") != project.network.sizes[0]:
        project.input_transform = stored = None
    return stored


def trainer_for(
    project: Project, base_dir: str | os.PathLike[str] | None = None
) -> tuple[Trainer, PreparedData]:
    """A Trainer on the project's network (shared, trained in place) and prepared dataset.

    The trainer takes copies of the project's optimiser state and history: from here on the trainer
    owns the training state, and :func:`update_project` writes it back when the project is saved.

    A dataset file named by a relative path is looked up relative to ``base_dir`` (the project's
    folder). The project's saved optimiser state, history and progress (the position inside the
    current epoch, a begun mini-batch, early stopping's best weights) are carried over, so training
    resumes exactly where it stopped: the same updates as if it had never been interrupted. A progress
    that does not fit (recorded at another epoch than the history's, or for other data) is ignored:
    training then continues from the start of the current epoch.

    The inputs are scaled with the project's stored ``input_transform`` when it was fitted for the
    dataset's scaling choice and input count, even if the data file changed since (the weights were
    trained on that scaling); otherwise the scaling is fitted on the training split. The transform used
    is written back into ``project.input_transform``, so saving the project stores it. A stored
    transform for another input count than the network's input layer is dropped.
    """
    data = prepare(project.dataset, base_dir=base_dir, transform=_usable_transform(project))
    check_fits(data.dataset, project.network.sizes)
    project.input_transform = copy.deepcopy(data.preprocessing)
    trainer = Trainer(
        project.network,
        project.training,
        *data.train,
        val=data.val,
        test=data.test,
        task=data.dataset.task,
    )
    # None or not fitting: from the start of the history's next epoch, with a fresh optimiser state
    trainer.resume(project.progress, project.optimiser_state, project.history)
    return trainer, data


def input_transform_for(
    project: Project, base_dir: str | os.PathLike[str] | None = None, dataset: Dataset | None = None
) -> dict[str, Any] | None:
    """The transform the project's inputs are scaled with: the stored one, else fitted from its dataset
    (``dataset``, when the caller has loaded it already).

    A DataError when one must be fitted but the dataset cannot be loaded or does not fit the network,
    unless the project's scaling is "none": then None (the inputs are used as they are). The project
    is not changed.
    """
    stored = project.input_transform
    if stored is not None and stored.get("n_inputs") == project.network.sizes[0]:
        return copy.deepcopy(stored)
    spec = project.dataset
    try:
        data = prepare(spec, dataset, base_dir=base_dir)
        check_fits(data.dataset, project.network.sizes)
    except DataError:
        if check_preprocessing(spec.get("preprocessing"))[0] == "none":
            return None
        raise
    return data.preprocessing


def update_project(project: Project, trainer: Trainer) -> None:
    """Store copies of the trainer's network, settings, optimiser state, history and progress in the
    project (before saving it): the project holds plain values, never the trainer's live objects.

    The project's input transform (stored by :func:`trainer_for`) is kept.
    """
    project.network = trainer.network.copy()
    project.training = trainer.config
    project.optimiser_state = copy_state(trainer.opt_state)
    project.history = trainer.history.copy()
    project.progress = trainer.progress()


def examples_dir() -> Path:
    return resource_path(EXAMPLES_DIR)


def list_examples() -> list[tuple[str, Path]]:
    """(name, path) of every shipped example project, sorted by file name."""
    out = []
    for p in sorted(examples_dir().glob("*.bps.json")):
        out.append((p.name[: -len(".bps.json")], p))
    return out


def load_example(name: str = DEFAULT_EXAMPLE) -> Project:
    """The shipped example project ``name`` (e.g. ``xor``)."""
    return load_project(examples_dir() / f"{name}.bps.json")
