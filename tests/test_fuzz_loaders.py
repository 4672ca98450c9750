"""Every loader fuzzed under a memory and a time limit: ≥ 10,000 inputs per CI run (issue 13).

``tests/fuzz_loaders.py`` runs in a child process (so that its address-space limit and timer do not
touch the test runner): project, weights, exercise, answers, CSV, TSV, gz, IDX and NPZ inputs made by
seeded mutations of valid files. Each must load, or be refused with the loader's documented error
(FormatError, DataError) and a message of at most 300 characters, within 5 s, under 1.5 GB of address
space. The seed is fixed in CI (a run is repeatable) and random elsewhere (so runs explore); a failing
seed is printed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import fuzz_loaders
import pytest

from bpstudio.data import DataError

SCRIPT = Path(__file__).with_name("fuzz_loaders.py")
INPUTS = int(os.environ.get("BPSTUDIO_FUZZ_INPUTS", "11600"))


def test_every_loader_takes_thousands_of_hostile_inputs_within_limits():
    seed = 1 if os.environ.get("CI") else random.randrange(1_000_000)
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--inputs", str(INPUTS), "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.stdout.strip(), out.stderr[-3000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["n_failures"] == 0, (f"seed {seed}", summary["failures"][:5])
    assert out.returncode == 0
    assert summary["inputs"] >= 10_000 and summary["memory_limit_mb"] == 1500
    for kind in fuzz_loaders.SHARES:
        # every loader gets its share, and the mutations reach both its refusals and its success
        assert summary["per_loader"][kind] >= 800, kind
        assert summary["outcomes"].get(f"{kind}:refused", 0) > 0, kind
        assert summary["outcomes"].get(f"{kind}:loaded", 0) > 0, kind


class _Long(Exception):
    pass


def test_the_harness_reports_hangs_wrong_errors_and_long_messages(monkeypatch, tmp_path):
    def hang(path, **_):
        while True:
            pass

    def wrong(path, **_):
        raise KeyError("a bug")

    def long_message(path, **_):
        raise _Long("x" * 400)

    table = {kind: (".csv", wrong, DataError) for kind in fuzz_loaders.SHARES}
    table["csv"] = (".csv", hang, DataError)
    table["tsv"] = (".tsv", long_message, _Long)
    monkeypatch.setattr(fuzz_loaders, "loaders", lambda folder: (table, 300))
    summary = fuzz_loaders.run(total=30, seed=3, seconds=0.2, folder=tmp_path)
    failures = "\n".join(summary["failures"])
    assert "csv #0: no answer within 0.2 s" in failures
    assert "KeyError: 'a bug'" in failures
    assert "tsv #0: message of 400 characters" in failures
    assert summary["n_failures"] == summary["inputs"]


@pytest.mark.parametrize("kind", sorted(fuzz_loaders.SHARES))
def test_the_seed_inputs_themselves_load(tmp_path, kind):
    """The valid files the mutations start from do load (a fuzz of files that never load tests little)."""
    table, _ = fuzz_loaders.loaders(tmp_path)
    base = fuzz_loaders.seeds(tmp_path)
    ext, load, _refused = table[kind]
    path = tmp_path / f"seed{ext}"
    if kind == "idx":
        path.write_bytes(base["idx"][0])
        path.with_suffix(".labels").write_bytes(base["idx"][1])
        load(path, labels=str(path.with_suffix(".labels")))
        return
    for raw in base[kind]:
        path.write_bytes(raw)
        load(path)


# ---------------------------------------------------------------------------------------------- found by it
def test_a_class_label_with_a_superscript_digit_is_a_class(tmp_path):
    """natural_key took "¹" for a number (str.isdigit) and int() raised ValueError."""
    from bpstudio.data import load_dataset

    path = tmp_path / "sup.csv"
    path.write_text("x,y\n1,¹\n2,²\n3,a10\n", encoding="utf-8")
    ds = load_dataset({"file": str(path)})
    assert len(ds.class_names) == 3


def test_npz_headers_that_numpy_cannot_tokenise_and_unknown_compression_are_refused(tmp_path):
    import io
    import zipfile

    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.eye(2))
    npy = bytearray(buf.getvalue())
    npy[6:8] = b"\x01\x00"  # version 1.0 header with an unterminated bracket: numpy's tokenizer fails
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2"
    npy[8:10] = len(header).to_bytes(2, "little")
    npy = bytes(npy[:10]) + header
    path = tmp_path / "bad.npz"
    path.write_bytes(fuzz_loaders.npz_of({"X.npy": npy, "y.npy": npy}))
    with pytest.raises(DataError, match="cannot read the .npz file"):
        from bpstudio.data import load_dataset

        load_dataset({"file": str(path)})
    raw = bytearray(fuzz_loaders.npz_of({"X.npy": bytes(buf.getvalue())}))
    raw[8:10] = (99).to_bytes(2, "little")  # the local header's compression method: unknown
    start = raw.rfind(b"PK\x01\x02")
    raw[start + 10 : start + 12] = (99).to_bytes(2, "little")  # and the central directory's
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="cannot read the .npz file"):
        load_dataset({"file": str(path)})
    assert zipfile.is_zipfile(path)


def test_an_answers_file_whose_exercise_names_an_unknown_dataset_is_a_format_error(tmp_path):
    from bpstudio import resources_dir
    from bpstudio.formats import FormatError
    from bpstudio.teaching import Attempt, load_exercise, save_answers
    from bpstudio.teaching.results import load_answers

    ex = load_exercise(resources_dir() / "exercises" / "xor-backprop-221.bpx.json")
    path = tmp_path / "a.bpa.json"
    save_answers(path, Attempt.for_exercise(ex, "Ana"), ex)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["exercise"]["project"]["dataset"] = {"builtin": "x[]or"}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FormatError) as info:
        load_answers(path)
    assert str(info.value).startswith(f"{path}: exercise: ") and "unknown dataset" in str(info.value)
