"""The schemas and the small validator: valid draft 2020-12, in step with the engine, and in agreement
with the ``jsonschema`` package on valid, invalid and generated documents."""

from __future__ import annotations

import copy
import dataclasses
import json

import jsonschema
import pytest
from fuzz_profiles import formats_profile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpstudio import resource_path
from bpstudio.engine import (
    ACTIVATIONS,
    BATCH_MODES,
    DTYPES,
    INITIALISERS,
    LOSSES,
    OPTIMISERS,
    REDUCTIONS,
    TRAIN_EVALS,
    TrainConfig,
)
from bpstudio.engine.history import SPLITS
from bpstudio.formats import PROJECT, WEIGHTS, FormatError, Project, project_to_dict
from bpstudio.formats.schema import Schema, SchemaDefinitionError
from bpstudio.workspace import list_examples, load_example

FUZZ = settings(
    formats_profile(),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def raw_schema(name: str) -> dict:
    return json.loads(resource_path("schema", f"{name}.schema.json").read_text(encoding="utf-8"))


def reference(schema: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


# ---------------------------------------------------------------------------------------------- the schemas
@pytest.mark.parametrize("name", ["project", "weights"])
def test_schemas_are_valid_draft_2020_12_and_use_only_the_supported_subset(name):
    schema = raw_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    Schema(schema)  # refuses any keyword it does not implement


def test_the_network_and_transform_parts_are_the_same_in_both_schemas():
    p, w = raw_schema("project")["$defs"], raw_schema("weights")["$defs"]
    for key in ("network", "activation", "vector", "matrix", "bool_matrix", "scaling", "input_transform"):
        assert p[key] == w[key], key
    assert (
        raw_schema("project")["properties"]["input_transform"]
        == raw_schema("weights")["properties"]["input_transform"]
    )


def test_schema_names_match_the_engine_registries():
    defs = raw_schema("project")["$defs"]
    assert defs["activation"]["enum"] == ACTIVATIONS.names()
    assert defs["loss"]["enum"] == LOSSES.names()
    assert defs["optimiser"]["enum"] == OPTIMISERS.names()
    assert defs["initialiser"]["enum"] == INITIALISERS.names()
    assert defs["reduction"]["enum"] == list(REDUCTIONS)
    assert defs["batch_mode"]["enum"] == list(BATCH_MODES)


def test_schema_fields_match_the_objects_that_are_saved():
    schema = raw_schema("project")
    training = schema["$defs"]["training"]
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    assert list(training["properties"]) == fields
    # optional: absent is float64 / auto
    assert training["required"] == [f for f in fields if f not in ("dtype", "train_eval")]
    assert training["properties"]["dtype"]["enum"] == list(DTYPES)
    assert training["properties"]["train_eval"]["enum"] == list(TRAIN_EVALS)
    doc = project_to_dict(load_example("xor"))
    assert list(schema["properties"]) == list(doc) == schema["required"]
    history = schema["$defs"]["history"]
    from bpstudio.engine import History

    # optional: train_basis, written only when some epoch's training loss was of a subsample
    assert list(history["properties"]) == list(History().to_dict()) + ["train_basis"]
    assert history["required"] == list(History().to_dict())
    sub = History()
    sub.note_train_basis(1, 1067, 6400)
    assert list(sub.to_dict()) == list(history["properties"])
    assert schema["$defs"]["split_values"]["required"] == list(SPLITS)


def test_state_keys_that_must_be_non_negative_exist():
    from bpstudio.formats.rules import NONNEGATIVE_STATE

    keys = {k for opt in OPTIMISERS for k in opt.state_keys}
    assert set(NONNEGATIVE_STATE) <= keys


@pytest.mark.parametrize(
    "bad,message",
    [
        ({"type": "string", "pattern": "^a"}, "unsupported keyword(s): pattern"),
        ({"$ref": "#/$defs/nothing"}, "does not resolve"),
        ({"$ref": "other.json#/x"}, "only local references"),
        ({"type": "text"}, "bad type"),
        ({"anyOf": []}, "non-empty list"),
        ({"properties": {"a": {"if": {}}}}, "#/properties/a: unsupported keyword(s): if"),
    ],
)
def test_unsupported_schemas_are_refused_when_loaded(bad, message):
    with pytest.raises(SchemaDefinitionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Schema(bad)


# ---------------------------------------------------------------------------------------------- agreement
def _valid_documents():
    docs = [json.loads(p.read_text(encoding="utf-8")) for _, p in list_examples()]
    from bpstudio.engine import Network

    project = Project(
        Network.create([3, 4, 2], ["tanh", "softmax"], seed=1),
        TrainConfig(loss="cce", optimiser="adam", target_loss=0.1),
        {"inline": {"inputs": [[0, 1, 2]], "targets": [[1, 0]]}, "split": None},
        view={"labels": False},
    )
    project.network.set_connection(0, 0, 0, False)
    project.input_transform = {
        "scaling": "minmax11",
        "per_feature": True,
        "n_inputs": 3,
        "shift": [0.0, 1.0, 2.0],
        "scale": [1.0, 0.5, 2.0],
        "train_samples": 1,
    }
    docs.append(json.loads(json.dumps(project_to_dict(project))))
    return docs


def _weights_of(doc) -> dict:
    """The weights document of a project document's network and input transform."""
    return {
        "format": "bpstudio-weights",
        "version": 3,
        "created_with": "x",
        "network": doc.get("network"),
        "input_transform": doc.get("input_transform"),
    }


@pytest.mark.parametrize("doc", _valid_documents())
def test_valid_documents_are_valid_for_both(doc):
    assert reference(raw_schema("project")).is_valid(doc)
    PROJECT.schema.validate(doc)
    weights = _weights_of(doc)
    assert reference(raw_schema("weights")).is_valid(weights)
    WEIGHTS.schema.validate(weights)


def _agree(schema_dict: dict, ours: Schema, instance) -> None:
    expected = reference(schema_dict).is_valid(instance)
    assert ours.is_valid(instance) == expected, (instance, expected)
    if expected:
        ours.validate(instance)
    else:
        with pytest.raises(FormatError):
            ours.validate(instance)


KEYS = ["a", "b", "c"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, -1.0, 2.5, 1e300])
    | st.floats(-4, 4, allow_nan=False)
    | st.sampled_from(["", "a", "b", "x"])
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(KEYS + ["d"]), c, max_size=4),
    max_leaves=12,
)
TYPE_NAMES = ["null", "boolean", "integer", "number", "string", "array", "object"]
numbers = st.integers(-3, 3) | st.sampled_from([-1.5, 0.0, 0.5, 2.0])
leaf_schemas = st.one_of(
    st.builds(lambda t: {"type": t}, st.sampled_from(TYPE_NAMES)),
    st.builds(
        lambda t: {"type": t}, st.lists(st.sampled_from(TYPE_NAMES), min_size=1, max_size=3, unique=True)
    ),
    st.builds(lambda e: {"enum": e}, st.lists(scalars | values, min_size=1, max_size=3)),
    st.builds(lambda c: {"const": c}, values),
    st.builds(
        lambda k, v: {k: v},
        st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
        numbers,
    ),
    st.builds(lambda k, v: {k: v}, st.sampled_from(["minItems", "maxItems"]), st.integers(0, 3)),
    st.builds(lambda r: {"required": r}, st.lists(st.sampled_from(KEYS), max_size=2, unique=True)),
    st.just({"$ref": "#/$defs/num"}),
    st.just({"$ref": "#/$defs/pair"}),
    st.booleans(),
    st.just({}),
)


