"""Bad input gives a FormatError whose message names the file and the field at fault."""

from __future__ import annotations

import copy
import json
import os

import pytest

from bpstudio.formats import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    PROJECT,
    FormatError,
    load_project,
    load_weights,
    network_from_dict,
    project_from_dict,
    project_to_dict,
    read_json,
    weights_from_dict,
)
from bpstudio.workspace import load_example


@pytest.fixture
def doc():
    """A valid current-version project document with a trained-looking state and history."""
    d = project_to_dict(load_example("xor"))
    d["training"]["optimiser"] = "momentum"
    d["training"]["optimiser_params"] = {"lr": 0.5, "momentum": 0.9}
    shapes = [(2, 2), (2,), (1, 2), (1,)]
    d["optimiser_state"] = {
        "t": 2,
        "velocity": [[[0.0] * s[1]] * s[0] if len(s) == 2 else [0.0] * s[0] for s in shapes],
    }
    d["history"] = {
        "step_count": 2,
        "step_every": 1,
        "step_loss": [0.3, 0.2],
        "grad_norms": [[0.1, 0.2], [0.3, 0.4]],
        "epochs": [1],
        "loss": {"train": [0.25], "val": [None], "test": [None]},
        "accuracy": {"train": [0.5], "val": [None], "test": [None]},
        "distributions": {
            "quantiles": [k / 20 for k in range(21)],
            "every": 1,
            "epochs": [1],
            "weights": [[[k / 10 - 1 for k in range(21)]] * 2],
            "gradients": [[[k / 100 for k in range(21)], [None] * 21]],
            "changes": [[[k / 1000 for k in range(21)]] * 2],
        },
    }
    project_from_dict(d)  # valid
    return d


def _set(d, path, value):
    *head, last = path
    for p in head:
        d = d[p]
    if value is _DELETE:
        del d[last]
    else:
        d[last] = value


_DELETE = object()
_INLINE = {"inline": {"inputs": [[0, 0], [1, 1]], "targets": [[0], [1]]}}

