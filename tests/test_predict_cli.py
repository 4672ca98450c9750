"""``bpstudio predict``: the stored transform is applied, outputs match the network on the prepared data,
targets give a loss/accuracy line, errors are one clear line."""

from __future__ import annotations

import csv
import gzip
import io
import json

import numpy as np
import pytest

from bpstudio.cli import main
from bpstudio.data import apply_preprocessing, load_dataset
from bpstudio.engine import Network, TrainConfig
from bpstudio.formats import Project, load_project, load_weights_file, project_to_dict, save_project
from bpstudio.predict import load_model, read_inputs
from bpstudio.workspace import trainer_for, update_project


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def table(text: str) -> tuple[list[str], np.ndarray, list[str]]:
    """(header, the numbers, the class column or [])."""
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    k = sum(1 for h in header if h.startswith("y"))
    values = np.array([[float(v) for v in r[:k]] for r in body])
    return header, values, [r[k] for r in body] if len(header) > k else []


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    """A trained iris project (standardised, split) saved to a folder, with the raw data as CSV."""
    folder = tmp_path_factory.mktemp("iris")
    net = Network.create([4, 6, 3], ["tanh", "softmax"], seed=2)
    cfg = TrainConfig(loss="cce", optimiser="adam", optimiser_params={"lr": 0.05}, batch_mode="full")
    spec = {"builtin": "iris", "preprocessing": {"scaling": "standardise"}, "split": {"test": 0.2, "seed": 1}}
    project = Project(net, cfg, spec, name="iris")
    trainer, data = trainer_for(project)
    trainer.run(epochs=40)
    update_project(project, trainer)
    save_project(folder / "iris.bps.json", project)
    ds = data.dataset
    lines = [",".join(ds.input_names + ["species"])]
    for x, label in zip(ds.X, ds.labels()):
        lines.append(",".join(repr(float(v)) for v in x) + "," + ds.class_names[label])
    (folder / "iris.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "inputs.csv").write_text(
        "\n".join([",".join(ds.input_names)] + [",".join(repr(float(v)) for v in x) for x in ds.X]) + "\n",
        encoding="utf-8",
    )
    return folder, project, data


def test_export_then_predict_gives_the_network_outputs_on_the_prepared_data(iris, capsys, tmp_path):
    folder, project, data = iris
    weights = tmp_path / "iris.weights.json"
    code, _, err = run(capsys, "export-weights", str(folder / "iris.bps.json"), "--out", str(weights))
    assert code == 0 and "input scaling: standardisation (fitted on 120 training samples), to" in err
    assert load_weights_file(weights).input_transform == project.input_transform
    expected = project.network.predict(apply_preprocessing(project.input_transform, data.dataset.X))
    for model in (weights, folder / "iris.bps.json"):
        code, out, err = run(capsys, "predict", str(model), "--data", str(folder / "inputs.csv"))
        assert code == 0, err
        header, values, classes = table(out)
        np.testing.assert_array_equal(values, expected)  # bit for bit: floats are written in full
        rows = data.indices["train"]
        np.testing.assert_array_equal(values[rows], project.network.predict(data.train[0]))
        if model == weights:
            assert header == ["y1", "y2", "y3"] and classes == [] and "note" not in err
        else:
            assert header == ["y1", "y2", "y3", "class"]
            names = data.dataset.class_names
            assert classes == [names[i] for i in np.argmax(expected, axis=1)]


def test_targets_give_a_loss_and_accuracy_line(iris, capsys, tmp_path):
    folder, project, data = iris
    code, out, err = run(
        capsys,
        "predict",
        str(folder / "iris.bps.json"),
        "--data",
        str(folder / "iris.csv"),
        "--target",
        "species",
    )
    assert code == 0, err
    Xs = apply_preprocessing(project.input_transform, data.dataset.X)
    o = project.network.predict(Xs)
    acc = np.mean(np.argmax(o, axis=1) == data.dataset.labels())
    loss = np.mean(-np.sum(data.dataset.T * np.log(o), axis=1))
    assert f"150 samples: loss {loss:.6g} (cce, mean per sample), accuracy {acc:.1%}" in err
    assert acc > 0.8
    # a file holding only some of the classes is matched to the project's classes by name
    lines = (folder / "iris.csv").read_text(encoding="utf-8").splitlines()
    some = [lines[0]] + [line for line in lines[1:] if not line.endswith("setosa")]
    (tmp_path / "two.csv").write_text("\n".join(some) + "\n", encoding="utf-8")
    out_path = tmp_path / "pred.csv"
    code, out, err = run(
        capsys,
        "predict",
        str(folder / "iris.bps.json"),
        "--data",
        str(tmp_path / "two.csv"),
        "--target",
        "-1",
        "--out",
        str(out_path),
    )
    assert code == 0, err
    assert out == ""
    keep = data.dataset.labels() != 0
    acc2 = np.mean(np.argmax(o[keep], axis=1) == data.dataset.labels()[keep])
    assert "100 samples: loss" in err and f"accuracy {acc2:.1%}" in err
    assert table(out_path.read_text(encoding="utf-8"))[1].shape == (100, 3)


