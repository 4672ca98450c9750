"""Format version 3: the input transform in projects and weights files (migrations, round trips, rules,
schema agreement, shipped files)."""

from __future__ import annotations

import copy
import json

import jsonschema
import numpy as np
import pytest

from bpstudio import resource_path
from bpstudio.data import prepare
from bpstudio.engine import Network, TrainConfig
from bpstudio.formats import (
    PROJECT,
    WEIGHTS,
    FormatError,
    Project,
    WeightsFile,
    load_project,
    load_weights,
    load_weights_file,
    project_from_dict,
    project_to_dict,
    save_project,
    save_weights,
    weights_file_from_dict,
    weights_to_dict,
)
from bpstudio.formats.migrations import (
    migrate_project_v2_to_v3,
    migrate_project_v3_to_v4,
    migrate_weights_v2_to_v3,
)
from bpstudio.teaching.exercise import Exercise, load_exercise
from bpstudio.workspace import list_examples

MINMAX = {
    "scaling": "minmax01",
    "per_feature": True,
    "n_inputs": 2,
    "shift": [0.1, -3.0],
    "scale": [2.5, 1e-3],
    "train_samples": 7,
}
NONE = {"scaling": "none", "per_feature": True, "n_inputs": 2, "train_samples": 4}


def _project(transform=None) -> Project:
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=3)
    return Project(net, TrainConfig(), {"builtin": "xor"}, name="t", input_transform=transform)


def _v2(doc: dict) -> dict:
    """The same document as format version 2 wrote it (no input_transform)."""
    old = copy.deepcopy(doc)
    old["version"] = 2
    del old["input_transform"]
    return old


# ---------------------------------------------------------------------------------------------- migrations
def test_migrate_project_v2_to_v3_adds_a_null_transform_and_keeps_everything_else():
    v3 = project_to_dict(_project(MINMAX))
    doc = migrate_project_v2_to_v3(_v2(v3))
    expected = copy.deepcopy(v3)
    expected["input_transform"] = None
    expected["version"] = 3
    assert doc == expected
    assert list(doc)[-1] == "input_transform"  # added, not reordered: key order does not matter in JSON
    PROJECT.validate(migrate_project_v3_to_v4(doc))


def test_migrate_weights_v2_to_v3_adds_a_null_transform():
    v3 = weights_to_dict(_project().network, MINMAX)
    doc = migrate_weights_v2_to_v3(_v2(v3))
    assert doc == {**v3, "input_transform": None}
    WEIGHTS.validate(doc)


def test_migrations_leave_malformed_documents_for_validation():
    assert migrate_project_v2_to_v3({"format": "bpstudio-project", "version": 2, "network": 7}) == {
        "format": "bpstudio-project",
        "version": 3,
        "network": 7,
        "input_transform": None,
        "progress": None,
    }


def test_version_2_files_load_with_no_transform(tmp_path):
    project_doc = _v2(project_to_dict(_project(MINMAX)))
    (tmp_path / "p.bps.json").write_text(json.dumps(project_doc), encoding="utf-8")
    assert load_project(tmp_path / "p.bps.json").input_transform is None
    weights_doc = _v2(weights_to_dict(_project().network, MINMAX))
    (tmp_path / "w.json").write_text(json.dumps(weights_doc), encoding="utf-8")
    loaded = load_weights_file(tmp_path / "w.json")
    assert loaded.input_transform is None and loaded.network.sizes == [2, 3, 1]
    assert weights_file_from_dict(weights_doc).input_transform is None


