"""A saved project's per-update history is thinned to bucket means; the per-epoch records, the true
update count, the x positions and continued training survive a save and a reopen."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from fuzz_profiles import formats_profile
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from bpstudio import resource_path
from bpstudio.engine import History
from bpstudio.engine import history as history_module
from bpstudio.engine.history import MAX_STORED_STEPS, ThinnedPrefix, bucket_centres, trailing_mean
from bpstudio.formats import (
    PROJECT,
    FormatError,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
)
from bpstudio.formats.migrations import (
    migrate_project_v1_to_v2,
    migrate_project_v2_to_v3,
    migrate_project_v3_to_v4,
)
from bpstudio.workspace import load_example, trainer_for, update_project


def raw_schema(name: str) -> dict:
    return json.loads(resource_path("schema", f"{name}.schema.json").read_text(encoding="utf-8"))


def synthetic(n_updates: int, n_epochs: int = 3, n_layers: int = 2, seed: int = 0) -> History:
    """A history of ``n_updates`` updates with noisy, falling losses and norms."""
    rng = np.random.default_rng(seed)
    h = History()
    u = np.arange(n_updates)
    h.step_loss = (np.exp(-u / max(n_updates, 1) * 4) + 0.05 * rng.random(n_updates)).tolist()
    h.grad_norms = (rng.random((n_updates, n_layers)) * np.exp(-u / 5e4)[:, None]).tolist()
    h.epochs = list(range(1, n_epochs + 1))
    none = [None] * n_epochs
    h.loss = {"train": [0.5 / e for e in h.epochs], "val": [0.6 / e for e in h.epochs], "test": none}
    h.accuracy = {"train": [0.5 + 0.1 * e for e in h.epochs], "val": list(none), "test": list(none)}
    return h


def bucket_means(values: np.ndarray, every: int) -> np.ndarray:
    """Means over consecutive buckets of ``every`` values along axis 0 (the last may hold fewer)."""
    values = np.asarray(values, dtype=float)
    return np.stack([values[i : i + every].mean(axis=0) for i in range(0, len(values), every)])


def project_with(history: History, n_layers: int = 2):
    project = load_example("xor")  # a 2-2-1 network: two weight layers
    assert project.network.n_layers == n_layers
    project.history = history
    return project


def saved_and_reopened(tmp_path, project, name="p.bps.json"):
    path = tmp_path / name
    save_project(path, project)
    return path, load_project(path)


# ---------------------------------------------------------------------------------------------- saving
def test_a_long_history_is_stored_as_bucket_means_and_reads_back(tmp_path):
    n = 25_003  # k = 3: 8,335 points, the last one update 25,003 alone
    h = synthetic(n)
    path, again = saved_and_reopened(tmp_path, project_with(h))
    doc = json.loads(path.read_text(encoding="utf-8"))["history"]
    assert (doc["step_count"], doc["step_every"]) == (n, 3)
    assert len(doc["step_loss"]) == len(doc["grad_norms"]) == math.ceil(n / 3) == 8335
    np.testing.assert_allclose(doc["step_loss"], bucket_means(h.step_loss, 3), rtol=1e-12)
    np.testing.assert_allclose(doc["grad_norms"], bucket_means(h.grad_norms, 3), rtol=1e-12)
    assert doc["step_loss"][-1] == h.step_loss[-1]  # a bucket of one update keeps its value exactly

    r = again.history
    assert r.step_count == n
    assert r.thinned == ThinnedPrefix(step_every=3, points=8335, updates=n)
    # per-epoch records are kept in full, exactly
    assert (r.epochs, r.loss, r.accuracy) == (h.epochs, h.loss, h.accuracy)
    # the live history that was saved is not changed by saving
    assert len(h.step_loss) == n and h.thinned is None


def test_a_history_within_the_limit_is_stored_exactly(tmp_path):
    h = synthetic(MAX_STORED_STEPS)
    path, again = saved_and_reopened(tmp_path, project_with(h))
    doc = json.loads(path.read_text(encoding="utf-8"))["history"]
    assert (doc["step_count"], doc["step_every"]) == (MAX_STORED_STEPS, 1)
    assert again.history.step_loss == h.step_loss and again.history.grad_norms == h.grad_norms
    assert again.history.thinned is None and again.history.step_count == MAX_STORED_STEPS
    np.testing.assert_array_equal(again.history.step_indices(), np.arange(1, MAX_STORED_STEPS + 1))


@pytest.mark.parametrize("n,every,points", [(60_000, 6, 10_000), (60_001, 7, 8572), (130_000, 13, 10_000)])
def test_the_stored_points_are_bounded(n, every, points):
    doc = synthetic(n, n_layers=1).to_dict()
    assert (doc["step_count"], doc["step_every"]) == (n, every)
    assert len(doc["step_loss"]) == len(doc["grad_norms"]) == points <= MAX_STORED_STEPS


def test_saving_a_reopened_unchanged_history_writes_the_same_numbers(tmp_path):
    path, again = saved_and_reopened(tmp_path, project_with(synthetic(31_234)))
    path2, _ = saved_and_reopened(tmp_path, again, "q.bps.json")
    first = json.loads(path.read_text(encoding="utf-8"))["history"]
    second = json.loads(path2.read_text(encoding="utf-8"))["history"]
    assert first == second


def test_max_steps_is_read_when_saving(monkeypatch):
    monkeypatch.setattr(history_module, "MAX_STORED_STEPS", 10)
    doc = synthetic(25).to_dict()
    assert (doc["step_every"], len(doc["step_loss"])) == (3, 9)
    with pytest.raises(ValueError, match="max_steps"):
        synthetic(5).to_dict(max_steps=0)


def test_the_documented_example():
    h = History(step_loss=[float(v) for v in range(1, 26)], grad_norms=[[float(v)] for v in range(1, 26)])
    doc = h.to_dict(max_steps=10)
    assert (doc["step_count"], doc["step_every"]) == (25, 3)
    assert doc["step_loss"] == [2, 5, 8, 11, 14, 17, 20, 23, 25]


# ---------------------------------------------------------------------------------------------- positions
def test_step_indices_give_the_last_update_of_each_point():
    h = History.from_dict(synthetic(25).to_dict(max_steps=10))
    np.testing.assert_array_equal(h.step_indices(), [3, 6, 9, 12, 15, 18, 21, 24, 25])
    np.testing.assert_array_equal(h.step_indices(7, 100), [24, 25])
    np.testing.assert_allclose(bucket_centres(h.step_indices()), [2, 5, 8, 11, 14, 17, 20, 23, 25])
    h.step_loss += [0.1, 0.2]  # two more updates, one entry each
    h.grad_norms += [[0.1, 0.1], [0.2, 0.2]]
    assert h.step_count == 27
    np.testing.assert_array_equal(h.step_indices(8), [25, 26, 27])
    np.testing.assert_allclose(bucket_centres(h.step_indices())[-3:], [25, 26, 27])


def test_rethinning_after_more_updates_gives_the_means_of_the_original_updates():
    raw = synthetic(2_600)
    first = History(step_loss=raw.step_loss[:2_500], grad_norms=raw.grad_norms[:2_500])
    h = History.from_dict(first.to_dict(max_steps=1_000))  # k = 3; the last bucket: 1 update
    assert h.thinned == ThinnedPrefix(3, 834, 2_500)
    h.step_loss += raw.step_loss[2_500:]  # a continuation of 100 more updates
    h.grad_norms += raw.grad_norms[2_500:]
    doc = h.to_dict(max_steps=1_000)  # 2,600 updates: k = 3 (a multiple of 3): 867 points
    assert (doc["step_count"], doc["step_every"], len(doc["step_loss"])) == (2_600, 3, 867)
    np.testing.assert_allclose(doc["step_loss"], bucket_means(raw.step_loss, 3), rtol=1e-12)
    doc = h.to_dict(max_steps=400)  # k = 9, a multiple of 3, so no update is split between two buckets
    assert (doc["step_every"], len(doc["step_loss"])) == (9, 289)
    np.testing.assert_allclose(doc["step_loss"], bucket_means(raw.step_loss, 9), rtol=1e-12)
    np.testing.assert_allclose(doc["grad_norms"], bucket_means(raw.grad_norms, 9), rtol=1e-12)


@formats_profile()
@given(
    n=st.integers(1, 400),
    first_max=st.integers(1, 60),
    extra=st.integers(0, 200),
    second_max=st.integers(1, 60),
)
def test_thinning_a_thinned_history_equals_thinning_the_original(n, first_max, extra, second_max):
    raw = synthetic(n + extra, n_layers=1, seed=n)
    first = History(step_loss=raw.step_loss[:n], grad_norms=raw.grad_norms[:n])
    h = History.from_dict(first.to_dict(first_max))
    h.step_loss += raw.step_loss[n:]
    h.grad_norms += raw.grad_norms[n:]
    assert h.step_count == n + extra
    doc = h.to_dict(max_steps=second_max)
    k0 = 1 if h.thinned is None else h.thinned.step_every
    k = doc["step_every"]
    assert k % k0 == 0 and len(doc["step_loss"]) == math.ceil((n + extra) / k) <= second_max
    assert k == k0 or math.ceil((n + extra) / (k - k0)) > second_max  # the smallest such multiple
    np.testing.assert_allclose(doc["step_loss"], bucket_means(raw.step_loss, k), rtol=1e-9)
    np.testing.assert_allclose(doc["grad_norms"], bucket_means(raw.grad_norms, k), rtol=1e-9)
    ends = History.from_dict(doc).step_indices()
    assert ends[-1] == n + extra and np.all(np.diff(ends) >= 1)


def test_truncating_into_the_thinned_prefix_keeps_the_positions_right():
    h = History.from_dict(synthetic(25).to_dict(max_steps=10))  # 9 points, k = 3
    h.step_loss += [0.1]
    h.grad_norms += [[0.1, 0.1]]
    h.truncate(9, 3)  # undo the one update after reopening
    assert h.thinned == ThinnedPrefix(3, 9, 25) and h.step_count == 25
    h.truncate(4, 1)
    assert h.thinned == ThinnedPrefix(3, 4, 12) and h.step_count == 12
    np.testing.assert_array_equal(h.step_indices(), [3, 6, 9, 12])
    h.clear()
    assert h.thinned is None and h.step_count == 0


# ---------------------------------------------------------------------------------------------- smoothing
def test_trailing_mean_of_an_unthinned_series_is_the_plain_moving_average():
    y = np.array([1.0, 2.0, 3.0, np.nan, 5.0])
    ends = np.arange(1, 6)
    np.testing.assert_allclose(trailing_mean(y, ends, 2), [1.0, 1.5, 2.5, 3.0, 5.0])
    np.testing.assert_allclose(trailing_mean(y, ends, 2, np.array([1, 4])), [1.5, 5.0])
    np.testing.assert_array_equal(trailing_mean(y, ends, 1), y)


def test_trailing_mean_of_a_thinned_series_matches_the_original_at_bucket_ends():
    raw = np.asarray(synthetic(6_000).step_loss)
    h = History.from_dict(History(step_loss=raw.tolist(), grad_norms=[[0.0]] * 6_000).to_dict(1_000))
    ends = h.step_indices()  # k = 6
    window = 60  # a multiple of k, as the automatic 1 % window is here
    original = np.array([raw[max(0, e - window) : e].mean() for e in ends])
    # (differences of cumulative sums: equal up to rounding)
    np.testing.assert_allclose(trailing_mean(np.asarray(h.step_loss), ends, window), original, rtol=1e-9)
    # a window shorter than a bucket gives the bucket's mean
    np.testing.assert_allclose(trailing_mean(np.asarray(h.step_loss), ends, 2), h.step_loss, rtol=1e-9)


# ---------------------------------------------------------------------------------------------- format
def test_the_schema_and_the_rules_check_the_history_members():
    doc = project_to_dict(project_with(synthetic(25)))
    doc["history"] = synthetic(25).to_dict(max_steps=10)
    project_from_dict(doc)
    reference = Draft202012Validator(raw_schema("project"))
    for member, value, message in [
        ("step_every", 0, "history.step_every: must be ≥ 1"),
        ("step_count", -1, "history.step_count: must be ≥ 0"),
        ("step_every", 2.5, "history.step_every: expected a whole number"),
    ]:
        bad = copy.deepcopy(doc)
        bad["history"][member] = value
        assert not reference.is_valid(bad)
        with pytest.raises(FormatError, match="^" + message.replace("(", r"\(")):
            project_from_dict(bad)
    bad = copy.deepcopy(doc)
    bad["history"]["step_count"] = 28  # ⌈28/3⌉ = 10 points, 9 stored
    assert reference.is_valid(bad)  # a shape rule, beyond the schema
    with pytest.raises(FormatError) as info:
        project_from_dict(bad)
    assert str(info.value) == (
        "history.step_loss: expected 10 entries (one per 3 updates (step_every) of history.step_count = 28),"
        " got 9"
    )
    bad = copy.deepcopy(doc)
    del bad["history"]["step_every"]
    with pytest.raises(FormatError, match=r"^history\.step_every: missing"):
        project_from_dict(bad)


def test_migrations_from_versions_1_and_2_count_one_point_per_update():
    doc = project_to_dict(load_example("xor"))
    doc["version"] = 2
    del doc["input_transform"]
    doc["history"] = {
        "step_loss": [0.5, 0.4, 0.3],
        "grad_norms": [[0.1, 0.2]] * 3,
        "epochs": [1],
        "loss": {"train": [0.4], "val": [None], "test": [None]},
        "accuracy": {"train": [1.0], "val": [None], "test": [None]},
    }
    migrated = migrate_project_v2_to_v3(copy.deepcopy(doc))
    assert (migrated["history"]["step_count"], migrated["history"]["step_every"]) == (3, 1)
    PROJECT.validate(migrate_project_v3_to_v4(migrated))
    h = project_from_dict(doc).history
    assert h.step_count == 3 and h.thinned is None and h.step_loss == [0.5, 0.4, 0.3]

    v1 = copy.deepcopy(doc)
    v1["version"] = 1
    for key in ("created_with", "view", "name", "description"):
        del v1[key]
    v1["history"] = {"step_loss": [0.5, 0.4], "grad_norms": [[0.1, 0.2]] * 2}
    chained = migrate_project_v2_to_v3(migrate_project_v1_to_v2(copy.deepcopy(v1)))
    assert (chained["history"]["step_count"], chained["history"]["step_every"]) == (2, 1)
    assert project_from_dict(v1).history.step_count == 2
    # a malformed v2 history is left for validation to name
    bad = copy.deepcopy(doc)
    bad["history"]["step_loss"] = 7
    assert migrate_project_v2_to_v3(bad)["history"]["step_count"] == 0
    with pytest.raises(FormatError, match=r"^history\.step_loss: expected a list"):
        project_from_dict(bad)


# ---------------------------------------------------------------------------------------------- training
def circle_project(n_samples: int = 300):
    project = load_example("xor")
    project.dataset = {"builtin": "circle", "params": {"n": n_samples}}
    project.training.batch_mode = "online"
    project.training.shuffle = True  # each epoch's order follows from the seed and the epoch number
    project.training.optimiser_params = {"lr": 0.3}
    project.history = None
    project.optimiser_state = None
    return project


def test_training_continued_after_reopening_appends_at_the_true_update(tmp_path, monkeypatch):
    monkeypatch.setattr(history_module, "MAX_STORED_STEPS", 100)
    # the same training without a break, for comparison
    straight = circle_project()
    trainer, _ = trainer_for(straight)
    trainer.run(epochs=6)
    raw = np.asarray(trainer.history.step_loss)
    assert raw.size == 1_800

    project = circle_project()
    trainer, _ = trainer_for(project)
    trainer.run(epochs=5)
    update_project(project, trainer)
    path, again = saved_and_reopened(tmp_path, project)
    assert json.loads(path.read_text(encoding="utf-8"))["history"]["step_every"] == 15  # 1,500 updates
    trainer, _ = trainer_for(again, tmp_path)
    assert (trainer.step_count, trainer.epoch) == (1_500, 5)
    assert len(trainer.history.step_loss) == 100
    trainer.run(epochs=1)
    h = trainer.history
    assert trainer.step_count == h.step_count == 1_800
    assert len(h.step_loss) == 400  # 100 bucket means, then one entry per update
    np.testing.assert_array_equal(h.step_indices(100, 103), [1_501, 1_502, 1_503])
    assert h.step_indices()[-1] == 1_800
    np.testing.assert_array_equal(h.step_loss[100:], raw[1_500:])  # resumed bit for bit
    np.testing.assert_allclose(h.step_loss[:100], bucket_means(raw[:1_500], 15), rtol=1e-12)
    assert h.epochs == list(range(1, 7))

    update_project(again, trainer)
    path, final = saved_and_reopened(tmp_path, again, "again.bps.json")
    doc = json.loads(path.read_text(encoding="utf-8"))["history"]
    assert (doc["step_count"], doc["step_every"], len(doc["step_loss"])) == (1_800, 30, 60)
    np.testing.assert_allclose(doc["step_loss"], bucket_means(raw, 30), rtol=1e-12)
    assert final.history.step_count == 1_800 and final.history.epochs == list(range(1, 7))
