"""Migrations between format versions: one function per step, each turning version n into n + 1.

A migration receives a *copy* of a parsed document that has not been validated yet (only its
``format`` and ``version`` are known to be right), so it must not assume types: it changes what it
recognises and leaves anything else for the schema to report after the last step.

Project and weights, version 1 → 2
----------------------------------
Version 1 readers filled in defaults for fields a file left out; the result then depended on the
defaults of whichever bpstudio read the file. Version 2 makes every field explicit and records which
program wrote the file:

- adds ``created_with`` (``"unknown (format version 1)"`` for migrated files; bpstudio writes
  ``"bpstudio <version>"``);
- fills what version 1 defaulted: ``name``/``description`` → ``""``, ``dataset`` → the XOR built-in,
  ``optimiser_state``/``history`` → ``null``, ``view`` → ``{}``, ``network.masks`` → one ``null`` per
  layer, every missing ``training`` setting → its version-1 default (:data:`V1_TRAINING_DEFAULTS`,
  a frozen copy: later changes to TrainConfig's defaults do not change what an old file meant),
  and missing history lists → empty (per-split lists → ``null`` per epoch).

Project and weights, version 2 → 3
----------------------------------
Version 3 records the input scaling the network was trained with, fitted on the training split, so
that predictions and exports scale new inputs the same way: ``input_transform`` is ``null`` or
``{"scaling", "per_feature", "n_inputs", "shift", "scale", "train_samples"}`` (x′ = (x − shift)/scale).
Version 2 files never stored it, so the step adds ``input_transform: null`` ("not recorded"); bpstudio
fits it again from the project's dataset the next time the project is prepared for training.

Version 3 also lets a project's history store its per-update series thinned (bucket means over
``step_every`` updates, of ``step_count`` updates in all). A version 2 history holds one entry per
update, so the step adds ``step_every: 1`` and ``step_count`` = the number of entries in ``step_loss``.

Version 3 also records where training stands inside the current epoch, ``progress`` (the seed of the
epoch's sample order, the position in it, a mini-batch begun sample by sample, early stopping's best
weights), so that a reopened project continues exactly as if it had never been closed. Version 2
files resumed at the start of the next epoch, which is what the step's ``progress: null`` means.
"""

from __future__ import annotations

import copy
from typing import Any

V1_CREATED_WITH = "unknown (format version 1)"

#: TrainConfig's defaults when format version 1 was current (a v1 file without a setting meant this)
V1_TRAINING_DEFAULTS: dict[str, Any] = {
    "loss": "half_sse",
    "reduction": "mean",
    "optimiser": "sgd",
    "optimiser_params": {},
    "batch_mode": "online",
    "batch_size": 10,
    "epochs": 1000,
    "l1": 0.0,
    "l2": 0.0,
    "seed": 0,
    "shuffle": True,
    "init": "uniform",
    "init_params": {},
    "early_stopping": False,
    "patience": 20,
    "min_delta": 0.0,
    "target_loss": None,
}
V1_DEFAULT_DATASET: dict[str, Any] = {"builtin": "xor", "params": {}}
_SPLITS = ("train", "val", "test")


def _network_v1_to_v2(net: Any) -> None:
    if not isinstance(net, dict):
        return
    sizes = net.get("sizes")
    if net.get("masks") in (None, []) and isinstance(sizes, list) and len(sizes) >= 1:
        net["masks"] = [None] * (len(sizes) - 1)


def _history_v1_to_v2(h: Any) -> None:
    if not isinstance(h, dict):
        return
    for key in ("step_loss", "grad_norms", "epochs"):
        h.setdefault(key, [])
    n_epochs = len(h["epochs"]) if isinstance(h["epochs"], list) else 0
    for key in ("loss", "accuracy"):
        per_split = h.setdefault(key, {})
        if isinstance(per_split, dict):
            for split in _SPLITS:
                per_split.setdefault(split, [None] * n_epochs)


def migrate_project_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Project version 1 → 2: ``created_with`` added, every field version 1 defaulted made explicit."""
    doc["version"] = 2
    doc.setdefault("created_with", V1_CREATED_WITH)
    doc.setdefault("name", "")
    doc.setdefault("description", "")
    _network_v1_to_v2(doc.get("network"))
    training = doc.setdefault("training", {})
    if isinstance(training, dict):
        for key, value in V1_TRAINING_DEFAULTS.items():
            if key not in training:
                training[key] = copy.deepcopy(value)
            elif key in ("optimiser_params", "init_params") and training[key] is None:
                training[key] = {}  # v1 read null as "no parameters"
    if doc.get("dataset") in (None, {}):  # v1 read a missing or empty dataset as XOR
        doc["dataset"] = copy.deepcopy(V1_DEFAULT_DATASET)
    doc.setdefault("optimiser_state", None)
    doc.setdefault("history", None)
    _history_v1_to_v2(doc["history"])
    if doc.get("view", None) is None:
        doc["view"] = {}
    return doc


def migrate_weights_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Weights version 1 → 2: ``created_with`` added, ``network.masks`` made explicit."""
    doc["version"] = 2
    doc.setdefault("created_with", V1_CREATED_WITH)
    _network_v1_to_v2(doc.get("network"))
    return doc


def migrate_project_v2_to_v3(doc: dict[str, Any]) -> dict[str, Any]:
    """Project version 2 → 3: ``input_transform`` added as ``null`` (not recorded), ``progress`` as
    ``null`` (at the start of the next epoch); a history gets ``step_count`` (its number of step losses)
    and ``step_every: 1`` (one entry per update)."""
    doc["version"] = 3
    doc.setdefault("input_transform", None)
    doc.setdefault("progress", None)
    h = doc.get("history")
    if isinstance(h, dict):
        steps = h.get("step_loss")
        h.setdefault("step_count", len(steps) if isinstance(steps, list) else 0)
        h.setdefault("step_every", 1)
    return doc


def migrate_weights_v2_to_v3(doc: dict[str, Any]) -> dict[str, Any]:
    """Weights version 2 → 3: ``input_transform`` added as ``null`` (not recorded)."""
    doc["version"] = 3
    doc.setdefault("input_transform", None)
    return doc


def migrate_project_v3_to_v4(doc: dict[str, Any]) -> dict[str, Any]:
    """Project version 3 → 4: ``runs`` added as ``[]`` (no runs side by side); a history gets
    ``distributions: null`` (no per-epoch distribution records: a version-3 history has none)."""
    doc["version"] = 4
    doc.setdefault("runs", [])
    h = doc.get("history")
    if isinstance(h, dict):
        h.setdefault("distributions", None)
    return doc