# ---------------------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(
    "transform",
    [
        None,
        NONE,
        MINMAX,
        {**MINMAX, "scaling": "minmax11", "per_feature": False, "shift": [0.5, 0.5], "scale": [2.0, 2.0]},
        {**MINMAX, "scaling": "standardise", "shift": [1 / 3, -2e-300], "scale": [np.pi, 5e-324]},
    ],
)
def test_every_field_of_the_transform_round_trips_bit_exact(tmp_path, transform):
    project = _project(copy.deepcopy(transform))
    save_project(tmp_path / "p.bps.json", project)
    assert load_project(tmp_path / "p.bps.json").input_transform == transform
    save_weights(tmp_path / "w.json", project.network, copy.deepcopy(transform))
    loaded = load_weights_file(tmp_path / "w.json")
    assert isinstance(loaded, WeightsFile) and loaded.input_transform == transform
    assert isinstance(load_weights(tmp_path / "w.json"), Network)  # the old call still gives the network


def test_numpy_arrays_and_whole_number_floats_are_accepted_and_normalised(tmp_path):
    t = {**MINMAX, "shift": np.array([0.1, -3.0]), "scale": np.array([2.5, 1e-3])}
    save_project(tmp_path / "p.bps.json", _project(t))
    doc = json.loads((tmp_path / "p.bps.json").read_text(encoding="utf-8"))
    assert doc["input_transform"] == MINMAX
    doc["input_transform"]["n_inputs"] = 2.0
    doc["input_transform"]["train_samples"] = 7.0
    loaded = project_from_dict(doc).input_transform
    assert loaded == MINMAX and type(loaded["n_inputs"]) is int and type(loaded["train_samples"]) is int


def test_the_transform_is_written_after_the_dataset():
    assert list(project_to_dict(_project(NONE)))[7:9] == ["dataset", "input_transform"]
    assert list(weights_to_dict(_project().network)) == [
        "format",
        "version",
        "created_with",
        "network",
        "input_transform",
    ]


# ---------------------------------------------------------------------------------------------- rules
BAD = [
    (
        {"n_inputs": 3},
        "input_transform.n_inputs: expected 2 (the size of the input layer, network.sizes[0]), got 3",
    ),
    ({"shift": [0.0]}, "input_transform.shift: expected 2 numbers, got 1"),
    ({"scale": [1.0, 2.0, 3.0]}, "input_transform.scale: expected 2 numbers, got 3"),
    ({"scale": [1.0, 0.0]}, "input_transform.scale[1]: must be > 0"),
    ({"scale": [-1.0, 1.0]}, "input_transform.scale[0]: must be > 0"),
    ({"shift": None}, "input_transform.shift: expected a list, got null"),
    ({"shift": [0, "a"]}, "input_transform.shift[1]: expected a number, got the text 'a'"),
    ({"scaling": "log"}, "input_transform.scaling: unknown scaling 'log'; choose one of: none, minmax01"),
    ({"per_feature": 1}, "input_transform.per_feature: expected true or false, got 1"),
    ({"train_samples": -1}, "input_transform.train_samples: must be ≥ 0"),
    ({"train_samples": 1.5}, "input_transform.train_samples: expected a whole number, got 1.5"),
    ({"extra": 1}, "input_transform.extra: unknown field; the fields here are: scaling, per_feature"),
    ({"n_inputs": None}, "input_transform.n_inputs: expected a whole number, got null"),
]


@pytest.mark.parametrize("change,message", BAD)
@pytest.mark.parametrize("kind", ["project", "weights"])
def test_bad_transforms_are_refused_naming_the_field(tmp_path, kind, change, message):
    t = copy.deepcopy(MINMAX)
    t.update(change)
    if kind == "project":
        doc = project_to_dict(_project())
        doc["input_transform"] = t
        decode = PROJECT.decode
    else:
        doc = weights_to_dict(_project().network, t)
        decode = WEIGHTS.decode
    with pytest.raises(FormatError) as info:
        decode(json.loads(json.dumps(doc)))
    assert str(info.value).startswith(message)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    loader = load_project if kind == "project" else load_weights_file
    with pytest.raises(FormatError, match="^" + str(path).replace("\\", "\\\\")):
        loader(path)


