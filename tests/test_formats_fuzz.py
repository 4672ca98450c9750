"""Property tests: whatever bytes a project or weights file holds, loading gives a Project/Network or a
FormatError with a clear message, never another exception, and never a half-loaded project."""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pytest
from fuzz_profiles import formats_profile
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bpstudio.engine import Network, TrainConfig
from bpstudio.engine.errors import MAX_MESSAGE
from bpstudio.formats import (
    MAX_DEPTH,
    PROJECT,
    WEIGHTS,
    FormatError,
    Project,
    WeightsFile,
    load_project,
    load_weights_file,
    network_to_dict,
    project_to_dict,
    save_project,
    save_weights,
    transform_to_dict,
    weights_to_dict,
)
from bpstudio.workspace import list_examples, trainer_for, update_project

FUZZ = settings(
    formats_profile(),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
LOADERS = {"project": load_project, "weights": load_weights_file}


def _trained_project() -> Project:
    """A project with Adam state, history, a mask, inline data and a fitted input transform: every part
    of the format in use."""
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    T = [[0.0], [1.0], [1.0], [0.0]]
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=4)
    net.set_connection(0, 2, 1, False)
    cfg = TrainConfig(optimiser="adam", optimiser_params={"lr": 0.05}, batch_mode="full", epochs=3)
    spec = {"inline": {"inputs": X, "targets": T}, "preprocessing": {"scaling": "minmax11"}}
    project = Project(net, cfg, spec, name="fuzz", view={"labels": True})
    trainer, _ = trainer_for(project)
    trainer.run(epochs=3)
    update_project(project, trainer)
    assert project.history is not None  # and a record of a subsample, as a large set's would be
    project.history.train_basis = [(1, 2, 4), (3, 4, 4)]
    return project


def _valid_documents() -> list[tuple[str, dict]]:
    docs = [("project", json.loads(p.read_text(encoding="utf-8"))) for _, p in list_examples()]
    trained = project_to_dict(_trained_project())
    docs.append(("project", json.loads(json.dumps(trained))))
    project = _trained_project()
    weights = weights_to_dict(project.network, project.input_transform)
    docs.append(("weights", json.loads(json.dumps(weights))))
    return docs


VALID = _valid_documents()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "doc.json"


def _load(kind: str, path, raw: bytes):
    """Load ``raw`` as a ``kind`` file: the result, or the FormatError. Any other exception fails the test."""
    path.write_bytes(raw)
    try:
        result = LOADERS[kind](path)
    except FormatError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: ") and len(str(path)) + 4 < len(message) <= MAX_MESSAGE
        assert "Traceback" not in message
        assert path.read_bytes() == raw  # loading never writes
        return exc
    assert path.read_bytes() == raw
    return result


def _check_loaded(kind: str, result, path) -> None:
    """A successful load is complete: it saves, and loads again to the same document."""
    if isinstance(result, FormatError):
        return
    if kind == "project":
        doc = project_to_dict(result)
        save_project(path, result)
        assert project_to_dict(load_project(path)) == doc
    else:
        assert isinstance(result, WeightsFile) and isinstance(result.network, Network)
        doc = (network_to_dict(result.network), transform_to_dict(result.input_transform))
        save_weights(path, result.network, result.input_transform)
        again = load_weights_file(path)
        assert (network_to_dict(again.network), transform_to_dict(again.input_transform)) == doc


# ---------------------------------------------------------------------------------------------- raw bytes
@FUZZ
@given(st.sampled_from(sorted(LOADERS)), st.binary(max_size=400))
def test_random_bytes(scratch, kind, raw):
    assert isinstance(_load(kind, scratch, raw), FormatError)


JSONISH = st.text(alphabet='{}[]":,0123456789.eE-+ \n\tnulltruefalsNIinfyaxé\\', max_size=300)


@FUZZ
@given(st.sampled_from(sorted(LOADERS)), JSONISH)
def test_random_json_like_text(scratch, kind, text):
    assert isinstance(_load(kind, scratch, text.encode("utf-8")), FormatError)


any_number = (
    st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
)


def _nested(children: st.SearchStrategy) -> st.SearchStrategy:
    """Lists and objects of ``children`` (a named function: Hypothesis could not see that a lambda
    spanning the call's lines uses its argument, and warned that it cannot recurse)."""
    return st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)


json_values = st.recursive(
    st.none() | st.booleans() | any_number | st.text(max_size=20), _nested, max_leaves=25
)


@FUZZ
@given(
    st.sampled_from(sorted(LOADERS)),
    st.dictionaries(
        st.sampled_from(
            ["format", "version", "network", "training", "dataset", "input_transform", "history", "x"]
        ),
        json_values,
        max_size=7,
    ),
    st.sampled_from([None, 1, 2, 3, "2"]),
)
def test_random_json_documents(scratch, kind, doc, version):
    doc["format"] = PROJECT.name if kind == "project" else WEIGHTS.name
    if version is not None:
        doc["version"] = version
    result = _load(kind, scratch, json.dumps(doc).encode("utf-8"))
    assert isinstance(result, FormatError)


# ---------------------------------------------------------------------------------------------- mutations
def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


