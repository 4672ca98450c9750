"""``bpstudio compare PROJECT --run …``: runs side by side, headless (issue 15.3)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from bpstudio import resources_dir
from bpstudio.cli import main
from bpstudio.cli.common import CliError
from bpstudio.cli.compare import parse_run
from bpstudio.compare import new_run, train_run
from bpstudio.formats import load_project
from bpstudio.workspace import load_example

XOR = str(resources_dir() / "examples" / "xor.bps.json")


def test_runs_named_on_the_command_line_train_and_are_saved(capsys, tmp_path):
    out, curves = tmp_path / "runs.bps.json", tmp_path / "curves.csv"
    args = ["compare", XOR, "--run", "SGD:", "--run", "Fast: optimiser=momentum, lr=0.5", "--epochs", "20"]
    assert main([*args, "--out", str(out), "--csv", str(curves)]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0].split()[:2] == ["run", "changes"] and len(table) == 3
    assert table[2].startswith("Fast") and "optimiser momentum, η = 0.5" in table[2]
    project = load_project(out)
    assert [r.name for r in project.runs] == ["SGD", "Fast"]
    # the same numbers as the library trains
    xor = load_example("xor")
    alone = train_run(xor, new_run(xor, "Fast", {"optimiser": "momentum", "lr": 0.5}), 20)
    np.testing.assert_array_equal(project.runs[1].network.weights[0], alone.network.weights[0])
    assert f"{alone.history.loss['train'][-1]:.6g}" in table[2]
    rows = list(csv.reader(open(curves, encoding="utf-8")))
    assert rows[0] == ["run", "epoch", "train_loss", "val_loss", "train_accuracy"] and len(rows) == 1 + 2 * 20
    assert rows[-1][:2] == ["Fast", "20"] and float(rows[-1][2]) == alone.history.loss["train"][-1]
    # without --run the stored runs go on training
    assert main(["compare", str(out), "--epochs", "5"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-3] == "25"


@pytest.mark.parametrize(
    "run,message",
    [
        ("x: loss=mse", "'loss' cannot change"),
        ("lr=abc", "lr needs a number"),
        ("lr", "write key=value"),
        ("lr=-1", "η must be a number > 0"),
        ("optimiser=newton", "newton"),
    ],
)
def test_bad_runs_are_refused_in_one_line(capsys, run, message):
    assert main(["compare", XOR, "--run", run, "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_project_without_runs_says_how_to_name_some(capsys):
    assert main(["compare", XOR]) == 2
    assert "no runs: name some with --run" in capsys.readouterr().err


def test_run_text_is_parsed_with_or_without_a_name():
    assert parse_run("Adam: optimiser=adam, lr=0.01", "Run A") == ("Adam", {"optimiser": "adam", "lr": 0.01})
    assert parse_run("batch_size=4,seed=2", "Run B") == ("Run B", {"batch_size": 4, "seed": 2})
    assert parse_run("plain:", "Run C") == ("plain", {})
    with pytest.raises(CliError):
        parse_run("seed=1.5", "x")