def test_a_weights_file_without_a_transform_predicts_on_raw_inputs_and_says_so(iris, capsys, tmp_path):
    folder, project, data = iris
    doc = json.loads(json.dumps(project_to_dict(project)))
    weights = {"format": "bpstudio-weights", "version": 2, "created_with": "x", "network": doc["network"]}
    (tmp_path / "old.json").write_text(json.dumps(weights), encoding="utf-8")
    code, out, err = run(capsys, "predict", str(tmp_path / "old.json"), "--data", str(folder / "inputs.csv"))
    assert code == 0
    assert "old.json records no input transform: the inputs are used as they are (unscaled)" in err
    np.testing.assert_array_equal(table(out)[1], project.network.predict(data.dataset.X))


def test_a_version_2_project_fits_its_transform_on_its_dataset_again(iris, capsys, tmp_path):
    folder, project, data = iris
    doc = json.loads(json.dumps(project_to_dict(project)))
    doc["version"] = 2
    del doc["input_transform"]
    (tmp_path / "old.bps.json").write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(
        capsys, "predict", str(tmp_path / "old.bps.json"), "--data", str(folder / "inputs.csv")
    )
    assert code == 0
    assert "old.bps.json stores no input transform (an older file): fitted it on its dataset again" in err
    np.testing.assert_array_equal(
        table(out)[1], project.network.predict(apply_preprocessing(project.input_transform, data.dataset.X))
    )
    assert load_project(tmp_path / "old.bps.json").input_transform is None  # the file is not changed


