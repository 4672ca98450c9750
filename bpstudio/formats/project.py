"""The project file (``*.bps.json``) and the weights file, as plain data: no pickle, no code.

A project holds the network (sizes, activations, weights, biases, masks), the training settings, the
dataset specification (a built-in name with parameters, or inline arrays, plus preprocessing and
split), the optimiser state, the training history and view options. A weights file holds the network
alone. Both carry ``format`` and ``version``; see ``docs/file-format.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import History, Network, TrainConfig

PROJECT_FORMAT = "bpstudio-project"
WEIGHTS_FORMAT = "bpstudio-weights"
PROJECT_VERSION = 1
WEIGHTS_VERSION = 1


@dataclass
class Project:
    """A whole bpstudio document."""

    network: Network
    training: TrainConfig = field(default_factory=TrainConfig)
    #: {"builtin": name, "params": {...}} or {"inline": {"inputs": [[...]], "targets": [[...]]}},
    #: optionally with "preprocessing" and "split" entries (see bpstudio.data)
    dataset: dict[str, Any] = field(default_factory=lambda: {"builtin": "xor", "params": {}})
    name: str = ""
    description: str = ""
    optimiser_state: dict[str, Any] | None = None
    history: History | None = None
    #: display options of the GUI (bias drawing, labels, notation); ignored headless
    view: dict[str, Any] = field(default_factory=dict)


def network_to_dict(net: Network) -> dict[str, Any]:
    """The network part shared by project and weights files."""
    return {
        "sizes": list(net.sizes),
        "activations": list(net.activations),
        "weights": [w.tolist() for w in net.weights],
        "biases": [b.tolist() for b in net.biases],
        "masks": [None if m is None else m.astype(bool).tolist() for m in net.masks],
    }


def network_from_dict(data: dict[str, Any]) -> Network:
    masks = data.get("masks") or [None] * (len(data["sizes"]) - 1)
    return Network(
        sizes=list(data["sizes"]),
        activations=list(data["activations"]),
        weights=[np.array(w, dtype=np.float64) for w in data["weights"]],
        biases=[np.array(b, dtype=np.float64) for b in data["biases"]],
        masks=[None if m is None else np.array(m, dtype=bool) for m in masks],
    )


def state_to_dict(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    out: dict[str, Any] = {}
    for key, value in state.items():
        out[key] = [np.asarray(a).tolist() for a in value] if isinstance(value, list) else value
    return out


def state_from_dict(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = [np.array(a, dtype=np.float64) for a in value] if isinstance(value, list) else int(value)
    return out


def project_to_dict(project: Project) -> dict[str, Any]:
    return {
        "format": PROJECT_FORMAT,
        "version": PROJECT_VERSION,
        "name": project.name,
        "description": project.description,
        "network": network_to_dict(project.network),
        "training": project.training.to_dict(),
        "dataset": project.dataset,
        "optimiser_state": state_to_dict(project.optimiser_state),
        "history": None if project.history is None else project.history.to_dict(),
        "view": dict(project.view),
    }


def project_from_dict(data: dict[str, Any]) -> Project:
    return Project(
        network=network_from_dict(data["network"]),
        training=TrainConfig.from_dict(data.get("training", {})),
        dataset=data.get("dataset") or {"builtin": "xor", "params": {}},
        name=data.get("name", ""),
        description=data.get("description", ""),
        optimiser_state=state_from_dict(data.get("optimiser_state")),
        history=None if data.get("history") is None else History.from_dict(data["history"]),
        view=dict(data.get("view") or {}),
    )


def weights_to_dict(net: Network) -> dict[str, Any]:
    return {"format": WEIGHTS_FORMAT, "version": WEIGHTS_VERSION, "network": network_to_dict(net)}


def weights_from_dict(data: dict[str, Any]) -> Network:
    return network_from_dict(data["network"])
