"""Run a trained network on new inputs, scaled exactly as it was trained (``bpstudio predict``). Qt-free.

    bpstudio predict MODEL --data FILE [--target COL[,COL]] [--out OUT.csv]

MODEL is a project (``*.bps.json``) or a weights file. The inputs are read with bpstudio's importers
(CSV/TSV, NPZ, MNIST IDX; ``.gz`` allowed); without ``--target`` every column of a CSV/TSV file is an
input. Each row x is scaled with the model's stored input transform, x′ = (x − shift)/scale (the one
fitted on the training split, :func:`bpstudio.data.apply_preprocessing`), and run forward. The result
is a CSV table, one row per sample: the outputs ``y1 … yk`` and, for a classification project whose
classes are known, the predicted ``class``.

With ``--target`` the named columns are left out of the inputs and used as targets: a line on stderr
then gives the mean per-sample loss Ē = (1/n)·Σₓ Eₓ (the project's loss; for a weights file cce for a
softmax output, bce for a sigmoid output with targets in [0, 1], else mse) and, for classification,
the accuracy. A project that stores no transform (saved by an older bpstudio) fits it on its dataset
again; a weights file that records none is used on the raw inputs, and stderr says so.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .data import DataError, apply_preprocessing, describe_transform, load_dataset
from .data.csvfile import read_inputs_only
from .data.encode import class_text
from .data.files import FORMATS, guess_format
from .data.idx import read_idx
from .data.npzfile import INPUT_KEYS, npz_arrays, read_npz
from .data.records import Dataset, ImportReport
from .engine import Network, TrainConfig, accuracy, get_loss, infer_task
from .formats import (
    PROJECT_FORMAT,
    WEIGHTS_FORMAT,
    FormatError,
    project_from_dict,
    read_json,
    weights_file_from_dict,
)
from .workspace import input_transform_for


# ---------------------------------------------------------------------------------------------- the model
@dataclass
class Model:
    """A network with the transform its inputs get and, for a project, what its classes are."""

    network: Network
    #: the fitted input transform, or None (the inputs are used as they are)
    transform: dict[str, Any] | None
    #: "project" or "weights"
    kind: str
    #: the project's training settings (its loss), None for a weights file
    config: TrainConfig | None = None
    #: "binary", "multiclass" or "regression" when the project's dataset could be loaded
    task: str | None = None
    class_names: list[str] = field(default_factory=list)
    #: the low and high target levels of a binary task (0/1 or −1/+1)
    levels: tuple[float, float] | None = None
    #: things to tell the user (on stderr)
    notes: list[str] = field(default_factory=list)


def load_model(path: str | Path) -> Model:
    """A project or weights file as a Model; FormatError/DataError with a clear message otherwise."""
    p = Path(path)
    data = read_json(p, "project or weights file")
    fmt = data.get("format") if isinstance(data, dict) else None
    try:
        if fmt == WEIGHTS_FORMAT:
            wf = weights_file_from_dict(data)
        elif fmt == PROJECT_FORMAT:
            project = project_from_dict(data)
        else:
            raise FormatError("not a bpstudio project or weights file")
    except FormatError as exc:
        raise exc.with_source(str(p)) from None
    if fmt == WEIGHTS_FORMAT:
        model = Model(wf.network, wf.input_transform, "weights")
        if wf.input_transform is None:
            model.notes.append(
                f"{p.name} records no input transform: the inputs are used as they are (unscaled)"
            )
        return model
    base = p.resolve().parent
    ds: Dataset | None = None
    problem = ""
    try:
        ds = load_dataset(project.dataset, base)
    except (DataError, OSError) as exc:
        problem = str(exc)
    stored = project.input_transform is not None
    try:
        transform = input_transform_for(project, base, dataset=ds)
    except DataError as exc:
        raise DataError(
            f"{p.name} stores no input transform, and its dataset cannot give one: {problem or exc}"
        ) from None
    model = Model(project.network, transform, "project", config=project.training)
    if not stored and transform is not None:
        model.notes.append(
            f"{p.name} stores no input transform (an older file): fitted it on its dataset again, "
            f"{describe_transform(transform)}"
        )
    if ds is None:
        model.notes.append(
            f"the project's dataset cannot be loaded, so its class names are unknown ({problem})"
        )
    elif ds.is_classification and ds.n_outputs == project.network.sizes[-1]:
        model.task = ds.task
        model.class_names = list(ds.class_names)
        if ds.task == "binary":
            lv = np.unique(ds.T[:, 0])
            model.levels = (float(lv[0]), float(lv[-1]))
    elif ds.task == "regression":
        model.task = "regression"
    return model


# ---------------------------------------------------------------------------------------------- the data
@dataclass
class Inputs:
    """Inputs X (n × d) read from a file, and targets T (n × k) when asked for."""

    X: np.ndarray
    T: np.ndarray | None = None
    #: the targets' task and class names as the file gives them (None without targets)
    task: str | None = None
    class_names: list[str] = field(default_factory=list)
    report: ImportReport | None = None


def read_inputs(
    path: str | Path,
    fmt: str | None = None,
    target: Any = None,
    header: Any = "auto",
    labels: str | Path | None = None,
) -> Inputs:
    """Read a data file for prediction: every column an input, unless ``target`` names target columns.

    CSV/TSV: ``target`` is a column name or number (1 = first, −1 = last) or a list of them.
    NPZ: the inputs are the X/x/inputs/data/images array; ``target`` names the targets array.
    IDX: the images; ``labels`` (the labels file) gives the targets.
    """
    p = Path(path).expanduser()
    fmt = fmt or guess_format(p)
    if fmt is None:
        raise DataError(
            f"cannot tell the format of {p.name} from its name; give --format ({', '.join(FORMATS)})"
        )
    if fmt == "idx":
        if target is not None:
            raise DataError("--target: an IDX file has no columns; give its labels file with --labels")
        if labels is None:
            images = read_idx(p)
            X = images.reshape(images.shape[0], -1).astype(np.float64)
            if X.shape[0] == 0 or not np.all(np.isfinite(X)):
                raise DataError(f"{p}: holds no images, or NaN or infinity")
            return Inputs(X)
        return _from_dataset(load_dataset({"file": str(p), "format": "idx", "labels": str(labels)}))
    if labels is not None:
        raise DataError("--labels: only for IDX images")
    if fmt == "npz":
        if target is not None:
            if not isinstance(target, str):
                raise DataError("--target: for an .npz file, name its targets array, e.g. --target y")
            return _from_dataset(load_dataset({"file": str(p), "format": "npz", "targets_key": target}))
        key = _npz_inputs_key(p)
        return Inputs(read_npz(p, inputs_key=key, targets_key=key, onehot=False).X)
    if target is not None:
        spec = {"file": str(p), "format": fmt, "target": target, "header": header}
        return _from_dataset(load_dataset(spec))
    try:
        X, _names, report = read_inputs_only(p, "auto" if fmt == "csv" else "\t", header, fmt)
    except DataError as exc:
        if "not a number" not in str(exc):
            raise
        raise DataError(f"{exc}; if it is a target column, name it with --target") from None
    return Inputs(X, report=report)


def _from_dataset(ds: Dataset) -> Inputs:
    return Inputs(ds.X, ds.T, ds.task, list(ds.class_names), ds.report)


def _npz_inputs_key(path: Path) -> str | None:
    """The inputs array an .npz file holds (the first of X, x, inputs, data, images), or None."""
    try:
        names = [a.name for a in npz_arrays(path)]
    except DataError:
        return None  # read_npz says what is wrong
    return next((k for k in INPUT_KEYS if k in names), None)


# ---------------------------------------------------------------------------------------------- predicting
def predict(model: Model, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(outputs a⁽ᴸ⁾, output net inputs z⁽ᴸ⁾) of the network on X scaled with the model's transform."""
    n0, d = model.network.sizes[0], X.shape[1]
    if d != n0:
        hint = " (name the target columns with --target to leave them out)" if d > n0 else ""
        raise DataError(
            f"the data have {d} input column{'s' if d != 1 else ''} but the network's "
            f"input layer has {n0} neuron{'s' if n0 != 1 else ''}{hint}"
        )
    Xs = apply_preprocessing(model.transform, X) if model.transform is not None else X
    with np.errstate(all="ignore"):
        zs, acts = model.network.forward(Xs)
    z_out = zs[-1]
    assert z_out is not None  # every network has at least one weight layer
    return acts[-1], z_out


