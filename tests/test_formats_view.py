"""View options: typed, validated when a project is opened; bad values never stop it from opening."""

from __future__ import annotations

import json

import pytest

from bpstudio.engine import Network
from bpstudio.formats import VIEW_OPTIONS, Project, ViewOptions, load_project, save_project
from bpstudio.formats.view import VIEW_DEFAULTS

ALLOWED = {
    "notation": ["gradient", "error_signal"],
    "precision": [0, 3, 12],
    "bias_style": ["value", "node", "node_minus"],
    "labels": [True, False],
    "names": ["index", "notes", "none"],
    "fill": ["activation", "delta"],
    "table_precision": [0, 4, 12],
    "walkthrough_layer_base": [0, 1],
    "walkthrough_weight_index": ["source", "target"],
    "walkthrough_digits": [2, 10],
    "neuron_numbering": ["layer", "global"],
    "letter_net": ["z", "in", "net", "s", "u"],
    "letter_act": ["a", "o", "y", "z"],
    "letter_target": ["t", "d", "y"],
    "letter_loss": ["E", "C", "L", "J"],
    "letter_lr": ["η", "α"],
    "letter_momentum": ["α", "β", "μ", "η"],
    "letter_signal": ["auto", "δ", "Δ"],
}
REFUSED = {
    "notation": ["delta", 1, None],
    "precision": [1e300, "x", -1, 13, 2.5, True],
    "bias_style": [{}, [], "b", None],
    "labels": ["yes", 1, None],
    "names": ["full", 0],
    "fill": ["z"],
    "table_precision": [1e9, "4"],
    "walkthrough_layer_base": [2, "1", True],
    "walkthrough_weight_index": ["middle"],
    "walkthrough_digits": [1, 11, "4"],
    "neuron_numbering": ["network", 1],
    "letter_net": ["x", "Z", 0, None],
    "letter_act": ["σ", ""],
    "letter_target": ["T"],
    "letter_loss": ["e", "Loss"],
    "letter_lr": ["eta", "λ"],
    "letter_momentum": ["alpha"],
    "letter_signal": ["beta", "d"],
}


def test_every_option_is_listed_with_allowed_and_refused_values():
    assert set(ALLOWED) == set(VIEW_OPTIONS) == set(REFUSED) == set(VIEW_DEFAULTS)


@pytest.mark.parametrize("key", sorted(VIEW_OPTIONS))
def test_every_allowed_value_saves_and_loads_again(key, tmp_path):
    for value in ALLOWED[key]:
        path = tmp_path / f"{key}.bps.json"
        save_project(path, Project(Network.create([2, 2, 1], seed=0), view={key: value}))
        back = load_project(path)
        assert back.view[key] == value and back.view.value(key) == value and back.view.notes == []


@pytest.mark.parametrize("key", sorted(VIEW_OPTIONS))
def test_a_value_not_allowed_is_refused_by_set_and_left_out_on_load(key, tmp_path):
    for value in REFUSED[key]:
        with pytest.raises(ValueError):
            ViewOptions().set(key, value)
        path = tmp_path / "p.bps.json"
        save_project(path, Project(Network.create([2, 2, 1], seed=0)))
        doc = json.loads(path.read_text())
        doc["view"] = {key: value, "labels": False} if key != "labels" else {key: value, "fill": "delta"}
        path.write_text(json.dumps(doc))
        back = load_project(path)
        assert key not in back.view and back.view.value(key) == VIEW_DEFAULTS[key]
        assert len(back.view) == 1  # the other, good option is kept
        assert len(back.view.notes) == 1
        note = back.view.notes[0]
        assert note.startswith(f"view.{key}: ") and "the default is used" in note and len(note) < 300


def test_unknown_keys_are_kept_as_they_are(tmp_path):
    path = tmp_path / "p.bps.json"
    view = {"future_option": {"a": [1, 2]}, "precision": 5}
    save_project(path, Project(Network.create([2, 2, 1], seed=0), view=view))
    back = load_project(path)
    assert back.view == view and back.view.notes == []
    save_project(path, back)
    assert json.loads(path.read_text())["view"] == view


def test_typed_accessors_give_the_default_when_unset():
    v = ViewOptions({"precision": 6})
    assert v.precision == 6 and v.table_precision == 4 and v.notation == "gradient" and v.labels is True
    assert v.bias_style == "value" and v.names == "index" and v.fill == "activation"
    w = v.copy()
    w.set("precision", 2)
    assert v.precision == 6 and w.precision == 2


def test_non_finite_numbers_are_refused():
    for value in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError):
            ViewOptions().set("precision", value)
