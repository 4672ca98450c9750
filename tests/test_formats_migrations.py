"""Versioned formats: the registry, each migration step, step-by-step upgrades, newer versions refused."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from bpstudio.engine import TrainConfig
from bpstudio.formats import (
    FORMATS,
    PROJECT,
    WEIGHTS,
    FileFormat,
    FormatError,
    load_document,
    load_project,
    load_weights,
    project_from_dict,
    register_format,
    save_document,
    weights_from_dict,
)
from bpstudio.formats.migrations import (
    V1_CREATED_WITH,
    V1_TRAINING_DEFAULTS,
    migrate_project_v1_to_v2,
    migrate_project_v2_to_v3,
    migrate_project_v3_to_v4,
    migrate_weights_v1_to_v2,
    migrate_weights_v2_to_v3,
)
from bpstudio.workspace import load_example

#: the XOR example exactly as format version 1 wrote it
XOR_V1 = {
    "format": "bpstudio-project",
    "version": 1,
    "name": "XOR 2-2-1 (sigmoid)",
    "description": "The XOR problem.",
    "network": {
        "sizes": [2, 2, 1],
        "activations": ["sigmoid", "sigmoid"],
        "weights": [[[0.14, -0.23], [-0.46, -0.48]], [[0.11, 0.23]]],
        "biases": [[0.31, 0.41], [0.04]],
        "masks": [None, None],
    },
    "training": {
        "loss": "half_sse",
        "reduction": "mean",
        "optimiser": "sgd",
        "optimiser_params": {"lr": 1.0},
        "batch_mode": "online",
        "batch_size": 10,
        "epochs": 2000,
        "l1": 0.0,
        "l2": 0.0,
        "seed": 0,
        "shuffle": True,
        "init": "uniform",
        "init_params": {"r": 0.5},
        "early_stopping": False,
        "patience": 20,
        "min_delta": 0.0,
        "target_loss": None,
    },
    "dataset": {"builtin": "xor", "params": {"encoding": "01"}},
    "optimiser_state": None,
    "history": None,
    "view": {},
}
#: the smallest project version 1 could read: everything else was defaulted
MINIMAL_V1 = {
    "format": "bpstudio-project",
    "version": 1,
    "network": {"sizes": [2, 1], "activations": ["sigmoid"], "weights": [[[0.2, 0.2]]], "biases": [[-0.3]]},
}
WEIGHTS_V1 = {
    "format": "bpstudio-weights",
    "version": 1,
    "network": {"sizes": [2, 1], "activations": ["tanh"], "weights": [[[0.5, -0.5]]], "biases": [[0.0]]},
}


# ---------------------------------------------------------------------------------------------- registry
def test_registry_holds_project_and_weights_at_their_versions_with_every_step():
    assert FORMATS["bpstudio-project"] is PROJECT and FORMATS["bpstudio-weights"] is WEIGHTS
    for fmt in FORMATS.values():
        assert fmt.missing_migrations() == []
        assert fmt.schema.root["properties"]["version"] == {"const": fmt.version}
        assert fmt.schema.root["properties"]["format"] == {"const": fmt.name}
    assert (PROJECT.version, WEIGHTS.version) == (4, 3)


def test_a_format_without_every_step_cannot_be_registered():
    fmt = FileFormat("test-gappy", 3, {"type": "object"}, "gappy file", migrations={1: lambda d: d})
    with pytest.raises(ValueError, match=r"no migration from version\(s\) \[2\]"):
        register_format(fmt)
    assert "test-gappy" not in FORMATS


def test_a_step_cannot_be_registered_twice_or_beyond_the_current_version():
    fmt = FileFormat("test-twice", 2, {"type": "object"}, "file")
    fmt.migration(1)(lambda d: d)
    with pytest.raises(ValueError, match="exists already"):
        fmt.migration(1)(lambda d: d)
    with pytest.raises(ValueError, match="no step from version 2"):
        fmt.migration(2)(lambda d: d)


# ------------------------------------------------------------------------------------------ project v1 → v2
def test_migrate_project_v1_to_v2_adds_created_with_and_keeps_everything_else():
    doc = migrate_project_v1_to_v2(copy.deepcopy(XOR_V1))
    expected = copy.deepcopy(XOR_V1)
    expected.update(version=2, created_with=V1_CREATED_WITH)
    assert doc == expected
    PROJECT.validate(migrate_project_v3_to_v4(migrate_project_v2_to_v3(doc)))


def test_migrate_project_v1_to_v2_makes_the_v1_defaults_explicit():
    doc = migrate_project_v1_to_v2(copy.deepcopy(MINIMAL_V1))
    assert doc["training"] == V1_TRAINING_DEFAULTS
    assert doc["network"]["masks"] == [None]
    assert doc["dataset"] == {"builtin": "xor", "params": {}}
    assert (doc["name"], doc["description"], doc["view"]) == ("", "", {})
    assert doc["optimiser_state"] is None and doc["history"] is None
    PROJECT.validate(migrate_project_v3_to_v4(migrate_project_v2_to_v3(doc)))


def test_v1_training_defaults_name_every_setting():
    # dtype (float32 runs) came later and is optional in every version: a file without it means float64
    # and so did train_eval (the per-epoch training evaluation): absent means auto
    optional = {"dtype", "train_eval"}
    assert set(V1_TRAINING_DEFAULTS) == {f.name for f in dataclasses.fields(TrainConfig)} - optional
    assert not optional & set(TrainConfig().to_dict())


def test_migrate_project_v1_to_v2_reads_null_parameters_and_partial_history_as_v1_did():
    v1 = copy.deepcopy(XOR_V1)
    v1["training"]["optimiser_params"] = None
    del v1["training"]["epochs"]
    v1["network"]["masks"] = []
    v1["dataset"] = {}
    v1["view"] = None
    v1["history"] = {"step_loss": [0.5], "grad_norms": [[0.1, 0.2]], "epochs": [1], "loss": {"train": [0.4]}}
    doc = migrate_project_v1_to_v2(v1)
    assert doc["training"]["optimiser_params"] == {}
    assert doc["training"]["epochs"] == 1000
    assert doc["network"]["masks"] == [None, None]
    assert doc["dataset"] == {"builtin": "xor", "params": {}}
    assert doc["view"] == {}
    assert doc["history"]["loss"] == {"train": [0.4], "val": [None], "test": [None]}
    assert doc["history"]["accuracy"] == {"train": [None], "val": [None], "test": [None]}
    PROJECT.validate(migrate_project_v3_to_v4(migrate_project_v2_to_v3(doc)))


def test_migrate_project_v1_to_v2_leaves_malformed_parts_for_validation():
    v1 = copy.deepcopy(XOR_V1)
    v1["training"] = "fast"
    v1["network"] = [1, 2]
    v1["history"] = 7
    doc = migrate_project_v1_to_v2(v1)
    assert (doc["training"], doc["network"], doc["history"]) == ("fast", [1, 2], 7)


def test_migrate_weights_v1_to_v2():
    doc = migrate_weights_v1_to_v2(copy.deepcopy(WEIGHTS_V1))
    expected = copy.deepcopy(WEIGHTS_V1)
    expected.update(version=2, created_with=V1_CREATED_WITH)
    expected["network"]["masks"] = [None]
    assert doc == expected
    WEIGHTS.validate(migrate_weights_v2_to_v3(doc))


def test_loading_a_v1_project_file_gives_the_same_project_as_the_current_example(tmp_path):
    path = tmp_path / "old.bps.json"
    path.write_text(json.dumps(XOR_V1, indent=1), encoding="utf-8")
    old = load_project(path)
    new = load_example("xor")
    assert old.network.sizes == new.network.sizes
    assert all((a == b).all() for a, b in zip(old.network.weights, new.network.weights))
    assert old.training == new.training
    assert old.dataset == new.dataset


def test_loading_a_v1_weights_file(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(WEIGHTS_V1), encoding="utf-8")
    net = load_weights(path)
    assert net.activations == ["tanh"] and net.weights[0].tolist() == [[0.5, -0.5]]
    assert weights_from_dict(WEIGHTS_V1).masks == [None]


def test_migration_does_not_change_the_callers_document():
    v1 = copy.deepcopy(MINIMAL_V1)
    project_from_dict(v1)
    assert v1 == MINIMAL_V1


def test_errors_in_a_v1_file_name_the_same_field():
    v1 = copy.deepcopy(XOR_V1)
    v1["network"]["weights"][1] = [[0.1, 0.2, 0.3]]
    with pytest.raises(FormatError, match=r"^network\.weights\[1\]: expected 1×2, got 1×3$"):
        project_from_dict(v1)


# ---------------------------------------------------------------------------------------------- versions
@pytest.mark.parametrize("fmt", [PROJECT, WEIGHTS])
def test_a_newer_version_is_refused_with_a_clear_message(fmt, tmp_path):
    path = tmp_path / "new.json"
    newer = fmt.version + 1
    path.write_text(json.dumps({"format": fmt.name, "version": newer, "created_with": "bpstudio 9.0"}))
    with pytest.raises(FormatError) as info:
        load_document(path, fmt)
    assert str(info.value).startswith(
        f"{path}: made by a newer bpstudio (format version {newer}); this one reads up to {fmt.version}"
    )
    assert "bpstudio 9.0" in str(info.value)


@pytest.mark.parametrize(
    "version,message",
    [
        (0, "version: expected a whole number ≥ 1, got 0"),
        (-1, "version: expected a whole number ≥ 1, got -1"),
        (1.5, "version: expected a whole number ≥ 1, got 1.5"),
        ("2", "version: expected a whole number ≥ 1, got the text '2'"),
        (True, "version: expected a whole number ≥ 1, got true"),
        (None, "version: missing"),
    ],
)
def test_bad_versions_are_refused(version, message):
    doc = copy.deepcopy(XOR_V1)
    doc["version"] = version
    if version is None:
        del doc["version"]
    with pytest.raises(FormatError) as info:
        project_from_dict(doc)
    assert str(info.value) == message


# ---------------------------------------------------------------------------------------------- machinery
def _widget_format(calls: list) -> FileFormat:
    """A made-up three-version format: v1 {"n"} → v2 {"count"} → v3 {"count", "unit"}."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "version", "count", "unit"],
        "properties": {
            "format": {"const": "test-widget"},
            "version": {"const": 3},
            "count": {"type": "integer", "minimum": 0},
            "unit": {"enum": ["m", "cm"]},
        },
    }

    def check(doc):
        if doc["unit"] == "cm" and doc["count"] % 10:
            raise FormatError("must be a multiple of 10 in cm", "count")

    fmt = FileFormat("test-widget", 3, schema, "widget file", check=check)

    @fmt.migration(1)
    def v1_to_v2(doc):
        calls.append((1, copy.deepcopy(doc)))
        doc["count"] = doc.pop("n")
        return doc

    @fmt.migration(2)
    def v2_to_v3(doc):
        calls.append((2, copy.deepcopy(doc)))
        doc["unit"] = "m"
        return doc

    return fmt


