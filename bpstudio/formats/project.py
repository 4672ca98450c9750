"""The project file (``*.bps.json``) and the weights file, as plain data: no pickle, no code.

A project holds the network (sizes, activations, weights, biases, masks), the training settings, the
dataset specification (a built-in name with parameters, inline arrays or a file reference, plus
preprocessing and split), the input transform fitted on the training split, the optimiser state, the
training progress (the position inside the current epoch, see :mod:`bpstudio.engine.progress`), the
training history (its per-update series thinned to bucket means of at most
:data:`bpstudio.engine.history.MAX_STORED_STEPS` points, see :meth:`History.to_dict`) and view
options. A weights file holds the network and the input transform its inputs are to be scaled with.
Both carry ``format``, ``version`` and ``created_with``; see ``docs/file-format.md`` and
``resources/schema/``.

Loading is all-or-nothing: a document is migrated, validated (schema and shape rules) and only then
turned into objects, so a bad file raises FormatError and never yields a half-built project.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__
from ..engine import EngineError, History, Network, TrainConfig, TrainingProgress
from .dataset import DatasetSpec
from .errors import FormatError
from .migrations import (
    migrate_project_v1_to_v2,
    migrate_project_v2_to_v3,
    migrate_project_v3_to_v4,
    migrate_weights_v1_to_v2,
    migrate_weights_v2_to_v3,
)
from .registry import FileFormat, load_document, register_format, save_document
from .rules import check_network, check_project, check_weights, training_config
from .view import ViewOptions

PROJECT_FORMAT = "bpstudio-project"
WEIGHTS_FORMAT = "bpstudio-weights"
PROJECT_VERSION = 4
WEIGHTS_VERSION = 3
#: the members of an input transform, in the order they are written
TRANSFORM_KEYS = ("scaling", "per_feature", "n_inputs", "shift", "scale", "train_samples")
CREATED_WITH = f"bpstudio {__version__}"

PROJECT = register_format(
    FileFormat(
        name=PROJECT_FORMAT,
        version=PROJECT_VERSION,
        schema_file="project.schema.json",
        what="project file",
        migrations={1: migrate_project_v1_to_v2, 2: migrate_project_v2_to_v3, 3: migrate_project_v3_to_v4},
        check=check_project,
    )
)
WEIGHTS = register_format(
    FileFormat(
        name=WEIGHTS_FORMAT,
        version=WEIGHTS_VERSION,
        schema_file="weights.schema.json",
        what="weights file",
        migrations={1: migrate_weights_v1_to_v2, 2: migrate_weights_v2_to_v3},
        check=check_weights,
    )
)


@dataclass
class Project:
    """A whole bpstudio document."""

    network: Network
    training: TrainConfig = field(default_factory=TrainConfig)
    #: {"builtin": name, "params": {...}}, {"inline": {"inputs": [[...]], "targets": [[...]]}} or
    #: {"file": ...}, optionally with "preprocessing", "split" and "name" entries (see :mod:`.dataset`)
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    name: str = ""
    description: str = ""
    optimiser_state: dict[str, Any] | None = None
    history: History | None = None
    #: display options of the GUI (bias drawing, labels, notation), see :mod:`.view`; ignored headless
    view: ViewOptions = field(default_factory=ViewOptions)
    #: the input scaling x′ = (x − shift)/scale the network is trained with, fitted on the training split:
    #: {"scaling", "per_feature", "n_inputs", "shift", "scale", "train_samples"} (bpstudio.data.fit_scaling),
    #: or None when not fitted yet (bpstudio.workspace.trainer_for fits and stores it)
    input_transform: dict[str, Any] | None = None
    #: where training stands inside the current epoch (its order's seed, the position, a begun batch,
    #: early stopping's best weights), so that it resumes exactly; None: at the start of the next epoch
    progress: TrainingProgress | None = None
    #: runs side by side (:class:`RunRecord`): variants of this project's settings trained from one start
    runs: list[RunRecord] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        # the dataset and the view are always their typed records, also when given a plain mapping
        if name == "dataset" and not isinstance(value, DatasetSpec):
            value = DatasetSpec(value)
        elif name == "view" and not isinstance(value, ViewOptions):  # checked like a file's
            value = ViewOptions(value)
        super().__setattr__(name, value)


@dataclass
class RunRecord:
    """One run of a comparison (issue 15.3): its name, the settings it changes against the project
    (``changes``: optimiser, lr, batch_mode, batch_size, activation, seed) and its own training state;
    it shares the project's dataset, input transform and view."""

    name: str
    changes: dict[str, Any]
    network: Network
    training: TrainConfig
    optimiser_state: dict[str, Any] | None = None
    progress: TrainingProgress | None = None
    history: History | None = None


