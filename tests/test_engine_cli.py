"""Headless commands fail cleanly: exit status 2, one line on stderr, no traceback."""

from __future__ import annotations

import json

import pytest

from bpstudio import resource_path
from bpstudio.cli import main

XNOR_STEP = str(resource_path("examples/xnor-step.bps.json"))
XOR = str(resource_path("examples/xor.bps.json"))


@pytest.fixture
def files(tmp_path):
    bad_json = tmp_path / "broken.bps.json"
    bad_json.write_text('{"format": "bpstudio-project", "version": 1,', encoding="utf-8")
    wrong = tmp_path / "weights.json"
    wrong.write_text(json.dumps({"format": "something-else", "version": 1}), encoding="utf-8")
    array = tmp_path / "array.json"
    array.write_text("[1, 2, 3]", encoding="utf-8")
    return {
        "missing": str(tmp_path / "nope.bps.json"),
        "not json": str(bad_json),
        "wrong format": str(wrong),
        "not an object": str(array),
        "out": str(tmp_path / "out.json"),
    }


def _one_line_error(capsys, code: int) -> str:
    captured = capsys.readouterr()
    assert code == 2
    err = captured.err.strip()
    assert err.startswith("bpstudio: error:")
    assert "\n" not in err and "Traceback" not in captured.err and "Traceback" not in captured.out
    return err


@pytest.mark.parametrize("kind", ["missing", "not json", "wrong format", "not an object"])
@pytest.mark.parametrize("command", ["train", "trace", "export-weights"])
def test_unreadable_project_files(command, kind, files, capsys):
    code = main([command, files[kind], "--out", files["out"]])
    err = _one_line_error(capsys, code)
    assert files[kind].rsplit("/", 1)[-1] in err


@pytest.mark.parametrize("samples", ["abc", "3-1", "99", "0,x", ",", "-1"])
def test_trace_with_bad_samples(samples, files, capsys):
    code = main(["trace", XOR, "--samples", samples, "--out", files["out"]])
    _one_line_error(capsys, code)


def test_training_step_units_is_refused(files, capsys):
    code = main(["train", XNOR_STEP, "--epochs", "5", "--out", files["out"]])
    err = _one_line_error(capsys, code)
    assert "step" in err


def test_the_commands_work_on_a_good_project(files, capsys):
    assert main(["trace", XOR, "--samples", "0-1", "--out", files["out"]]) == 0
    data = json.loads(open(files["out"], encoding="utf-8").read())
    assert data["format"] == "bpstudio-trace" and data["samples"] == [0, 1]
    assert main(["train", XOR, "--epochs", "3", "--quiet", "--out", files["out"]]) == 0
    assert "trained 3 epochs" in capsys.readouterr().err


def test_trace_of_a_network_of_step_units_is_a_forward_pass(tmp_path, capsys):
    """Step units cannot be trained, but their forward pass and loss can be traced (issue 14.10)."""
    out = tmp_path / "t.json"
    path = str(resource_path("examples") / "xnor-step.bps.json")
    assert main(["trace", path, "--samples", "0,1", "--out", str(out)]) == 0
    assert "a forward pass only" in capsys.readouterr().err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["forward_only"] is True and doc["loss_per_sample"] is not None
    assert doc["layers"][-1]["a"] == [[1.0], [0.0]]  # XNOR of (0, 0) and (0, 1)
    assert all(up["dE_dW"] is None and up["W_after"] is None for up in doc["updates"])
    sigmoid = str(resource_path("examples") / "xor.bps.json")
    assert main(["trace", sigmoid, "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["forward_only"] is False


@pytest.mark.parametrize("optimiser", ["momentum", "adam", "rmsprop"])
def test_a_grader_checks_the_optimiser_by_hand_from_the_trace(optimiser, tmp_path):
    """Issue 14: the trace carries the optimiser's state before and after the step, so momentum and
    Adam can be checked by hand: here the checks are written from the documented formulas alone."""
    import numpy as np

    from bpstudio.formats import load_project, save_project

    project = load_project(XOR)
    project.training.optimiser = optimiser
    project.training.optimiser_params = {"lr": 0.05}
    path, trained = tmp_path / "p.bps.json", tmp_path / "trained.bps.json"
    save_project(path, project)
    # three epochs first, so the step starts from the optimiser state the project saved (not zeros)
    assert main(["train", str(path), "--epochs", "3", "--quiet", "--out", str(trained)]) == 0
    out = tmp_path / "t.json"
    assert main(["trace", str(trained), "--samples", "0-3", "--out", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    hp = doc["optimiser_params"]
    t = doc["optimiser_t_after"]
    assert doc["optimiser_t_before"] == 12 and t == 13  # 3 epochs of 4 updates, then this one
    assert any(np.any(np.array(v["W"]) != 0) for v in doc["updates"][0]["state_before"].values())
    for up in doc["updates"]:
        for part, grad, change in (("W", "dE_dW", "delta_W"), ("b", "dE_db", "delta_b")):
            g = np.array(up[grad])
            before = {k: np.array(v[part]) for k, v in up["state_before"].items()}
            after = {k: np.array(v[part]) for k, v in up["state_after"].items()}
            if optimiser == "momentum":
                v = hp["momentum"] * before["velocity"] - hp["lr"] * g
                expected, state = v, {"velocity": v}
            elif optimiser == "rmsprop":
                s = hp["rho"] * before["mean_sq"] + (1 - hp["rho"]) * g**2
                expected, state = -hp["lr"] * g / (np.sqrt(s) + hp["eps"]), {"mean_sq": s}
            else:
                m = hp["beta1"] * before["m"] + (1 - hp["beta1"]) * g
                v = hp["beta2"] * before["v"] + (1 - hp["beta2"]) * g**2
                m_hat, v_hat = m / (1 - hp["beta1"] ** t), v / (1 - hp["beta2"] ** t)
                expected, state = -hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"]), {"m": m, "v": v}
            np.testing.assert_allclose(np.array(up[change]), expected, rtol=1e-12, atol=1e-15)
            for key, value in state.items():
                np.testing.assert_allclose(after[key], value, rtol=1e-12, atol=1e-15)