def predicted_classes(model: Model, outputs: np.ndarray) -> list[str] | None:
    """The class of each output row (argmax, or the nearer level for binary), when the classes are known."""
    names = model.class_names
    if model.task == "multiclass" and len(names) == outputs.shape[1]:
        return [names[i] for i in np.argmax(outputs, axis=1)]
    if model.task == "binary" and len(names) == 2 and outputs.shape[1] == 1 and model.levels:
        mid = 0.5 * (model.levels[0] + model.levels[1])
        return [names[1] if o > mid else names[0] for o in outputs[:, 0]]
    return None


def align_targets(model: Model, inputs: Inputs) -> np.ndarray:
    """The targets in the order of the model's outputs: class labels are mapped onto the model's classes
    by name, or by number 0 … K−1 when they are not its names."""
    T = inputs.T
    assert T is not None
    names = model.class_names
    labels: list[str] | None = None
    if inputs.task == "multiclass" and inputs.class_names and names:
        labels = [inputs.class_names[i] for i in np.argmax(T, axis=1)]
    elif model.task == "multiclass" and names and T.shape[1] == 1:
        labels = [class_text(v) for v in T[:, 0]]
        if not set(labels) <= set(names) and all(v.is_integer() and 0 <= v < len(names) for v in T[:, 0]):
            labels = [names[int(v)] for v in T[:, 0]]  # class numbers 0 … K−1
    if labels is None:
        return T
    unknown = sorted(set(labels) - set(names))
    if unknown:
        raise DataError(
            f"--target: class {unknown[0]!r} is not one of the model's classes ({', '.join(names)})"
        )
    index = {c: i for i, c in enumerate(names)}
    if model.task == "binary" and model.levels:
        lo, hi = model.levels
        return np.array([[hi if index[c] == 1 else lo] for c in labels], dtype=np.float64)
    out = np.zeros((len(labels), len(names)))
    out[np.arange(len(labels)), [index[c] for c in labels]] = 1.0
    return out