CASES = [
    (("network", "weights", 1), [[0.1, 0.2, 0.3]], "network.weights[1]: expected 1×2, got 1×3"),
    (("network", "weights", 0), [[0.1, 0.2]], "network.weights[0]: expected 2×2, got 1×2"),
    (("network", "weights", 0), [], "network.weights[0]: expected 2×2, got an empty list"),
    (
        ("network", "weights", 0),
        [[0.1, 0.2], [0.3]],
        "network.weights[0][1]: expected 2 numbers in every row, got 1",
    ),
    (
        ("network", "weights", 0, 1, 0),
        "0.5",
        "network.weights[0][1][0]: expected a number, got the text '0.5'",
    ),
    (("network", "weights", 0, 1, 0), True, "network.weights[0][1][0]: expected a number, got true"),
    (
        ("network", "weights"),
        [[[0.1, 0.2]]],
        "network.weights: expected 2 entries (one per layer after the input), got 1",
    ),
    (("network", "biases", 1), [0.1, 0.2], "network.biases[1]: expected 1 numbers, got 2"),
    (
        ("network", "activations", 1),
        "foo",
        "network.activations[1]: unknown activation 'foo'; choose one of: identity, sigmoid, tanh, relu, "
        "leaky_relu, elu, softplus, softmax, step, sign",
    ),
    (
        ("network", "activations", 0),
        "softmax",
        "network.activations[0]: softmax is only for the output layer",
    ),
    (("network", "sizes", 1), 0, "network.sizes[1]: must be ≥ 1"),
    (("network", "sizes", 1), 2.5, "network.sizes[1]: expected a whole number, got 2.5"),
    (("network", "sizes"), [2], "network.sizes: expected at least 2 entries, got 1"),
    (
        ("network", "masks", 0),
        [[True, 1], [True, True]],
        "network.masks[0][0][1]: expected true or false, got 1",
    ),
    (("network", "masks", 1), [[True]], "network.masks[1]: expected 1×2, got 1×1"),
    (("network", "masks", 0), "all", "network.masks[0]: expected null or a list, got the text 'all'"),
    (
        ("network", "bias"),
        [],
        "network.bias: unknown field; the fields here are: sizes, activations, weights, biases, masks, "
        "use_bias",
    ),
    (("network", "biases"), _DELETE, "network.biases: missing"),
    (("training", "optimiser_params", "lr"), -0.1, "training.optimiser_params.lr: must be > 0"),
    (("training", "optimiser_params", "lr"), 0, "training.optimiser_params.lr: must be > 0"),
    (
        ("training", "optimiser_params", "momentum"),
        1.0,
        "training.optimiser_params.momentum: must be in [0, 1)",
    ),
    (
        ("training", "optimiser_params", "beta1"),
        0.9,
        "training.optimiser_params.beta1: momentum has no parameter 'beta1'; "
        "its parameters are: lr, momentum",
    ),
    (
        ("training", "optimiser_params", "lr"),
        "fast",
        "training.optimiser_params.lr: expected a number, got the text 'fast'",
    ),
    (("training", "init_params", "r"), -1, "training.init_params.r: must be ≥ 0"),
    (
        ("training", "init_params", "sigma"),
        1,
        "training.init_params.sigma: uniform has no parameter 'sigma'; its parameters are: r",
    ),
    (
        ("training", "loss"),
        "l2",
        "training.loss: unknown loss 'l2'; choose one of: half_sse, sse, mse, bce, cce",
    ),
    (
        ("training", "optimiser"),
        "lbfgs",
        "training.optimiser: unknown optimiser 'lbfgs'; choose one of: sgd, "
        "momentum, nesterov, adagrad, rmsprop, adam",
    ),
    (("training", "batch_size"), 0, "training.batch_size: must be ≥ 1"),
    (("training", "epochs"), -5, "training.epochs: must be ≥ 0"),
    (("training", "epochs"), 1e12, "training.epochs: must be ≤ 1000000000"),
    (("training", "shuffle"), "yes", "training.shuffle: expected true or false, got the text 'yes'"),
    (("training", "epochs"), _DELETE, "training.epochs: missing"),
    (
        ("training", "learning_rate"),
        0.1,
        "training.learning_rate: unknown field; the fields here are: loss, reduction, optimiser, "
        "optimiser_params, batch_mode, batch_size, epochs, l1, l2, seed, shuffle, init, init_params, "
        "early_stopping, patience, min_delta, target_loss, dtype, train_eval",
    ),
    (("dataset",), {"params": {}}, "dataset: needs one of 'builtin', 'inline' or 'file'"),
    (
        ("dataset",),
        {"builtin": "xor", "file": "x.csv"},
        "dataset: has 'builtin' and 'file'; keep exactly one",
    ),
    (("dataset",), {"builtin": 3}, "dataset.builtin: expected text, got 3"),
    (
        ("dataset",),
        {"inline": {"inputs": [[0, 0, 1]], "targets": [[1]]}},
        "dataset.inline.inputs[0]: expected 2 numbers (one per input neuron), got 3",
    ),
    (
        ("dataset",),
        {"inline": {"inputs": [[0, 0]], "targets": [[1, 0]]}},
        "dataset.inline.targets[0]: expected 1 numbers (one per output neuron), got 2",
    ),
    (
        ("dataset",),
        {"inline": {"inputs": [[0, 0], [1, 1]], "targets": [[1]]}},
        "dataset.inline.targets: expected 2 rows (one per row of inputs), got 1",
    ),
    (("dataset",), {"inline": {"inputs": [[0, 0]]}}, "dataset.inline.targets: missing"),
    (
        ("dataset",),
        {**_INLINE, "split": 0.2},
        "dataset.split: expected an object or null, got 0.2",
    ),
    (
        ("optimiser_state", "velocity", 2),
        [[0.0, 0.0], [0.0, 0.0]],
        "optimiser_state.velocity[2]: expected 1×2 (the shape of network.weights[1]), got 2×2",
    ),
    (
        ("optimiser_state", "velocity"),
        [[0.0]],
        "optimiser_state.velocity: expected 4 arrays (one per parameter: W0, b0, W1, b1), got 1",
    ),
    (
        ("optimiser_state", "m"),
        [],
        "optimiser_state.m: momentum (training.optimiser) keeps no 'm' arrays; its state is: 'velocity'",
    ),
    (
        ("optimiser_state", "velocity"),
        _DELETE,
        "optimiser_state.velocity: missing (momentum keeps 'velocity' arrays)",
    ),
    (("optimiser_state", "t"), -1, "optimiser_state.t: must be ≥ 0"),
    (
        ("history", "grad_norms"),
        [[0.1, 0.2]],
        "history.grad_norms: expected 2 entries (one per step in history.step_loss), got 1",
    ),
    (
        ("history", "grad_norms", 1),
        [0.3],
        "history.grad_norms[1]: expected 2 entries (one norm per weight layer), got 1",
    ),
    (("history", "step_loss", 0), -0.3, "history.step_loss[0]: must be ≥ 0"),
    (("history", "epochs"), [2, 2], "history.epochs[1]: epoch numbers must increase (2 after 2)"),
    (
        ("history", "loss", "val"),
        [],
        "history.loss.val: expected 1 entry (one per epoch in history.epochs), got 0",
    ),
    (("history", "accuracy", "train", 0), 1.5, "history.accuracy.train[0]: must be ≤ 1"),
    (
        ("history", "distributions", "quantiles"),
        [0.5],
        "history.distributions.quantiles: must be the 21 fractions 0, 0.05, 0.1, …, 1 (the quantiles "
        "bpstudio records)",
    ),
    (
        ("history", "distributions", "every"),
        2,
        "history.distributions.epochs[0]: 1 is not a multiple of every = 2",
    ),
    (
        ("history", "distributions", "changes"),
        [],
        "history.distributions.changes: expected 1 entry (one per recorded epoch), got 0",
    ),
    (
        ("history", "distributions", "weights", 0),
        [[0.0] * 21],
        "history.distributions.weights[0]: expected 2 entries (one per weight layer), got 1",
    ),
    (
        ("history", "distributions", "gradients", 0, 1),
        [0.0],
        "history.distributions.gradients[0][1]: expected 21 entries (one per quantile), got 1",
    ),
    (("history", "distributions", "epochs", 0), 0, "history.distributions.epochs[0]: must be ≥ 1"),
    (
        ("history", "train_basis"),
        [[1, 5, 4]],
        "history.train_basis[0]: 5 of 4 samples: a subsample cannot be larger than the split",
    ),
    (
        ("history", "train_basis"),
        [[1, 2, 4], [1, 4, 4]],
        "history.train_basis[1]: the first epochs of the entries must increase (1 after 1)",
    ),
    (("history", "train_basis"), [[0, 2, 4]], "history.train_basis[0][0]: must be ≥ 1"),
    (("history", "train_basis"), [[1, 2]], "history.train_basis[0]: expected at least 3 entries, got 2"),
    (("view",), [], "view: expected an object, got an empty list"),
    (("created_with",), 2, "created_with: expected text, got 2"),
    (("name",), _DELETE, "name: missing"),
]