def test_an_old_document_is_migrated_step_by_step_in_order():
    calls: list = []
    fmt = _widget_format(calls)
    v1 = {"format": "test-widget", "version": 1, "n": 4}
    assert fmt.decode(v1) == {"format": "test-widget", "version": 3, "count": 4, "unit": "m"}
    assert calls == [
        (1, {"format": "test-widget", "version": 1, "n": 4}),
        (2, {"format": "test-widget", "version": 2, "count": 4}),
    ]
    assert v1 == {"format": "test-widget", "version": 1, "n": 4}  # the input is not changed
    calls.clear()
    assert fmt.decode({"format": "test-widget", "version": 2, "count": 5})["unit"] == "m"
    assert [c[0] for c in calls] == [2]
    calls.clear()
    fmt.decode({"format": "test-widget", "version": 3, "count": 5, "unit": "m"})
    assert calls == []


def test_a_migration_that_chokes_on_malformed_input_gives_a_format_error():
    fmt = _widget_format([])
    with pytest.raises(FormatError, match="cannot upgrade from format version 1: the file is malformed"):
        fmt.decode({"format": "test-widget", "version": 1})  # no "n": the step raises KeyError


def test_a_registered_format_loads_and_saves_through_the_shared_machinery(tmp_path, monkeypatch):
    fmt = _widget_format([])
    monkeypatch.setitem(FORMATS, fmt.name, fmt)
    path = tmp_path / "w.json"
    path.write_text('{"format": "test-widget", "version": 1, "n": 20}')
    doc = load_document(path, "test-widget")
    doc["unit"] = "cm"
    save_document(path, doc, "test-widget")
    assert load_document(path, "test-widget")["unit"] == "cm"
    doc["count"] = 25
    with pytest.raises(FormatError, match=r"w\.json: count: not saved: must be a multiple of 10 in cm"):
        save_document(path, doc, "test-widget")
    assert load_document(path, "test-widget")["count"] == 20
    # another registered format is named when a file is opened as the wrong kind
    with pytest.raises(FormatError, match="this is a bpstudio widget file, not a project file"):
        load_project(path)


