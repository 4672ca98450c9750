"""The dataset specification is one typed, immutable record, saved and read back as the same JSON."""

from __future__ import annotations

import json

import pytest

from bpstudio.engine import Network
from bpstudio.formats import DatasetSpec, Project, load_project, save_project


def test_a_spec_reads_as_its_json_object_with_typed_accessors():
    spec = DatasetSpec({"builtin": "moons", "params": {"n": 50}, "split": {"val": 0.2}, "name": "m"})
    assert spec.kind == "builtin" and spec.builtin == "moons" and spec.params == {"n": 50}
    assert spec.split == {"val": 0.2} and spec.preprocessing == {} and spec.scaling == "none"
    assert spec.name == "m" and spec.file is None
    assert spec == {"builtin": "moons", "params": {"n": 50}, "split": {"val": 0.2}, "name": "m"}
    assert dict(spec) == spec.to_dict() and json.loads(json.dumps(spec.to_dict())) == spec
    assert DatasetSpec({"file": "a.csv", "target": 1}).kind == "file"
    assert DatasetSpec({"builtin": "xor", "file": "a.csv"}).kind is None  # loading says why
    assert DatasetSpec().builtin == "xor"
    with pytest.raises(TypeError):
        DatasetSpec(["builtin", "xor"])  # type: ignore[arg-type]


def test_a_spec_cannot_be_patched_behind_its_owners_back():
    source = {"builtin": "moons", "params": {"n": 50}}
    spec = DatasetSpec(source)
    source["params"]["n"] = 7  # the caller's dict is not the spec's
    spec["params"]["n"] = 9  # what the mapping gives is a copy
    spec.params["n"] = 11
    assert spec.params == {"n": 50}
    with pytest.raises(TypeError):
        spec["name"] = "x"  # type: ignore[index]


def test_replace_and_merged_make_new_specs():
    spec = DatasetSpec({"builtin": "xor", "preprocessing": {"scaling": "minmax01", "per_feature": False}})
    scaled = spec.merged("preprocessing", scaling="standardise")
    assert scaled.preprocessing == {"scaling": "standardise", "per_feature": False}
    assert spec.scaling == "minmax01"
    plain = spec.replace(preprocessing=None, split={"val": 0.25})
    assert "preprocessing" not in plain and plain.split == {"val": 0.25}
    assert plain.builtin == "xor" and isinstance(plain, DatasetSpec)


def test_a_project_holds_a_spec_and_saves_it_as_the_same_json(tmp_path):
    net = Network.create([2, 2, 1], ["sigmoid", "sigmoid"], seed=1)
    raw = {"builtin": "xor", "params": {}, "split": {"val": 0.25, "seed": 3}, "description": "d"}
    project = Project(network=net, dataset=raw)
    assert isinstance(project.dataset, DatasetSpec) and project.dataset == raw
    path = tmp_path / "p.bps.json"
    save_project(path, project)
    assert json.loads(path.read_text())["dataset"] == raw
    again = load_project(path)
    assert isinstance(again.dataset, DatasetSpec) and again.dataset == raw


def test_a_plain_mapping_given_to_a_project_becomes_a_spec():
    project = Project(network=Network.create([2, 1], "sigmoid", seed=0))
    project.dataset = {"builtin": "and"}  # type: ignore[assignment]
    assert isinstance(project.dataset, DatasetSpec) and project.dataset.builtin == "and"