@pytest.mark.parametrize("path,value,message", CASES, ids=[m.split(":")[0] for _, _, m in CASES])
def test_each_problem_names_its_field(doc, path, value, message):
    _set(doc, path, value)
    with pytest.raises(FormatError) as info:
        project_from_dict(doc)
    assert str(info.value) == message
    assert info.value.field == message.split(": ")[0]


def test_unknown_dataset_fields_are_named(doc):
    doc["dataset"] = {"builtin": "xor", "colour": 1}
    with pytest.raises(
        FormatError, match=r"^dataset\.colour: unknown field; the fields here are: name, builtin, "
    ):
        project_from_dict(doc)


def test_adam_state_must_be_non_negative_where_it_holds_squares(doc):
    doc["training"]["optimiser"] = "adam"
    doc["training"]["optimiser_params"] = {}
    zeros = doc["optimiser_state"]["velocity"]
    doc["optimiser_state"] = {"t": 1, "m": copy.deepcopy(zeros), "v": copy.deepcopy(zeros)}
    project_from_dict(doc)
    doc["optimiser_state"]["v"][3] = [-1e-9]
    with pytest.raises(FormatError, match=r"^optimiser_state\.v\[3\]: must be ≥ 0 everywhere"):
        project_from_dict(doc)


def test_a_removed_connection_must_have_a_zero_weight(doc):
    doc["network"]["masks"][0] = [[True, False], [True, True]]
    with pytest.raises(FormatError) as info:
        project_from_dict(doc)
    assert str(info.value) == (
        "network.weights[0][0][1]: is -0.23 but the connection is removed (network.masks[0][0][1] is false); "
        "a removed connection's weight must be 0"
    )