@dataclass
class WeightsFile:
    """What a weights file holds: the network, and the input transform its inputs are scaled with."""

    network: Network
    #: as :attr:`Project.input_transform`; None when the file records none
    input_transform: dict[str, Any] | None = None


# ---------------------------------------------------------------------------------------------- to dicts
def network_to_dict(net: Network) -> dict[str, Any]:
    """The network part shared by project and weights files (``use_bias`` only when a layer has none)."""
    out: dict[str, Any] = {
        "sizes": [int(s) for s in net.sizes],
        "activations": list(net.activations),
        "weights": [np.asarray(w, dtype=np.float64).tolist() for w in net.weights],
        "biases": [np.asarray(b, dtype=np.float64).tolist() for b in net.biases],
        "masks": [None if m is None else np.asarray(m).astype(bool).tolist() for m in net.masks],
    }
    if not all(net.use_bias):
        out["use_bias"] = [bool(u) for u in net.use_bias]
    return out


def state_to_dict(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """An optimiser state as JSON data: ``t`` and, per state key, one nested list per parameter."""
    if state is None:
        return None
    out: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, (list, tuple)):
            out[key] = [np.asarray(a, dtype=np.float64).tolist() for a in value]
        else:
            out[key] = int(value)
    return out


def transform_to_dict(transform: Any) -> dict[str, Any] | None:
    """An input transform as JSON data (a copy; NumPy arrays become lists). Validation is the caller's."""
    if transform is None:
        return None
    if not isinstance(transform, dict):
        return transform  # refused with the field named when the document is validated
    out: dict[str, Any] = {}
    for key, value in transform.items():
        out[key] = value.tolist() if isinstance(value, np.ndarray) else copy.deepcopy(value)
    return out


def project_to_dict(project: Project) -> dict[str, Any]:
    """The current-version project document (not yet validated: :func:`save_project` does that)."""
    return {
        "format": PROJECT_FORMAT,
        "version": PROJECT_VERSION,
        "created_with": CREATED_WITH,
        "name": project.name,
        "description": project.description,
        "network": network_to_dict(project.network),
        "training": project.training.to_dict(),
        "dataset": project.dataset.to_dict(),
        "input_transform": transform_to_dict(project.input_transform),
        "optimiser_state": state_to_dict(project.optimiser_state),
        "progress": None if project.progress is None else project.progress.to_dict(),
        "history": None if project.history is None else project.history.to_dict(),
        "view": project.view.to_dict(),
        "runs": [run_to_dict(r) for r in project.runs],
    }


def run_to_dict(run: RunRecord) -> dict[str, Any]:
    """A run of a comparison as a member of the project's ``runs``."""
    return {
        "name": run.name,
        "changes": copy.deepcopy(run.changes),
        "network": network_to_dict(run.network),
        "training": run.training.to_dict(),
        "optimiser_state": state_to_dict(run.optimiser_state),
        "progress": None if run.progress is None else run.progress.to_dict(),
        "history": None if run.history is None else run.history.to_dict(),
    }


def weights_to_dict(net: Network, input_transform: dict[str, Any] | None = None) -> dict[str, Any]:
    """The current-version weights document: the network and (or null) the input transform."""
    return {
        "format": WEIGHTS_FORMAT,
        "version": WEIGHTS_VERSION,
        "created_with": CREATED_WITH,
        "network": network_to_dict(net),
        "input_transform": transform_to_dict(input_transform),
    }


# ---------------------------------------------------------------------------------------------- from dicts
def _build_network(net: dict[str, Any], path: str = "network") -> Network:
    """A Network from a validated network object."""
    try:
        return Network(
            sizes=[int(s) for s in net["sizes"]],
            activations=list(net["activations"]),
            weights=[np.array(w, dtype=np.float64) for w in net["weights"]],
            biases=[np.array(b, dtype=np.float64) for b in net["biases"]],
            masks=[None if m is None else np.array(m, dtype=bool) for m in net["masks"]],
            use_bias=[bool(u) for u in net.get("use_bias") or [True] * (len(net["sizes"]) - 1)],
        )
    except EngineError as exc:  # the rules have checked all this already; belt and braces
        raise FormatError(str(exc), path) from None