def test_a_project_without_transform_whose_data_are_gone_is_a_clear_error(capsys, tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,0\n3,1\n", encoding="utf-8")
    net = Network.create([1, 1], ["sigmoid"], seed=0)
    spec = {"file": "d.csv", "preprocessing": {"scaling": "minmax11"}}
    save_project(tmp_path / "p.bps.json", Project(net, TrainConfig(), spec))
    (tmp_path / "d.csv").unlink()
    (tmp_path / "new.csv").write_text("2\n", encoding="utf-8")
    code, out, err = run(capsys, "predict", str(tmp_path / "p.bps.json"), "--data", str(tmp_path / "new.csv"))
    assert code == 2 and out == ""
    assert err.startswith(
        "bpstudio: error: p.bps.json stores no input transform, and its dataset cannot give one"
    )
    assert "no such file" in err and err.count("\n") == 1


def test_a_one_input_network_on_a_one_column_file_and_a_binary_project(capsys, tmp_path):
    rows = [(0.5, 0), (1.5, 0), (2.5, 1), (3.5, 1), (4.5, 1)]
    (tmp_path / "d.csv").write_text("x,label\n" + "".join(f"{x},{y}\n" for x, y in rows))
    net = Network.create([1, 1], ["sigmoid"], seed=0)
    net.weights[0][:] = 3.0
    spec = {"file": "d.csv", "target": "label", "preprocessing": {"scaling": "minmax01"}}
    project = Project(net, TrainConfig(loss="bce"), spec)
    trainer_for(project, tmp_path)
    save_project(tmp_path / "p.bps.json", project)
    (tmp_path / "new.csv").write_text("0.5\n4.5\nNA\n", encoding="utf-8")  # no header; a missing value
    code, out, err = run(capsys, "predict", str(tmp_path / "p.bps.json"), "--data", str(tmp_path / "new.csv"))
    assert code == 0, err
    header, values, classes = table(out)
    x = np.array([[0.0], [1.0], [0.5]])  # (x − 0.5)/4; the missing value is the column mean, 2.5
    np.testing.assert_allclose(values, 1 / (1 + np.exp(-(3.0 * x + net.biases[0]))))
    assert header == ["y1", "class"]
    assert classes == ["1" if v > 0.5 else "0" for v in values[:, 0]]
    assert "filled 1 missing value with the column mean" in err


def test_npz_and_idx_inputs(iris, capsys, tmp_path):
    folder, project, data = iris
    X = data.dataset.X
    np.savez(tmp_path / "x.npz", X=X, y=data.dataset.labels())
    expected = project.network.predict(apply_preprocessing(project.input_transform, X))
    code, out, _ = run(capsys, "predict", str(folder / "iris.bps.json"), "--data", str(tmp_path / "x.npz"))
    assert code == 0
    np.testing.assert_array_equal(table(out)[1], expected)
    np.savez(tmp_path / "only.npz", inputs=X)
    assert read_inputs(tmp_path / "only.npz").T is None
    np.testing.assert_array_equal(read_inputs(tmp_path / "only.npz").X, X)
    code, _, err = run(
        capsys, "predict", str(folder / "iris.bps.json"), "--data", str(tmp_path / "x.npz"), "--target", "y"
    )
    assert code == 0 and "accuracy" in err
    # IDX images (uint8, 2 × 2 pixels) with and without labels
    images = np.array([[[0, 255], [128, 64]], [[1, 2], [3, 4]]], dtype=np.uint8)
    head = bytes([0, 0, 0x08, 3]) + b"".join(int(d).to_bytes(4, "big") for d in images.shape)
    (tmp_path / "img-idx3-ubyte.gz").write_bytes(gzip.compress(head + images.tobytes()))
    labels = bytes([0, 0, 0x08, 1]) + (2).to_bytes(4, "big") + bytes([2, 0])
    (tmp_path / "lab-idx1-ubyte").write_bytes(labels)
    got = read_inputs(tmp_path / "img-idx3-ubyte.gz")
    np.testing.assert_array_equal(got.X, images.reshape(2, 4).astype(float))
    with_labels = read_inputs(tmp_path / "img-idx3-ubyte.gz", labels=tmp_path / "lab-idx1-ubyte")
    assert with_labels.T.shape == (2, 3) and with_labels.class_names == ["0", "1", "2"]
    code, out, _ = run(
        capsys, "predict", str(folder / "iris.bps.json"), "--data", str(tmp_path / "img-idx3-ubyte.gz")
    )
    assert code == 0 and table(out)[1].shape == (2, 3)


def test_the_model_knows_its_classes_and_the_stored_transform(iris):
    folder, project, _ = iris
    model = load_model(folder / "iris.bps.json")
    assert (
        model.kind == "project" and model.task == "multiclass" and model.transform == project.input_transform
    )
    assert model.class_names == load_dataset(project.dataset).class_names and model.notes == []


@pytest.mark.parametrize(
    "make,argv,message",
    [
        (
            lambda d: (d / "wide.csv").write_text("a,b,c,d,e\n1,2,3,4,5\n"),
            ["--data", "{d}/wide.csv"],
            "the data have 5 input columns but the network's input layer has 4 neurons "
            "(name the target columns with --target to leave them out)",
        ),
        (
            lambda d: (d / "narrow.csv").write_text("a,b,c\n1,2,3\n"),
            ["--data", "{d}/narrow.csv"],
            "the data have 3 input columns but the network's input layer has 4 neurons",
        ),
        (
            lambda d: (d / "text.csv").write_text("a,b,c,d,e\n1,2,3,4,setosa\n"),
            ["--data", "{d}/text.csv"],
            "row 2, column \"e\": not a number ('setosa'); if it is a target column, name it with --target",
        ),
        (
            lambda d: (d / "t.csv").write_text("a,b,c,d,e\n1,2,3,4,rose\n"),
            ["--data", "{d}/t.csv", "--target", "e"],
            "--target: class 'rose' is not one of the model's classes (setosa, versicolor, virginica)",
        ),
        (lambda d: None, ["--data", "{d}/none.csv"], "none.csv: no such file"),
        (lambda d: (d / "x.dat").write_text("1"), ["--data", "{d}/x.dat"], "cannot tell the format of x.dat"),
        (
            lambda d: (d / "x.csv").write_text("1,2,3,4\n"),
            ["--data", "{d}/x.csv", "--labels", "{d}/x.csv"],
            "--labels: only for IDX images",
        ),
        (
            lambda d: (d / "x.csv").write_text("1,2,3,4\n"),
            ["--data", "{d}/x.csv", "--target", "2", "--format", "idx"],
            "--target: an IDX file has no columns",
        ),
    ],
)
def test_errors_are_one_line(iris, capsys, tmp_path, make, argv, message):
    folder, _, _ = iris
    make(tmp_path)
    argv = [a.replace("{d}", str(tmp_path)) for a in argv]
    code, out, err = run(capsys, "predict", str(folder / "iris.bps.json"), *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert message in err


def test_a_file_that_is_not_a_model_is_refused(capsys, tmp_path):
    (tmp_path / "x.json").write_text('{"format": "bpstudio-exercise", "version": 1}')
    (tmp_path / "d.csv").write_text("1\n")
    code, _, err = run(capsys, "predict", str(tmp_path / "x.json"), "--data", str(tmp_path / "d.csv"))
    assert code == 2 and f"{tmp_path / 'x.json'}: not a bpstudio project or weights file" in err
    code, _, err = run(capsys, "predict", str(tmp_path / "x.json"))
    assert code == 2 and "--data" in err