def test_file_errors_name_the_file(tmp_path, doc):
    doc["network"]["weights"][1] = [[1.0, 2.0, 3.0]]
    path = tmp_path / "bad.bps.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(FormatError) as info:
        load_project(path)
    assert str(info.value) == f"{path}: network.weights[1]: expected 1×2, got 1×3"
    assert (info.value.source, info.value.field) == (str(path), "network.weights[1]")


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "the file is empty"),
        (b"  \n\t ", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (is it a project file?)"),
        (b"\xff\xfe{\x00}\x00", "not a text file (is it a project file?)"),
        (b"\xc3\x28{}", "not a text file in UTF-8 (is it a project file?)"),
        (b'{"format": ', "not valid JSON (line 1, column 12: Expecting value)"),
        (
            b"{'format': 1}",
            "not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)",
        ),
        (b"[1, 2]", "expected a JSON object at the top level, got a list of 2 entries"),
        (b"null", "expected a JSON object at the top level, got null"),
        (b'{"version": 2}', 'not a bpstudio project file (it has no "format" field)'),
        (
            b'{"format": "bpstudio-weights", "version": 2}',
            "this is a bpstudio weights file, not a project file",
        ),
        (b'{"format": "png"}', "format: expected 'bpstudio-project', got the text 'png'"),
        (b'{"a": 1, "a": 2}', "not valid JSON for bpstudio: the key 'a' appears twice in one object"),
        (
            b'{"format": "bpstudio-project", "x": [1, NaN]}',
            "x[1]: NaN is not a number JSON allows (bpstudio files hold finite numbers only)",
        ),
        (
            b'{"x": {"y": -Infinity}}',
            "x.y: -Infinity is not a number JSON allows (bpstudio files hold finite numbers only)",
        ),
        (
            b'{"x": [1e999]}',
            "x[0]: this number is too large for a 64-bit float (the largest is about ±1.8e308)",
        ),
        (
            b'{"x": [-' + b"9" * 400 + b"]}",
            "x[0]: -99999999999…999999 is too large for a 64-bit float (the largest is about ±1.8e308)",
        ),
        (
            b'{"x": 1' + b"0" * 5000 + b"}",
            "x: 100000000000…000000 is too large for a 64-bit float (the largest is about ±1.8e308)",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply to be a project file"),
        (
            b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1),
            f"nested more than {MAX_DEPTH} levels deep",
        ),
    ],
    ids=lambda v: repr(v[:24]) if isinstance(v, bytes) else "",
)
def test_unreadable_files_are_refused_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "p.bps.json"
    path.write_bytes(content)
    with pytest.raises(FormatError) as info:
        load_project(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ")
    assert text.endswith(message), text


def test_nesting_is_allowed_up_to_max_depth():
    from bpstudio.formats import parse_json

    value = parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for _ in range(MAX_DEPTH - 1):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == []
    with pytest.raises(FormatError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.bps.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(project_to_dict(load_example("xor"))).encode())
    assert load_project(path).network.sizes == [2, 2, 1]


def test_oversized_files_are_refused_before_reading(tmp_path):
    path = tmp_path / "huge.bps.json"
    with open(path, "wb") as fh:  # a sparse file: takes no disk space, would take minutes to parse
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(FormatError) as info:
        load_project(path)
    assert str(info.value) == f"{path}: 64 MB is larger than the 64 MB limit for a project file; not read"
    with pytest.raises(FormatError, match="limit for a weights file; not read"):
        load_weights(path)


def test_the_limit_is_named_in_bytes_for_small_limits(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{}" + " " * 100)
    with pytest.raises(
        FormatError, match=r"102 bytes is larger than the 50 bytes limit for a file; not read"
    ):
        read_json(path, max_bytes=50)


def test_missing_files_folders_and_fifos(tmp_path):
    with pytest.raises(FormatError, match=r"nope\.bps\.json: no such file$"):
        load_project(tmp_path / "nope.bps.json")
    with pytest.raises(FormatError, match=r": is a folder, not a project file$"):
        load_project(tmp_path)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.bps.json"
        os.mkfifo(fifo)
        with pytest.raises(FormatError, match=r": is not a regular file, so not a weights file$"):
            load_weights(fifo)  # would block forever if opened


def test_unreadable_file_is_a_format_error(tmp_path, monkeypatch):
    from bpstudio.formats import io as fio

    path = tmp_path / "locked.bps.json"
    path.write_text("{}")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fio, "open", denied, raising=False)
    with pytest.raises(FormatError, match=r"locked\.bps\.json: cannot read \(Permission denied\)$"):
        load_project(path)


def test_weights_and_network_parts_name_their_fields():
    doc = {"format": "bpstudio-weights", "version": 2, "created_with": "x", "network": {}}
    with pytest.raises(FormatError, match=r"^network\.sizes: missing$"):
        weights_from_dict(doc)
    net = project_to_dict(load_example("xor"))["network"]
    net["biases"][0] = [0.0]
    with pytest.raises(FormatError, match=r"^network\.biases\[0\]: expected 2 numbers, got 1$"):
        network_from_dict(net)


def test_in_memory_documents_with_nan_are_refused_with_the_field(doc):
    doc["history"]["step_loss"][1] = float("nan")
    with pytest.raises(FormatError, match=r"^history\.step_loss\[1\]: NaN is not a number JSON allows$"):
        project_from_dict(doc)
    doc["history"]["step_loss"][1] = float("-inf")
    with pytest.raises(
        FormatError, match=r"^history\.step_loss\[1\]: -Infinity is not a number JSON allows$"
    ):
        project_from_dict(doc)


def test_load_is_all_or_nothing(tmp_path, doc):
    """A failed load returns nothing and changes nothing: what a Session holds stays as it was."""
    good = tmp_path / "good.bps.json"
    good.write_text(json.dumps(doc))
    current = load_project(good)
    before = project_to_dict(current)
    bad = copy.deepcopy(doc)
    bad["history"]["epochs"] = [1, 1]  # fails at the very last rule, after everything else was checked
    path = tmp_path / "bad.bps.json"
    path.write_text(json.dumps(bad))
    text = path.read_text()
    for _ in range(2):
        try:
            current = load_project(path)
        except FormatError:
            pass
    assert project_to_dict(current) == before
    assert path.read_text() == text  # loading never writes
    PROJECT.validate(project_to_dict(current))


def test_a_history_with_its_training_samples_record_is_read_back(doc):
    """``history.train_basis`` (optional): a valid record is read into ``History.train_basis`` and
    written again as it was."""
    doc["history"]["train_basis"] = [[1, 1, 4], [2, 4, 4]]
    project = project_from_dict(doc)
    assert project.history is not None
    assert project.history.train_basis == [(1, 1, 4), (2, 4, 4)]
    assert project_to_dict(project)["history"]["train_basis"] == [[1, 1, 4], [2, 4, 4]]
