"""Initialiser ranges are bounded (issue 13, class 7): a range near the largest float used to raise
OverflowError from Reset Weights, Randomise and ``make-exercise --seed``; now it is refused as a
setting, with the allowed range named, wherever it comes from."""

from __future__ import annotations

import json

import pytest

from bpstudio.cli import main
from bpstudio.engine import EngineError, Network, TrainConfig
from bpstudio.engine.initialisers import INITIALISERS, MAX_PARAM
from bpstudio.formats import FormatError, Project, load_project, project_to_dict, save_project


@pytest.mark.parametrize("value", [1e308, float("inf"), float("nan"), -1.0, "x", MAX_PARAM * 1.01])
@pytest.mark.parametrize("init", ["uniform", "normal"])
def test_an_out_of_range_parameter_is_a_setting_error(init, value):
    key = next(iter(INITIALISERS.get(init).defaults))
    with pytest.raises(EngineError, match="must be a number from 0 to 1,000,000"):
        TrainConfig(init=init, init_params={key: value}).validate()
    with pytest.raises(EngineError):
        Network.create([2, 2, 1], "sigmoid", init=init, init_params={key: value}, seed=0)


@pytest.mark.parametrize("init", ["uniform", "normal"])
def test_the_largest_allowed_parameter_draws_finite_weights(init):
    key = next(iter(INITIALISERS.get(init).defaults))
    net = Network.create([2, 3, 1], "sigmoid", init=init, init_params={key: MAX_PARAM}, seed=0)
    assert all(abs(w).max() <= 10 * MAX_PARAM for w in net.weights)


def test_a_project_file_with_a_huge_range_is_refused_with_the_field_named(tmp_path):
    path = tmp_path / "p.bps.json"
    save_project(path, Project(network=Network.create([2, 2, 1], "sigmoid", seed=0)))
    doc = json.loads(path.read_text())
    doc["training"]["init_params"] = {"r": 1e308}
    path.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="training.*must be a number from 0"):
        load_project(path)


def test_make_exercise_with_a_seed_refuses_it_in_one_line(tmp_path, capsys):
    project = Project(network=Network.create([2, 2, 1], "sigmoid", seed=0))
    doc = project_to_dict(project)
    doc["training"]["init_params"] = {"r": 1e308}
    path = tmp_path / "p.bps.json"
    path.write_text(json.dumps(doc))
    code = main(["make-exercise", str(path), "--out", str(tmp_path / "x.bpx.json"), "--seed", "3"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "must be a number from 0" in err
