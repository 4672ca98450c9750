"""`bpstudio datasets`, the data options of `bpstudio train`, and the data example projects."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bpstudio.cli import main
from bpstudio.data import builtin_names, prepare
from bpstudio.formats import load_project
from bpstudio.workspace import examples_dir, load_example, trainer_for

XOR = str(examples_dir() / "xor.bps.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_datasets_lists_every_builtin_with_shape_task_and_parameters(capsys):
    code, out, _ = run(capsys, "datasets")
    assert code == 0
    for name in builtin_names():
        assert f"\n{name} " in out
    line = next(row for row in out.splitlines() if row.startswith("moons "))
    assert line.split()[:5] == ["moons", "200", "2", "1", "binary"]
    assert "n=200 noise=0.05 encoding=01 seed=0" in line
    assert next(r for r in out.splitlines() if r.startswith("digits ")).split()[:5] == [
        "digits",
        "1797",
        "64",
        "10",
        "multiclass",
    ]


def test_datasets_json_and_detail(capsys):
    code, out, _ = run(capsys, "datasets", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["name"] for r in rows] == builtin_names()
    iris = next(r for r in rows if r["name"] == "iris")
    assert (iris["samples"], iris["inputs"], iris["outputs"], iris["task"]) == (150, 4, 3, "multiclass")
    code, out, _ = run(capsys, "datasets", "spirals", "--param", "n=50", "--param", "noise=0")
    assert code == 0 and "50 samples" in out and "parameters:" in out and "noise=0.02" in out
    code, out, _ = run(capsys, "datasets", "matmul", "--param", "matrix=[[1,2]]", "--json")
    detail = json.loads(out)
    assert detail["outputs"] == 1 and detail["params"]["matrix"] == [[1.0, 2.0]]


def test_datasets_reports_a_file_import(capsys, tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,label\n1,2,x\n3,,y\n5,6,x\n")
    code, out, _ = run(capsys, "datasets", "--data", str(p))
    assert code == 0
    assert "filled 1 missing value with the column mean ('b': 1)" in out
    assert "classes: x, y" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["datasets", "nope"], "unknown dataset 'nope'"),
        (["datasets", "moons", "--param", "noise=-1"], "params.noise: must be ≥ 0"),
        (["datasets", "moons", "--param", "noise"], "--param: expected NAME=VALUE"),
        (["datasets", "--param", "n=3"], "--param: name the dataset"),
    ],
)
def test_datasets_errors_are_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err and err.count("\n") == 1


def test_train_with_a_builtin_dataset_and_parameters(capsys, tmp_path):
    out_path = tmp_path / "moons.bps.json"
    argv = ["train", XOR, "--out", str(out_path), "--quiet", "--epochs", "2", "--dataset", "moons"]
    code, _, err = run(
        capsys, *argv, "--param", "n=60", "--param", "noise=0.1", "--val", "0.25", "--scaling", "minmax11"
    )
    assert code == 0, err
    project = load_project(out_path)
    assert project.dataset == {
        "builtin": "moons",
        "params": {"n": 60, "noise": 0.1},
        "split": {"val": 0.25},
        "preprocessing": {"scaling": "minmax11"},
    }
    h = project.history
    assert len(h.epochs) == 2 and h.loss["val"][-1] is not None
    assert prepare(project.dataset).sizes() == {"train": 45, "val": 15, "test": 0}


def test_train_with_a_csv_file_and_target(capsys, tmp_path):
    p = tmp_path / "gate.csv"
    p.write_text("p,q,r,out\n0,0,9,0\n0,1,9,1\n1,0,9,1\n1,1,9,0\n")
    out_path = tmp_path / "t.bps.json"
    code, _, err = run(
        capsys,
        "train",
        XOR,
        "--out",
        str(out_path),
        "--quiet",
        "--epochs",
        "1",
        "--data",
        str(p),
        "--target",
        "r,out",
    )
    assert code == 2 and "dataset has 2 inputs" not in err and "dataset has 2 targets" in err
    code, _, err = run(
        capsys, "train", XOR, "--out", str(out_path), "--quiet", "--epochs", "1", "--data", str(p)
    )
    assert code == 2 and "dataset has 3 inputs but the network's input layer has 2 neurons" in err
    p.write_text("p,q,out\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    code, _, err = run(
        capsys, "train", XOR, "--out", str(out_path), "--quiet", "--epochs", "3", "--data", str(p)
    )
    assert code == 0, err
    saved = load_project(out_path)
    assert saved.dataset["file"] == str(p.resolve()) and len(saved.history.epochs) == 3


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--dataset", "iris"], "dataset has 4 inputs but the network's input layer has 2 neurons"),
        (["--dataset", "matmul"], "dataset has 2 targets but the network's output layer has 1 neuron"),
        (["--dataset", "moons", "--data", "x.csv"], "--dataset and --data: give one or the other"),
        (["--param", "n=5"], "--param: only with --dataset NAME"),
        (["--target", "2"], "only with --data FILE"),
        (["--dataset", "moons", "--param", "n=1"], "params.n: must be ≥ 4"),
        (["--data", "/no/such/file.csv"], "no such file"),
        (["--dataset", "xor", "--val", "1.5"], "split.val: must be a fraction"),
    ],
)
def test_train_data_errors_are_one_line_and_write_nothing(capsys, tmp_path, extra, message):
    out_path = tmp_path / "never.bps.json"
    code, _, err = run(capsys, "train", XOR, "--out", str(out_path), "--quiet", "--epochs", "1", *extra)
    assert code == 2 and message in err and "Traceback" not in err
    assert not out_path.exists()


def test_matmul_example_learns_y_equals_m_x():
    project = load_example("matmul-2-3-2")
    assert project.network.sizes == [2, 3, 2] and project.network.activations[-1] == "identity"
    cfg = project.training
    assert (cfg.optimiser, cfg.optimiser_params["lr"], cfg.loss, cfg.reduction) == (
        "adam",
        0.01,
        "mse",
        "mean",
    )
    assert (cfg.batch_mode, cfg.batch_size) == ("minibatch", 10)
    trainer, data = trainer_for(project)
    X, T = data.train
    assert np.allclose(T, X @ np.array([[10.0, 0.0], [7.0, 10.0]]).T)
    first = trainer.evaluate(X, T)[0]
    trainer.step_batch()
    for _ in range(20):
        trainer.step_epoch()
    loss = trainer.history.loss["val"][-1]
    assert first > 50 and loss < 1.0  # from about 125 to well under 1 in 20 epochs


def test_digits_example_reaches_good_accuracy_in_a_few_epochs():
    project = load_example("digits")
    assert project.network.sizes == [64, 30, 10]
    assert project.network.activations == ["sigmoid", "softmax"] and project.training.loss == "cce"
    assert project.training.batch_size == 10
    trainer, data = trainer_for(project)
    assert data.sizes() == {"train": 1257, "val": 270, "test": 270}
    assert data.train[0].min() == 0.0 and data.train[0].max() == 1.0
    for _ in range(5):
        trainer.step_epoch()
    h = trainer.history
    assert h.accuracy["val"][-1] > 0.9 and h.accuracy["test"][-1] > 0.9