def _build_state(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    out: dict[str, Any] = {"t": int(state["t"])}
    for key, arrays in state.items():
        if key != "t":
            out[key] = [np.array(a, dtype=np.float64) for a in arrays]
    return out


def _build_transform(t: dict[str, Any] | None) -> dict[str, Any] | None:
    """The input transform of a validated document: whole numbers as int, shift/scale as floats."""
    if t is None:
        return None
    out: dict[str, Any] = {"scaling": t["scaling"], "per_feature": bool(t["per_feature"])}
    out["n_inputs"] = int(t["n_inputs"])
    for key in ("shift", "scale"):
        if key in t:
            out[key] = [float(v) for v in t[key]]
    out["train_samples"] = int(t["train_samples"])
    return out


def _build_project(doc: dict[str, Any]) -> Project:
    """A Project from a validated current-version document; shares nothing with ``doc``."""
    return Project(
        network=_build_network(doc["network"]),
        training=training_config(doc["training"]),
        dataset=DatasetSpec(doc["dataset"]),
        name=doc["name"],
        description=doc["description"],
        optimiser_state=_build_state(doc["optimiser_state"]),
        history=None if doc["history"] is None else History.from_dict(doc["history"]),
        view=ViewOptions.parse(doc["view"]),
        input_transform=_build_transform(doc["input_transform"]),
        progress=None if doc["progress"] is None else TrainingProgress.from_dict(doc["progress"]),
        runs=[_build_run(r, f"runs[{i}]") for i, r in enumerate(doc["runs"])],
    )


def _build_run(r: dict[str, Any], path: str) -> RunRecord:
    return RunRecord(
        name=r["name"],
        changes=copy.deepcopy(r["changes"]),
        network=_build_network(r["network"], f"{path}.network"),
        training=training_config(r["training"]),
        optimiser_state=_build_state(r["optimiser_state"]),
        progress=None if r["progress"] is None else TrainingProgress.from_dict(r["progress"]),
        history=None if r["history"] is None else History.from_dict(r["history"]),
    )


def _build_weights(doc: dict[str, Any]) -> WeightsFile:
    return WeightsFile(_build_network(doc["network"]), _build_transform(doc["input_transform"]))


def project_from_dict(data: dict[str, Any]) -> Project:
    """A Project from a parsed project document of any known version (migrated, then validated)."""
    return _build_project(PROJECT.decode(data))


def weights_from_dict(data: dict[str, Any]) -> Network:
    """The Network of a parsed weights document of any known version (migrated, then validated)."""
    return _build_network(WEIGHTS.decode(data)["network"])


def weights_file_from_dict(data: dict[str, Any]) -> WeightsFile:
    """Network and input transform of a parsed weights document of any known version."""
    return _build_weights(WEIGHTS.decode(data))


def network_from_dict(data: dict[str, Any], path: str = "network") -> Network:
    """A Network from the network part alone (current version), validated like a file's."""
    PROJECT.schema.validate(data, path, ref="#/$defs/network")
    check_network(data, path)
    return _build_network(data, path)


# ---------------------------------------------------------------------------------------------- files
def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project file; FormatError (naming the file and field) on anything wrong, nothing changed."""
    return _build_project(load_document(path, PROJECT))


def save_project(path: str | os.PathLike[str], project: Project) -> None:
    """Write a project file atomically, after checking it would load again (FormatError if not)."""
    save_project_document(path, project_to_dict(project))


def save_project_document(path: str | os.PathLike[str], doc: dict[str, Any], reparse: bool = True) -> None:
    """Write a document made by :func:`project_to_dict` as :func:`save_project` does. The document
    shares nothing with the project, so it may be written in another thread (an autosave: with
    ``reparse`` False, see :func:`~bpstudio.formats.registry.save_document`)."""
    save_document(path, doc, PROJECT, reparse)


def load_weights(path: str | os.PathLike[str]) -> Network:
    """Read a weights file's network (:func:`load_weights_file` also gives its input transform)."""
    return _build_network(load_document(path, WEIGHTS)["network"])


def load_weights_file(path: str | os.PathLike[str]) -> WeightsFile:
    """Read a weights file: the network and the input transform (None when the file records none)."""
    return _build_weights(load_document(path, WEIGHTS))


def save_weights(
    path: str | os.PathLike[str], net: Network, input_transform: dict[str, Any] | None = None
) -> None:
    """Write a weights file atomically, with the input transform the network's inputs are scaled with."""
    save_document(path, weights_to_dict(net, input_transform), WEIGHTS)
