"""Qt-free glue between a project file, its dataset and the engine's Trainer (used by the CLI and the GUI)."""

from __future__ import annotations

import os
from pathlib import Path

from . import resource_path
from .data import PreparedData, check_fits, prepare
from .engine import History, Trainer
from .formats import Project, load_project

EXAMPLES_DIR = "examples"
DEFAULT_EXAMPLE = "xor"


def trainer_for(project: Project, base_dir: str | os.PathLike | None = None) -> tuple[Trainer, PreparedData]:
    """A Trainer on the project's network (shared, trained in place) and prepared dataset.

    A dataset file named by a relative path is looked up relative to ``base_dir`` (the project's
    folder). The project's saved optimiser state and history are carried over, so training resumes
    where it stopped.
    """
    data = prepare(project.dataset, base_dir=base_dir)
    check_fits(data.dataset, project.network.sizes)
    trainer = Trainer(
        project.network,
        project.training,
        *data.train,
        val=data.val,
        test=data.test,
        task=data.dataset.task,
    )
    if project.optimiser_state is not None:
        shapes = [p.shape for p in project.network.parameters()]
        state = project.optimiser_state
        ok = all([a.shape for a in state[k]] == shapes for k, v in state.items() if isinstance(v, list))
        if ok and set(k for k, v in state.items() if isinstance(v, list)) == set(
            k for k, v in trainer.opt_state.items() if isinstance(v, list)
        ):
            trainer.opt_state = state
    if project.history is not None:
        trainer.history = project.history
        trainer.epoch = len(project.history.epochs)
        trainer.step_count = len(project.history.step_loss)
    return trainer, data


def update_project(project: Project, trainer: Trainer) -> None:
    """Store the trainer's optimiser state and history in the project (before saving it)."""
    project.network = trainer.network
    project.training = trainer.config
    project.optimiser_state = trainer.opt_state
    project.history = trainer.history if isinstance(trainer.history, History) else None


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