@pytest.mark.parametrize(
    "transform,message",
    [
        ({**NONE, "shift": [0.0, 0.0]}, 'input_transform.shift: must be left out: the scaling is "none"'),
        ({**NONE, "scale": [1.0, 1.0]}, 'input_transform.scale: must be left out: the scaling is "none"'),
        (
            {k: v for k, v in MINMAX.items() if k != "shift"},
            "input_transform.shift: missing (the minmax01 scaling has one shift per input)",
        ),
        (
            {k: v for k, v in MINMAX.items() if k != "scale"},
            "input_transform.scale: missing (the minmax01 scaling has one scale per input)",
        ),
        ({k: v for k, v in MINMAX.items() if k != "train_samples"}, "input_transform.train_samples: missing"),
    ],
)
def test_shift_and_scale_go_with_the_scaling(transform, message):
    doc = project_to_dict(_project())
    doc["input_transform"] = transform
    with pytest.raises(FormatError) as info:
        project_from_dict(doc)
    assert str(info.value) == message


def test_a_project_whose_transform_does_not_fit_is_not_saved(tmp_path):
    path = tmp_path / "p.bps.json"
    save_project(path, _project(MINMAX))
    before = path.read_bytes()
    with pytest.raises(FormatError, match=r"input_transform\.n_inputs: not saved: expected 2"):
        save_project(path, _project({**MINMAX, "n_inputs": 3, "shift": [0, 0, 0], "scale": [1, 1, 1]}))
    with pytest.raises(FormatError, match=r"input_transform\.scale\[1\]: not saved: must be > 0"):
        save_weights(tmp_path / "w.json", _project().network, {**MINMAX, "scale": [1.0, 0.0]})
    assert path.read_bytes() == before and not (tmp_path / "w.json").exists()


# ---------------------------------------------------------------------------------------------- schemas
def _raw(name: str) -> dict:
    return json.loads(resource_path("schema", f"{name}.schema.json").read_text(encoding="utf-8"))


def test_the_transform_schema_lists_the_members_bpstudio_writes():
    from bpstudio.data import SCALINGS
    from bpstudio.formats import TRANSFORM_KEYS

    for name in ("project", "weights"):
        schema = _raw(name)
        definition = schema["$defs"]["input_transform"]
        assert tuple(definition["properties"]) == TRANSFORM_KEYS
        assert set(schema["$defs"]["scaling"]["enum"]) == set(SCALINGS)
        assert schema["properties"]["version"] == {"const": PROJECT.version if name == "project" else 3}


@pytest.mark.parametrize("change,_message", BAD)
def test_our_validator_and_jsonschema_agree_on_transforms(change, _message):
    for kind, fmt, doc in (
        ("project", PROJECT, project_to_dict(_project())),
        ("weights", WEIGHTS, weights_to_dict(_project().network)),
    ):
        for t in (MINMAX, NONE, None, {**MINMAX, **change}, {**NONE, **change}, [], "minmax01"):
            d = json.loads(json.dumps({**doc, "input_transform": t}))
            expected = jsonschema.Draft202012Validator(_raw(kind)).is_valid(d)
            assert fmt.schema.is_valid(d) == expected, (kind, t)


# ---------------------------------------------------------------------------------------------- shipped files
@pytest.mark.parametrize("name,path", list_examples())
def test_shipped_examples_are_version_3_with_the_transform_their_dataset_gives(name, path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == PROJECT.version
    project = load_project(path)
    assert project.input_transform == prepare(project.dataset, base_dir=path.parent).preprocessing


@pytest.mark.parametrize("path", sorted(resource_path("exercises").glob("*.bpx.json")))
def test_shipped_exercises_embed_a_version_3_project_with_its_transform(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["project"]["version"] == 3 and doc["project"]["input_transform"]["scaling"] == "none"
    exercise = load_exercise(path)
    assert exercise.project.input_transform == prepare(exercise.project.dataset).preprocessing
    # the same exercise saved before the transform was recorded is the same exercise
    old = copy.deepcopy(doc)
    old["project"] = _v2(doc["project"])
    assert Exercise.from_dict(old).project.input_transform is None
    assert Exercise.from_dict(old).fingerprint() == exercise.fingerprint()