def _merge(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a if isinstance(b, bool) else b
    out = dict(a)
    for k, v in b.items():
        out.setdefault(k, v)
    return out


schemas = st.recursive(
    leaf_schemas,
    lambda c: st.one_of(
        st.builds(
            lambda props, req, extra: {
                "type": "object",
                "properties": props,
                "required": req,
                "additionalProperties": extra,
            },
            st.dictionaries(st.sampled_from(KEYS), c, max_size=3),
            st.lists(st.sampled_from(KEYS), max_size=2, unique=True),
            st.booleans() | c,
        ),
        st.builds(lambda i: {"type": "array", "items": i}, c),
        st.builds(lambda pre, i: {"prefixItems": pre, "items": i}, st.lists(c, min_size=1, max_size=2), c),
        st.builds(lambda pre: {"prefixItems": pre}, st.lists(c, min_size=1, max_size=2)),
        st.builds(lambda bs: {"anyOf": bs}, st.lists(c, min_size=1, max_size=3)),
        st.builds(lambda bs: {"oneOf": bs}, st.lists(c, min_size=1, max_size=3)),
        st.builds(_merge, c, c),
    ),
    max_leaves=8,
)
DEFS = {
    "num": {"type": "number", "minimum": 0},
    "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
}


def _with_defs(s):
    if isinstance(s, bool):
        return {"anyOf": [s], "$defs": DEFS}
    return {**s, "$defs": DEFS}


@FUZZ
@given(schemas, st.lists(values, min_size=1, max_size=6))
def test_generated_schemas_and_instances_agree_with_jsonschema(schema, instances):
    schema = _with_defs(schema)
    ours = Schema(schema)
    for instance in instances:
        _agree(schema, ours, instance)


@FUZZ
@given(st.data())
def test_mutated_valid_documents_agree_with_jsonschema(data):
    docs = _valid_documents()
    doc = copy.deepcopy(data.draw(st.sampled_from(docs)))
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(doc, data)
    _agree(raw_schema("project"), PROJECT.schema, doc)
    if isinstance(doc.get("network"), dict) or "network" in doc:
        _agree(raw_schema("weights"), WEIGHTS.schema, _weights_of(doc))


@FUZZ
@given(
    st.dictionaries(st.sampled_from(list(raw_schema("project")["properties"]) + ["x"]), values, max_size=11)
)
def test_random_documents_agree_with_jsonschema(doc):
    _agree(raw_schema("project"), PROJECT.schema, doc)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


def _mutate(doc, data) -> None:
    """Delete a key, change a value's type, truncate or extend a list, or add an unknown key."""
    paths = [p for p in _paths(doc) if p]
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    key = path[-1]
    action = data.draw(st.sampled_from(["delete", "replace", "truncate", "extend", "add_key"]))
    target = parent[key]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = data.draw(values)
    elif action == "truncate" and isinstance(target, list) and target:
        del target[data.draw(st.integers(0, len(target) - 1)) :]
    elif action == "extend" and isinstance(target, list):
        target.append(copy.deepcopy(target[-1]) if target else data.draw(values))
    elif action == "add_key" and isinstance(target, dict):
        target[data.draw(st.sampled_from(["extra", "a", "weigths"]))] = data.draw(values)
    else:
        parent[key] = data.draw(values)


def test_json_equality_rules_agree():
    schema = {"enum": [1, [1, 2], {"a": 0}, False]}
    ours = Schema(schema)
    for instance in [1, 1.0, True, [1.0, 2], [True, 2], {"a": 0.0}, {"a": False}, False, 0, None]:
        _agree(schema, ours, instance)


@pytest.mark.parametrize(
    "schema,instances",
    [
        ({"anyOf": [{"type": "array", "items": False}]}, [[], [1], None]),
        ({"$defs": DEFS, "items": {"$ref": "#/$defs/num", "type": "null"}}, [[0], [None], []]),
        ({"$defs": DEFS, "items": {"$ref": "#/$defs/num"}}, [[0, 1.5], [-1], [None]]),
        ({"prefixItems": [{"type": "string"}], "items": False}, [[], ["a"], ["a", 1], [1]]),
        ({"items": {"type": ["number", "null"], "minimum": 0}}, [[0, None, 2.5], [None, -1], [True]]),
        ({"items": {"type": "integer", "maximum": 3}}, [[1, 2.0, 3], [1.5], [4], [False]]),
        ({"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}, [{}, {"a": 1}, {"a": 1, "b": 2}, [1]]),
        (
            {"additionalProperties": {"type": "number"}, "properties": {"t": {}}},
            [{"t": "x", "u": 1}, {"u": "x"}],
        ),
        ({"minimum": 1, "exclusiveMaximum": 2}, [1, 1.999, 2, "3", None]),
    ],
)
def test_edge_cases_agree(schema, instances):
    ours = Schema(schema)
    for instance in instances:
        _agree(schema, ours, instance)


def test_the_examples_in_the_documentation_are_valid():
    import re
    from pathlib import Path

    from bpstudio.formats import project_from_dict, weights_from_dict

    text = (Path(__file__).resolve().parent.parent / "docs" / "file-format.md").read_text(encoding="utf-8")
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, flags=re.S)]
    kinds = [b["format"] for b in blocks]
    assert kinds == ["bpstudio-project", "bpstudio-weights"]
    assert reference(raw_schema("project")).is_valid(blocks[0])
    assert reference(raw_schema("weights")).is_valid(blocks[1])
    project_from_dict(blocks[0])
    weights_from_dict(blocks[1])
