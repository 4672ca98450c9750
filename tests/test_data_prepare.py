"""Splits (seeded, stratified), scaling fitted on the training split, stored transforms, spec checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bpstudio.data import (
    DataError,
    apply_preprocessing,
    check_fits,
    fit_scaling,
    invert_preprocessing,
    load_dataset,
    prepare,
    split_indices,
)


def test_no_split_keeps_every_sample_in_order():
    data = prepare({"builtin": "xor"})
    assert data.train[0].tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert data.val is None and data.test is None
    assert data.sizes() == {"train": 4, "val": 0, "test": 0}
    assert data.preprocessing == {"scaling": "none", "per_feature": True, "n_inputs": 2, "train_samples": 4}


def test_split_sizes_are_disjoint_and_cover_the_data():
    data = prepare({"builtin": "iris", "split": {"val": 0.2, "test": 0.1, "seed": 0}})
    assert data.sizes() == {"train": 105, "val": 30, "test": 15}
    idx = data.indices
    allrows = np.concatenate([idx["train"], idx["val"], idx["test"]])
    assert sorted(allrows.tolist()) == list(range(150))
    ds = data.dataset
    assert np.array_equal(data.val[0], ds.X[idx["val"]]) and np.array_equal(data.test[1], ds.T[idx["test"]])


def test_stratified_split_keeps_class_proportions():
    data = prepare({"builtin": "wine", "split": {"val": 0.2, "test": 0.2, "seed": 5}})
    for part in (data.val, data.test):
        counts = part[1].sum(axis=0)
        assert counts.tolist() == [round(59 * 0.2), round(71 * 0.2), round(48 * 0.2)]
    plain = prepare({"builtin": "wine", "split": {"val": 0.2, "test": 0.2, "seed": 5, "stratify": False}})
    assert plain.sizes() == {"train": 106, "val": 36, "test": 36}


def test_split_is_seeded():
    spec = {"builtin": "moons", "split": {"val": 0.25, "seed": 1}}
    a, b = prepare(spec), prepare(spec)
    c = prepare({"builtin": "moons", "split": {"val": 0.25, "seed": 2}})
    assert np.array_equal(a.indices["val"], b.indices["val"])
    assert not np.array_equal(a.indices["val"], c.indices["val"])


def test_split_leaves_every_class_in_training():
    idx = split_indices(6, 0.5, 0.45, 0, labels=np.array([0, 0, 1, 1, 2, 2]))
    assert sorted(np.unique(np.array([0, 0, 1, 1, 2, 2])[idx["train"]]).tolist()) == [0, 1, 2]
    tiny = prepare({"builtin": "xor", "split": {"val": 0.9}})
    assert tiny.sizes()["train"] >= 2


@pytest.mark.parametrize("scaling,lo,hi", [("minmax01", 0.0, 1.0), ("minmax11", -1.0, 1.0)])
def test_minmax_scaling_is_fitted_on_training_only(scaling, lo, hi):
    spec = {"builtin": "iris", "preprocessing": {"scaling": scaling}, "split": {"test": 0.3, "seed": 0}}
    data = prepare(spec)
    Xtr = data.train[0]
    assert np.allclose(Xtr.min(axis=0), lo) and np.allclose(Xtr.max(axis=0), hi)
    raw = data.dataset.X
    train_raw = raw[data.indices["train"]]
    p = data.preprocessing
    assert p["scaling"] == scaling and len(p["shift"]) == 4
    # the test split uses the training split's transform, not its own
    expected = apply_preprocessing(p, raw[data.indices["test"]])
    assert np.allclose(data.test[0], expected)
    if scaling == "minmax01":
        assert np.allclose(p["shift"], train_raw.min(axis=0))
        assert np.allclose(p["scale"], train_raw.max(axis=0) - train_raw.min(axis=0))


def test_standardise_and_per_feature_false():
    data = prepare({"builtin": "wine", "preprocessing": {"scaling": "standardise"}})
    assert np.allclose(data.train[0].mean(axis=0), 0) and np.allclose(data.train[0].std(axis=0), 1)
    digits = prepare({"builtin": "digits", "preprocessing": {"scaling": "minmax01", "per_feature": False}})
    assert set(digits.preprocessing["scale"]) == {16.0} and set(digits.preprocessing["shift"]) == {0.0}
    assert np.allclose(digits.train[0], digits.dataset.X / 16)


def test_stored_transform_is_json_and_applies_to_new_inputs():
    data = prepare({"builtin": "circle", "preprocessing": {"scaling": "minmax11"}, "split": {"val": 0.2}})
    stored = json.loads(json.dumps(data.preprocessing))
    x = np.array([0.25, -0.5])
    one = apply_preprocessing(stored, x)
    assert one.shape == (2,)
    assert np.allclose(one, (x - np.array(stored["shift"])) / np.array(stored["scale"]))
    assert np.allclose(invert_preprocessing(stored, one), x)
    assert np.allclose(apply_preprocessing(None, x), x)
    with pytest.raises(DataError, match="the stored scaling is for 2 inputs, but the data have 3"):
        apply_preprocessing(stored, np.zeros((1, 3)))
    with pytest.raises(DataError, match="preprocessing.shift: missing"):
        apply_preprocessing({"scaling": "minmax01"}, x)
    with pytest.raises(DataError, match="must be finite numbers > 0"):
        apply_preprocessing({"scaling": "minmax01", "shift": [0, 0], "scale": [1, 0]}, x)


def test_constant_column_gets_scale_one():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    for scaling in ("minmax01", "minmax11", "standardise"):
        fitted = fit_scaling(X, scaling)
        assert fitted["scale"][1] == 1.0
        assert np.all(np.isfinite(apply_preprocessing(fitted, X)))


def test_a_saved_projects_fitted_preprocessing_is_accepted_back():
    data = prepare({"builtin": "iris", "preprocessing": {"scaling": "standardise"}})
    again = prepare({"builtin": "iris", "preprocessing": data.preprocessing})
    assert np.allclose(again.train[0], data.train[0])


@pytest.mark.parametrize(
    "spec,message",
    [
        ({"builtin": "xor", "split": {"val": 1.0}}, "split.val: must be a fraction from 0 to less than 1"),
        ({"builtin": "xor", "split": {"test": -0.1}}, "split.test: must be a fraction"),
        ({"builtin": "xor", "split": {"val": 0.5, "test": 0.5}}, "split: val + test must be less than 1"),
        ({"builtin": "xor", "split": {"seed": 1.5}}, "split.seed: must be a whole number"),
        ({"builtin": "xor", "split": {"stratify": "yes"}}, "split.stratify: must be true or false"),
        ({"builtin": "xor", "split": {"train": 0.5}}, "split.train: unknown option"),
        ({"builtin": "xor", "split": [0.2]}, "split: expected an object"),
        (
            {"builtin": "xor", "preprocessing": {"scaling": "log"}},
            "preprocessing.scaling: choose one of none",
        ),
        ({"builtin": "xor", "preprocessing": {"per_feature": 1}}, "preprocessing.per_feature: must be true"),
        ({"builtin": "xor", "preprocessing": {"clip": 1}}, "preprocessing.clip: unknown option"),
        ({"builtin": "xor", "parms": {}}, "dataset.parms: unknown option of a builtin dataset"),
        ({"builtin": "xor", "inline": {}}, "give only one of 'builtin', 'inline'"),
        ({}, "dataset: give a built-in name"),
        ([], "dataset: expected an object"),
        ({"builtin": 3}, "dataset.builtin: expected a dataset name"),
        ({"builtin": "xor", "params": [1]}, "params: expected an object"),
        ({"inline": {"inputs": [[1, 2]], "targets": [[1], [2]]}}, "1 rows of inputs but 2 rows of targets"),
        ({"inline": {"inputs": [[1, "a"]], "targets": [[1]]}}, "dataset.inline.inputs: expected a table"),
        (
            {"inline": {"inputs": [[1, None]], "targets": [[1]]}},
            "dataset.inline.inputs[0][1]: must be a finite",
        ),
        (
            {"inline": {"inputs": [[1, 2], [3]], "targets": [[1], [2]]}},
            "dataset.inline.inputs: expected a table",
        ),
        ({"inline": {"inputs": [[1, 2]]}}, "dataset.inline.targets: missing"),
        ({"inline": {"inputs": [], "targets": []}}, "expected a table"),
        (
            {"inline": {"inputs": [[1e400]], "targets": [[1]]}},
            "dataset.inline.inputs[0][0]: must be a finite",
        ),
        ({"inline": {"inputs": [[1]], "targets": [[1]], "input_names": "x"}}, "input_names: expected a list"),
        (
            {"inline": {"inputs": [[1]], "targets": [[1]], "weights": 1}},
            "dataset.inline.weights: unknown key",
        ),
        ({"file": ""}, "dataset.file: expected the path of a file"),
        ({"file": "x.csv", "format": "xlsx"}, "dataset.format: choose one of csv, tsv, idx, npz"),
    ],
)
def test_bad_specifications_name_the_field(spec, message):
    with pytest.raises(DataError) as err:
        prepare(spec)
    assert message in str(err.value)


def test_inline_data_with_names_and_one_hot_targets():
    ds = load_dataset(
        {
            "inline": {
                "inputs": [[0, 1], [1, 0], [1, 1]],
                "targets": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                "target_names": ["red", "green", "blue"],
            },
            "name": "colours",
        }
    )
    assert ds.name == "colours" and ds.task == "multiclass" and ds.class_names == ["red", "green", "blue"]
    assert ds.input_names == ["x1", "x2"] and ds.suggested["loss"] == "cce"


def test_check_fits_names_the_layer():
    iris = load_dataset({"builtin": "iris"})
    with pytest.raises(DataError, match="dataset has 4 inputs but the network's input layer has 2 neurons"):
        check_fits(iris, [2, 2, 1])
    with pytest.raises(DataError, match="dataset has 3 targets but the network's output layer has 1 neuron$"):
        check_fits(iris, [4, 2, 1])
    check_fits(iris, [4, 8, 3])


def test_prepare_reuses_a_given_dataset_and_feeds_a_trainer():
    from bpstudio.engine import Network, TrainConfig, Trainer

    ds = load_dataset({"builtin": "breast_cancer"})
    data = prepare(
        {"builtin": "ignored", "preprocessing": {"scaling": "standardise"}, "split": {"val": 0.2}}, ds
    )
    net = Network.create([30, 8, 1], ["sigmoid", "sigmoid"], seed=0)
    trainer = Trainer(
        net,
        TrainConfig(
            loss="bce", optimiser="adam", optimiser_params={"lr": 0.01}, batch_mode="minibatch", batch_size=16
        ),
        *data.train,
        val=data.val,
        task=ds.task,
    )
    for _ in range(5):
        trainer.step_epoch()
    assert trainer.history.accuracy["val"][-1] > 0.9
