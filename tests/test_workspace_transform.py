"""The stored input transform in use: trainer_for fits, stores and reuses it; a changed data file is
still scaled as the network was trained; an incompatible one is fitted again; the CLI keeps it."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bpstudio.cli import main
from bpstudio.data import DataError, apply_preprocessing, fit_scaling, prepare
from bpstudio.engine import Network, TrainConfig
from bpstudio.formats import Project, load_project, save_project
from bpstudio.workspace import input_transform_for, trainer_for, update_project

ROWS = [(1.0, 10.0, 0), (2.0, 30.0, 1), (4.0, 20.0, 1), (3.0, 50.0, 0), (5.0, 40.0, 1), (0.0, 60.0, 0)]


def _write_csv(path, rows) -> None:
    path.write_text("a,b,y\n" + "".join(f"{a},{b},{y}\n" for a, b, y in rows), encoding="utf-8")


def _csv_project(tmp_path, scaling="minmax01", **prep) -> Project:
    _write_csv(tmp_path / "data.csv", ROWS)
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=1)
    spec = {
        "file": "data.csv",
        "preprocessing": {"scaling": scaling, **prep},
        "split": {"val": 1 / 3, "seed": 0},
    }
    return Project(net, TrainConfig(loss="bce", epochs=2), spec, name="csv")


def test_a_new_project_gets_the_transform_fitted_on_its_training_split(tmp_path):
    project = _csv_project(tmp_path)
    assert project.input_transform is None
    _, data = trainer_for(project, tmp_path)
    X = np.array([r[:2] for r in ROWS])
    assert project.input_transform == fit_scaling(X[data.indices["train"]], "minmax01")
    assert project.input_transform["train_samples"] == 4 and data.sizes()["val"] == 2
    assert project.input_transform is not data.preprocessing  # the project keeps its own copy
    save_project(tmp_path / "p.bps.json", project)
    assert load_project(tmp_path / "p.bps.json").input_transform == project.input_transform


def test_a_changed_data_file_is_still_scaled_with_the_stored_transform(tmp_path):
    project = _csv_project(tmp_path)
    _, first = trainer_for(project, tmp_path)
    fitted = copy.deepcopy(project.input_transform)
    save_project(tmp_path / "p.bps.json", project)
    changed = [(a * 10 - 7, b / 2 + 3, y) for a, b, y in ROWS]  # same columns, other values
    _write_csv(tmp_path / "data.csv", changed)
    again = load_project(tmp_path / "p.bps.json")
    _, data = trainer_for(again, tmp_path)
    X = np.array([r[:2] for r in changed])
    assert np.array_equal(data.train[0], apply_preprocessing(fitted, X[data.indices["train"]]))
    assert np.array_equal(data.val[0], apply_preprocessing(fitted, X[data.indices["val"]]))
    assert again.input_transform == fitted
    refit = fit_scaling(X[data.indices["train"]], "minmax01")
    assert not np.allclose(apply_preprocessing(refit, data.dataset.X), apply_preprocessing(fitted, X))
    assert not np.allclose(data.train[0], first.train[0])


@pytest.mark.parametrize(
    "change",
    [
        lambda p: setattr(p, "dataset", p.dataset.replace(preprocessing={"scaling": "standardise"})),
        lambda p: setattr(
            p, "dataset", p.dataset.replace(preprocessing={"scaling": "minmax01", "per_feature": False})
        ),
    ],
)
def test_a_stored_transform_for_another_scaling_choice_is_fitted_again(tmp_path, change):
    project = _csv_project(tmp_path)
    trainer_for(project, tmp_path)
    old = copy.deepcopy(project.input_transform)
    change(project)
    _, data = trainer_for(project, tmp_path)
    assert project.input_transform != old
    assert project.input_transform == fit_scaling(
        data.dataset.X[data.indices["train"]],
        project.dataset["preprocessing"]["scaling"],
        project.dataset["preprocessing"].get("per_feature", True),
    )


def test_a_stored_transform_for_another_input_count_is_dropped_and_fitted_again(tmp_path):
    project = _csv_project(tmp_path)
    trainer_for(project, tmp_path)
    rows3 = [(a, b, a + b, y) for a, b, y in ROWS]
    (tmp_path / "data.csv").write_text(
        "a,b,c,y\n" + "".join(",".join(map(str, r)) + "\n" for r in rows3), encoding="utf-8"
    )
    with pytest.raises(DataError, match="dataset has 3 inputs but the network's input layer has 2"):
        trainer_for(project, tmp_path)
    assert project.input_transform["n_inputs"] == 2  # kept while the network still has 2 inputs
    project.network = Network.create([3, 3, 1], ["tanh", "sigmoid"], seed=1)
    trainer_for(project, tmp_path)
    assert project.input_transform["n_inputs"] == 3 and len(project.input_transform["shift"]) == 3


def test_prepare_uses_only_a_compatible_transform_and_refuses_a_malformed_one():
    spec = {"builtin": "iris", "preprocessing": {"scaling": "standardise"}}
    fitted = prepare(spec).preprocessing
    stored = {**fitted, "shift": [0.0] * 4, "scale": [2.0] * 4}
    used = prepare(spec, transform=stored)
    assert used.preprocessing == stored and np.allclose(used.train[0], used.dataset.X / 2)
    assert (
        prepare({**spec, "preprocessing": {"scaling": "minmax01"}}, transform=stored).preprocessing != stored
    )
    with pytest.raises(DataError, match=r"input_transform\.scale: must be finite numbers > 0"):
        prepare(spec, transform={**stored, "scale": [1.0, 1.0, 0.0, 1.0]})
    with pytest.raises(DataError, match=r"input_transform\.n_inputs: expected a whole number"):
        prepare(spec, transform={**stored, "n_inputs": "4"})


def test_update_project_and_a_reloaded_project_keep_the_transform(tmp_path):
    project = _csv_project(tmp_path)
    trainer, _ = trainer_for(project, tmp_path)
    stored = copy.deepcopy(project.input_transform)
    trainer.run(epochs=2)
    update_project(project, trainer)
    assert project.input_transform == stored


def test_input_transform_for_gives_the_stored_one_else_fits_it_without_changing_the_project(tmp_path):
    project = _csv_project(tmp_path)
    fitted = input_transform_for(project, tmp_path)
    assert project.input_transform is None and fitted["scaling"] == "minmax01"
    project.input_transform = {**fitted, "shift": [9.0, 9.0]}
    assert input_transform_for(project, tmp_path)["shift"] == [9.0, 9.0]
    (tmp_path / "data.csv").unlink()
    project.input_transform = None
    with pytest.raises(DataError, match="no such file"):
        input_transform_for(project, tmp_path)
    project.dataset = project.dataset.replace(preprocessing={"scaling": "none"})
    assert input_transform_for(project, tmp_path) is None  # unscaled: nothing needs the data


def test_cli_train_stores_the_transform_and_a_new_dataset_is_fitted_afresh(tmp_path, capsys):
    project = _csv_project(tmp_path)
    save_project(tmp_path / "p.bps.json", project)
    assert (
        main(["train", str(tmp_path / "p.bps.json"), "--out", str(tmp_path / "t.bps.json"), "--quiet"]) == 0
    )
    trained = load_project(tmp_path / "t.bps.json")
    assert trained.input_transform["scaling"] == "minmax01"
    assert trained.input_transform == prepare(trained.dataset, base_dir=tmp_path).preprocessing
    other = tmp_path / "other.csv"
    _write_csv(other, [(a + 100, b * 3, y) for a, b, y in ROWS])
    argv = ["train", str(tmp_path / "t.bps.json"), "--out", str(tmp_path / "o.bps.json"), "--quiet"]
    assert main([*argv, "--data", str(other), "--epochs", "1"]) == 0
    moved = load_project(tmp_path / "o.bps.json")
    X = np.array([(a + 100, b * 3) for a, b, _ in ROWS])
    train_rows = prepare(moved.dataset).indices["train"]
    assert moved.input_transform == fit_scaling(X[train_rows], "minmax01")
    # the same dataset again keeps the transform the network was trained with
    assert (
        main(["train", str(tmp_path / "o.bps.json"), "--out", str(tmp_path / "o2.bps.json"), "--quiet"]) == 0
    )
    assert load_project(tmp_path / "o2.bps.json").input_transform == moved.input_transform
    capsys.readouterr()