def score(model: Model, outputs: np.ndarray, z: np.ndarray, T: np.ndarray) -> tuple[str, float, float | None]:
    """(loss name, mean per-sample loss, accuracy or None) of the outputs against targets T."""
    k = model.network.sizes[-1]
    if T.shape[1] != k:
        raise DataError(
            f"--target: {T.shape[1]} target column{'s' if T.shape[1] != 1 else ''} but the network has "
            f"{k} output{'s' if k != 1 else ''}"
        )
    out_act = model.network.activations[-1]
    if model.config is not None:
        name = model.config.loss
    elif out_act == "softmax":
        name = "cce"
    elif out_act == "sigmoid" and T.min() >= 0 and T.max() <= 1:
        name = "bce"
    else:
        name = "mse"
    with np.errstate(all="ignore"):
        loss = float(np.mean(get_loss(name).value(outputs, T, z)))
    task = model.task or infer_task(T)
    levels = (0.0, 1.0)
    if task == "binary" and T.shape[1] == 1:
        if model.levels is not None:
            levels = model.levels
        else:
            lv = np.unique(T)
            levels = (
                (float(lv[0]), float(lv[-1]))
                if lv.size == 2
                else ((-1.0, 1.0) if out_act == "tanh" else (0.0, 1.0))
            )
    acc = accuracy(task, outputs, T, levels) if task == "multiclass" or T.shape[1] == 1 else None
    return name, loss, acc


def predictions_csv(outputs: np.ndarray, classes: list[str] | None) -> str:
    """The table: a header ``y1,…,yk[,class]``, then one row per sample (floats in full precision)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    k = outputs.shape[1]
    w.writerow([f"y{i + 1}" for i in range(k)] + (["class"] if classes is not None else []))
    for i, row in enumerate(outputs.tolist()):
        w.writerow([repr(v) for v in row] + ([classes[i]] if classes is not None else []))
    return buf.getvalue()