def _field(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _mutate(doc, data) -> None:
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    key, target = path[-1], parent[path[-1]]
    action = data.draw(
        st.sampled_from(["delete", "replace", "retype", "truncate", "extend", "add_key", "nudge", "swap"])
    )
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = data.draw(json_values)
    elif action == "retype":
        parent[key] = data.draw(
            st.sampled_from([None, True, 0, -1, 0.5, "x", [], {}, [[1.0]], str(target)[:10]])
        )
    elif action == "truncate" and isinstance(target, (list, str)):
        parent[key] = target[: data.draw(st.integers(0, max(0, len(target) - 1)))]
    elif action == "extend" and isinstance(target, list):
        target.append(copy.deepcopy(target[-1]) if target else data.draw(json_values))
    elif action == "add_key" and isinstance(target, dict):
        target[data.draw(st.sampled_from(["extra", "t", "m", "weigths", "val"]))] = data.draw(json_values)
    elif action == "nudge" and isinstance(target, (int, float)) and not isinstance(target, bool):
        step = data.draw(st.sampled_from([-1, 1, 0.5, -1e6, 1e300]))
        try:
            parent[key] = target + step
        except OverflowError:  # a huge integer plus a float: nudge it the other way
            parent[key] = -target
    elif action == "swap" and isinstance(target, list) and len(target) > 1:
        target[0], target[-1] = target[-1], target[0]
    else:
        parent[key] = data.draw(json_values)


@FUZZ
@given(st.data())
def test_mutated_documents_load_completely_or_fail_clearly(scratch, data):
    kind, doc = copy.deepcopy(data.draw(st.sampled_from(VALID)))
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(doc, data)
    result = _load(kind, scratch, json.dumps(doc).encode("utf-8"))
    _check_loaded(kind, result, scratch)


@FUZZ
@given(st.data())
def test_truncated_files(scratch, data):
    kind, doc = data.draw(st.sampled_from(VALID))
    raw = json.dumps(doc, indent=data.draw(st.sampled_from([None, 1]))).encode("utf-8")
    cut = data.draw(st.integers(0, len(raw) - 2))
    assume(raw[:cut].strip())  # an empty file is tested elsewhere
    result = _load(kind, scratch, raw[:cut])
    assert isinstance(result, FormatError)
    assert re.search(r"not valid JSON \(line \d+, column \d+: ", str(result)), str(result)


NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1" * 400, "-" + "9" * 330]


@FUZZ
@given(st.data())
def test_non_finite_and_huge_numbers_are_refused_naming_their_field(scratch, data):
    kind, doc = copy.deepcopy(data.draw(st.sampled_from(VALID)))
    numeric = [
        p
        for p in _paths(doc)
        if p and isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)
    ]
    path = data.draw(st.sampled_from(numeric))
    _set(doc, path, "@@TOKEN@@")
    token = data.draw(st.sampled_from(NON_FINITE))
    raw = json.dumps(doc).replace('"@@TOKEN@@"', token).encode("utf-8")
    result = _load(kind, scratch, raw)
    assert isinstance(result, FormatError)
    assert result.field == _field(path)
    assert "JSON allows" in result.problem or "too large for a 64-bit float" in result.problem


@FUZZ
@given(st.data(), st.integers(1, 3000), st.sampled_from(["list", "object"]))
def test_deep_nesting_never_overflows_the_stack(scratch, data, depth, kind_of_nest):
    kind, doc = copy.deepcopy(data.draw(st.sampled_from(VALID)))
    where = data.draw(st.sampled_from([p for p in _paths(doc) if p]))
    _set(doc, where, "@@NEST@@")
    nest = "[" * depth + "1" + "]" * depth if kind_of_nest == "list" else '{"a":' * depth + "1" + "}" * depth
    raw = json.dumps(doc).replace('"@@NEST@@"', nest).encode("utf-8")
    result = _load(kind, scratch, raw)
    total = len(where) + depth  # containers from the top down to the innermost nested one
    if total > MAX_DEPTH:
        assert isinstance(result, FormatError)
        assert "nested" in str(result)
    _check_loaded(kind, result, scratch)


@FUZZ
@given(st.data())
def test_wrong_shapes_are_named(scratch, data):
    """Any resized weight matrix, bias, state array or transform vector is reported at exactly that field."""
    doc = copy.deepcopy(VALID[-2][1])  # the trained project: masks, Adam state, history, inline data
    candidates = [
        ("network", "weights", 0),
        ("network", "weights", 1),
        ("network", "biases", 0),
        ("network", "biases", 1),
        ("optimiser_state", "m", 0),
        ("optimiser_state", "v", 3),
        ("input_transform", "shift"),
        ("input_transform", "scale"),
    ]
    path = data.draw(st.sampled_from(candidates))
    array = np.asarray(_get(doc, path))
    new_shape = tuple(s + data.draw(st.sampled_from([-1, 1, 2])) for s in array.shape)
    assume(all(s >= 1 for s in new_shape))
    _set(doc, path, np.full(new_shape, 1.0).tolist())
    doc["network"]["masks"] = [None, None]
    result = _load("project", scratch, json.dumps(doc).encode("utf-8"))
    assert isinstance(result, FormatError)
    assert result.field == _field(path)
    want = "×".join(map(str, array.shape))
    assert f"expected {want}" in result.problem or f"expected {array.shape[0]} numbers" in result.problem


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def _set(doc, path, value):
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value