@pytest.mark.parametrize("reparse", [True, False])
def test_a_document_checked_without_parsing_it_back_is_written_and_refused_alike(tmp_path, reparse):
    """reparse=False (the autosave's thread) checks the document itself: the same bytes written, the
    same refusals, with the file untouched."""
    import json

    from bpstudio.engine import Network
    from bpstudio.formats import PROJECT_FORMAT, Project, load_project, project_to_dict
    from bpstudio.formats.project import save_project_document

    net = Network.create([3, 4, 2], "tanh", init="uniform", init_params={"r": 0.5}, seed=3)
    doc = project_to_dict(Project(network=net, name="p"))
    save_project_document(tmp_path / "a.bps.json", doc, reparse=reparse)
    save_project_document(tmp_path / "b.bps.json", project_to_dict(Project(network=net, name="p")))
    assert (tmp_path / "a.bps.json").read_bytes() == (tmp_path / "b.bps.json").read_bytes()
    assert load_project(tmp_path / "a.bps.json").network.sizes == [3, 4, 2]
    for field, value, message in (
        ("training", {"lr": "fast"}, "training"),
        ("network", {"sizes": [3, 4, 2]}, "network"),
        ("name", float("nan"), "name"),
        ("format", PROJECT_FORMAT + "x", "format"),
    ):
        bad = json.loads(json.dumps(doc)) if field != "name" else dict(doc)
        bad[field] = value
        with pytest.raises(FormatError, match=message):
            save_project_document(tmp_path / "a.bps.json", bad, reparse=reparse)
    assert (tmp_path / "a.bps.json").read_bytes() == (tmp_path / "b.bps.json").read_bytes()
